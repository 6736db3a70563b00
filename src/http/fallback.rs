//! Answers for requests no route took: 405 with `Allow` when the path exists with other
//! methods, else 404 `route_not_found`. The route table is the OpenAPI document's, which
//! utoipa-actix-web builds from the registered routes themselves.

use crate::error::{AppError, ErrorCode};
use actix_web::http::{Method, header};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

/// Paths and their methods.
pub struct RouteTable {
    routes: Vec<(Vec<Segment>, Vec<Method>)>,
    patterns: Vec<String>,
    /// All-literal paths a parameter path also matches (`/pages/render` and
    /// `/pages/{page_id}`), with their own methods: the router would hand another method
    /// to the parameter path, where the literal names the resource.
    shadowed: Vec<(String, Vec<Method>)>,
    /// Route indexes by (segment count, first segment): a lookup compares a handful of
    /// candidates' segments, no regular expressions.
    by_shape: std::collections::HashMap<usize, std::collections::HashMap<String, Vec<usize>>>,
}

enum Segment {
    Literal(String),
    Param,
}

impl RouteTable {
    /// From the OpenAPI document of the app.
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let patterns: Vec<String> = api.paths.paths.keys().cloned().collect();
        let routes: Vec<(Vec<Segment>, Vec<Method>)> = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(|s| {
                        if s.starts_with('{') && s.ends_with('}') {
                            Segment::Param
                        } else {
                            Segment::Literal(s.to_owned())
                        }
                    })
                    .collect();
                let mut methods = Vec::new();
                let ops = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                for (m, present) in ops {
                    if present {
                        methods.push(m);
                    }
                }
                (segments, methods)
            })
            .collect();
        let mut by_shape: std::collections::HashMap<
            usize,
            std::collections::HashMap<String, Vec<usize>>,
        > = Default::default();
        for (i, (segments, _)) in routes.iter().enumerate() {
            let first = match segments.first() {
                Some(Segment::Literal(l)) => l.clone(),
                _ => String::new(),
            };
            by_shape
                .entry(segments.len())
                .or_default()
                .entry(first)
                .or_default()
                .push(i);
        }
        let matches = |pattern: &[Segment], literal: &[Segment]| {
            pattern.len() == literal.len()
                && pattern.iter().zip(literal).all(|(p, l)| match (p, l) {
                    (Segment::Literal(a), Segment::Literal(b)) => a == b,
                    (Segment::Param, _) => true,
                    (Segment::Literal(_), Segment::Param) => false,
                })
        };
        let shadowed = routes
            .iter()
            .enumerate()
            .filter(|(i, (segments, _))| {
                segments.iter().all(|s| matches!(s, Segment::Literal(_)))
                    && routes
                        .iter()
                        .enumerate()
                        .any(|(j, (other, _))| j != *i && matches(other, segments))
            })
            .map(|(i, (_, methods))| {
                (
                    format!("/{}", patterns[i].trim_matches('/')),
                    methods.clone(),
                )
            })
            .collect();
        Self {
            routes,
            patterns,
            shadowed,
            by_shape,
        }
    }

    /// Whether `method` on `path` is one the router would give to a parameter route
    /// although the literal route that names the resource does not take it.
    pub fn shadows(&self, method: &Method, path: &str) -> bool {
        self.shadowed.iter().any(|(literal, methods)| {
            literal == path
                && !methods.contains(method)
                && method != Method::OPTIONS
                && !(method == Method::HEAD && methods.contains(&Method::GET))
        })
    }

    /// The index and pattern of the documented route `path` matches, if any.
    pub fn route_of(&self, path: &str) -> Option<(usize, &str)> {
        let trimmed = path.trim_matches('/');
        let count = trimmed.split('/').count();
        let first = trimmed.split('/').next().unwrap_or("");
        let shapes = self.by_shape.get(&count)?;
        let candidates = shapes.get(first).or_else(|| shapes.get(""))?;
        candidates.iter().copied().find_map(|i| {
            let matches = self.routes[i]
                .0
                .iter()
                .zip(trimmed.split('/'))
                .all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Param => !p.is_empty(),
                });
            matches.then(|| (i, self.patterns[i].as_str()))
        })
    }

    /// Methods allowed on `path`, empty when no route matches it. Where a literal route
    /// and a parameter route both match (`/pages/render` and `/pages/{page_id}`), the
    /// literal one names the resource.
    pub fn allowed_methods(&self, path: &str) -> Vec<Method> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut best: Option<(usize, Vec<Method>)> = None;
        for (segments, methods) in &self.routes {
            let matches = segments.len() == parts.len()
                && segments.iter().zip(&parts).all(|(s, p)| match s {
                    Segment::Literal(l) => l == p,
                    Segment::Param => !p.is_empty(),
                });
            if !matches {
                continue;
            }
            let literals = segments
                .iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count();
            match &mut best {
                Some((most, allowed)) if *most == literals => {
                    allowed.extend(methods.iter().cloned())
                }
                Some((most, _)) if *most > literals => {}
                _ => best = Some((literals, methods.clone())),
            }
        }
        best.map(|(_, allowed)| allowed).unwrap_or_default()
    }
}

/// The app's default service.
pub async fn unmatched(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    refuse(&req, &table)
}

/// 404 `route_not_found`, or 405 with `Allow` where the path takes other methods.
pub fn refuse(req: &HttpRequest, table: &RouteTable) -> HttpResponse {
    let allowed = table.allowed_methods(req.path());
    if allowed.is_empty() {
        return AppError::new(ErrorCode::RouteNotFound).error_response();
    }
    if req.method() == Method::OPTIONS {
        let mut res = HttpResponse::NoContent();
        res.insert_header((header::ALLOW, join(&allowed)));
        return res.finish();
    }
    let mut res = AppError::new(ErrorCode::MethodNotAllowed)
        .with_details(serde_json::json!({
            "allowed": allowed.iter().map(Method::as_str).collect::<Vec<_>>()
        }))
        .error_response();
    res.headers_mut().insert(
        header::ALLOW,
        header::HeaderValue::from_str(&join(&allowed)).expect("method names are ASCII"),
    );
    res
}

fn join(methods: &[Method]) -> String {
    methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}
