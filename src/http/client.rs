//! The public client API the mini-program calls, keyed by appid, without login. Answers
//! come from memory after the first hit; SPEC §2.3 decides content or the suspended
//! payload.

use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::services::client_cache::{Cached, Lookup, TenantEntry};
use crate::services::meter::Outcome;
use crate::state::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, web};
use std::sync::Arc;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the client routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(client_app)
        .service(client_version)
        .service(client_page)
        .service(client_preview)
        .service(client_asset);
}

/// The token of a draft preview.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PreviewTokenQuery {
    /// The token of a preview link (`POST /api/v1/pages/{page_id}/preview-link`).
    pub token: String,
}

/// A page's draft, rendered as the client API would serve it once published, for a valid
/// preview token of this tenant and page (never cached).
#[utoipa::path(tag = "client", params(("appid" = String, Path, description = "Mini-program appid"), ("slug" = String, Path, description = "Page slug"), PreviewTokenQuery),
    responses((status = 200, description = "The draft's rendering, or the suspended payload"),
        (status = 403, description = "`preview_token_invalid` or `preview_token_expired`: show the published page", body = ErrorBody),
        (status = 404, description = "Unknown appid", body = ErrorBody)))]
#[get("/client/v1/{appid}/preview/{slug}")]
async fn client_preview(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    q: crate::http::extract::Query<PreviewTokenQuery>,
) -> AppResult<HttpResponse> {
    let (appid, slug) = path.into_inner();
    let entry = entry(&state, &req, &appid).await?;
    if let Some(suspended) = &entry.suspended {
        return Ok(respond(&state, &req, &entry, suspended));
    }
    let draft =
        crate::services::preview_links::draft(&state, entry.tenant, &slug, &q.token).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(draft.bytes))
}

fn referer_ok(req: &HttpRequest, state: &AppState, appid: &str) -> bool {
    if !state.settings.client.referer_check {
        return true;
    }
    req.headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.strip_prefix("https://servicewechat.com/"))
        .and_then(|r| r.split('/').next())
        .is_some_and(|a| a == appid)
}

async fn entry(state: &AppState, req: &HttpRequest, appid: &str) -> AppResult<Arc<TenantEntry>> {
    if !referer_ok(req, state, appid) {
        return Err(AppError::new(ErrorCode::Forbidden));
    }
    match state.client_cache.tenant(state, appid).await? {
        Lookup::Unknown => Err(AppError::new(ErrorCode::NotFound)),
        Lookup::Tenant(t) => Ok(t),
    }
}

/// Sends `doc`, or 304 when `If-None-Match` already names it.
fn respond(state: &AppState, req: &HttpRequest, entry: &TenantEntry, doc: &Cached) -> HttpResponse {
    respond_with(state, req, entry, doc, &state.client_cache.cache_control)
}

fn respond_with(
    state: &AppState,
    req: &HttpRequest,
    entry: &TenantEntry,
    doc: &Cached,
    cache_control: &HeaderValue,
) -> HttpResponse {
    let fresh = req.headers().get(header::IF_NONE_MATCH).is_some_and(|v| {
        v.as_bytes().split(|b| *b == b',').any(|t| {
            t.trim_ascii()
                .trim_ascii_start()
                .strip_prefix(b"W/")
                .unwrap_or(t.trim_ascii())
                == doc.etag.as_bytes()
        })
    });
    let (mut res, outcome) = if fresh {
        (HttpResponse::NotModified(), Outcome::NotModified)
    } else {
        (HttpResponse::Ok(), Outcome::Served)
    };
    state.meter.record(entry.tenant, doc.slug.as_ref(), outcome);
    res.insert_header((header::ETAG, doc.etag.clone()))
        .insert_header((header::CACHE_CONTROL, cache_control.clone()));
    if fresh {
        res.finish()
    } else {
        res.content_type("application/json").body(doc.bytes.clone())
    }
}

fn throttled(state: &AppState, entry: &TenantEntry) -> Option<HttpResponse> {
    if entry.admit() {
        return None;
    }
    state.meter.record(entry.tenant, None, Outcome::Throttled);
    Some(actix_web::ResponseError::error_response(
        &AppError::new(ErrorCode::TooManyAttempts).with_retry_after(1),
    ))
}

/// The app config: page list, tab bar, theme, tenant name, content version.
#[utoipa::path(tag = "client", params(("appid" = String, Path, description = "Mini-program appid")),
    responses((status = 200, description = "App config, or the suspended payload `{suspended: true, reason, name, message, contact}`"),
        (status = 304, description = "Not modified"), (status = 404, description = "Unknown appid", body = ErrorBody),
        (status = 429, description = "Over the plan's rate", body = ErrorBody)))]
#[get("/client/v1/{appid}/app")]
async fn client_app(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    serve(&state, &req, ClientRoute::App(&path)).await
}

/// The content version: re-download the app config and pages only when it changes.
#[utoipa::path(tag = "client", params(("appid" = String, Path, description = "Mini-program appid")),
    responses((status = 200, description = "`{content_version}`"), (status = 304, description = "Not modified"), (status = 404, description = "Unknown appid", body = ErrorBody)))]
#[get("/client/v1/{appid}/version")]
async fn client_version(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    serve(&state, &req, ClientRoute::Version(&path)).await
}

/// A published page's rendered JSON.
#[utoipa::path(tag = "client", params(("appid" = String, Path, description = "Mini-program appid"), ("slug" = String, Path, description = "Page slug")),
    responses((status = 200, description = "The page, or the suspended payload"), (status = 304, description = "Not modified"),
        (status = 404, description = "Unknown appid or slug, unpublished or taken down", body = ErrorBody), (status = 429, description = "Over the plan's rate", body = ErrorBody)))]
#[get("/client/v1/{appid}/pages/{slug}")]
async fn client_page(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    let appid = req.match_info().get("appid").unwrap_or("");
    let slug = req.match_info().get("slug").unwrap_or("");
    serve(&state, &req, ClientRoute::Page(appid, slug)).await
}

/// A document route of the client API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientRoute<'a> {
    /// `/client/v1/{appid}/app`.
    App(&'a str),
    /// `/client/v1/{appid}/version`.
    Version(&'a str),
    /// `/client/v1/{appid}/pages/{slug}`.
    Page(&'a str, &'a str),
}

/// The document route `path` names, matched by splitting it: the request middleware
/// serves these before actix's router, whose per-resource regexes cost a fifth of the CPU
/// of a cached answer (profiled). Paths with percent-escapes go through the router.
pub fn client_route(path: &str) -> Option<ClientRoute<'_>> {
    let rest = path.strip_prefix("/client/v1/")?;
    if rest.contains('%') {
        return None;
    }
    let mut parts = rest.split('/');
    let appid = parts.next().filter(|a| !a.is_empty())?;
    match (parts.next()?, parts.next(), parts.next()) {
        ("app", None, _) => Some(ClientRoute::App(appid)),
        ("version", None, _) => Some(ClientRoute::Version(appid)),
        ("pages", Some(slug), None) if !slug.is_empty() => Some(ClientRoute::Page(appid, slug)),
        _ => None,
    }
}

/// Answers the document route of `req`'s path (404 when it names none).
pub async fn serve_path(state: &AppState, req: &HttpRequest) -> AppResult<HttpResponse> {
    match client_route(req.path()) {
        Some(route) => serve(state, req, route).await,
        None => Err(AppError::new(ErrorCode::NotFound)),
    }
}

/// Answers a document route from memory (content, suspended payload, 304, 404, 429).
pub async fn serve(
    state: &AppState,
    req: &HttpRequest,
    route: ClientRoute<'_>,
) -> AppResult<HttpResponse> {
    // Read before the lookup: a copy made from what the lookup finds is kept only if no
    // invalidation happened meanwhile.
    let generation = state.client_cache.generation();
    let appid = match route {
        ClientRoute::App(a) | ClientRoute::Version(a) | ClientRoute::Page(a, _) => a,
    };
    let entry = entry(state, req, appid).await?;
    if let Some(res) = throttled(state, &entry) {
        return Ok(res);
    }
    let doc = match route {
        ClientRoute::App(_) => entry.suspended.clone().unwrap_or_else(|| entry.app.clone()),
        ClientRoute::Version(_) => entry.version_doc.clone(),
        ClientRoute::Page(_, slug) => match &entry.suspended {
            Some(suspended) => suspended.clone(),
            None => state
                .client_cache
                .page(state, &entry, slug)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::NotFound))?,
        },
    };
    local::remember(state, req.path(), generation, &entry, &doc);
    Ok(respond(state, req, &entry, &doc))
}

/// Answers `req` from this worker thread's copy of its document, when it has one — the
/// hot path: no lock, no reference count and no cache line shared with the other workers
/// except the read-mostly invalidation generation (and the tenant's limiter). `None`: the
/// caller takes the shared path ([`serve_path`]).
pub fn serve_local(state: &AppState, req: &HttpRequest) -> Option<HttpResponse> {
    local::serve(state, req)
}

mod local {
    use super::{ClientRoute, client_route, referer_ok, respond_with, throttled};
    use crate::services::client_cache::{Cached, TenantEntry};
    use crate::state::AppState;
    use actix_web::http::header::HeaderValue;
    use actix_web::web::Bytes;
    use actix_web::{HttpRequest, HttpResponse};
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::sync::Arc;

    /// Bytes of documents one worker keeps (beyond it the copies start over).
    const MAX_BYTES: usize = 32 << 20;
    /// Larger documents are served from the shared cache only.
    const MAX_DOC: usize = 1 << 20;

    struct Doc {
        entry: Arc<TenantEntry>,
        doc: Cached,
    }

    #[derive(Default)]
    struct Docs {
        generation: u64,
        bytes: usize,
        by_path: HashMap<Box<str>, Doc>,
        cache_control: Option<HeaderValue>,
    }

    impl Docs {
        fn sync(&mut self, generation: u64) {
            if self.generation != generation {
                self.by_path.clear();
                self.bytes = 0;
                self.generation = generation;
            }
        }
    }

    thread_local! {
        static DOCS: RefCell<Docs> = RefCell::new(Docs::default());
    }

    /// A copy whose reference counts belong to this thread.
    fn own_copy(doc: &Cached) -> Cached {
        Cached {
            slug: doc.slug.as_deref().map(Arc::from),
            bytes: Bytes::copy_from_slice(&doc.bytes),
            etag: HeaderValue::from_bytes(doc.etag.as_bytes()).unwrap_or_else(|_| doc.etag.clone()),
        }
    }

    pub(super) fn remember(
        state: &AppState,
        path: &str,
        generation: u64,
        entry: &Arc<TenantEntry>,
        doc: &Cached,
    ) {
        if doc.bytes.len() > MAX_DOC || path.contains('%') {
            return;
        }
        DOCS.with_borrow_mut(|docs| {
            docs.sync(state.client_cache.generation());
            if docs.generation != generation {
                return;
            }
            if docs.bytes + doc.bytes.len() > MAX_BYTES {
                docs.by_path.clear();
                docs.bytes = 0;
            }
            docs.bytes += doc.bytes.len();
            docs.by_path.insert(
                path.into(),
                Doc {
                    entry: entry.clone(),
                    doc: own_copy(doc),
                },
            );
        });
    }

    pub(super) fn serve(state: &AppState, req: &HttpRequest) -> Option<HttpResponse> {
        DOCS.with_borrow_mut(|docs| {
            docs.sync(state.client_cache.generation());
            let Docs {
                by_path,
                cache_control,
                ..
            } = docs;
            let local = by_path.get(req.path())?;
            if state.settings.client.referer_check {
                let appid = match client_route(req.path())? {
                    ClientRoute::App(a) | ClientRoute::Version(a) | ClientRoute::Page(a, _) => a,
                };
                if !referer_ok(req, state, appid) {
                    return None; // the shared path answers 403
                }
            }
            if let Some(res) = throttled(state, &local.entry) {
                return Some(res);
            }
            let cache_control = cache_control.get_or_insert_with(|| {
                let shared = &state.client_cache.cache_control;
                HeaderValue::from_bytes(shared.as_bytes()).unwrap_or_else(|_| shared.clone())
            });
            Some(respond_with(
                state,
                req,
                &local.entry,
                &local.doc,
                cache_control,
            ))
        })
    }
}

/// An asset, for phones: served with its detected type (folder backend, system
/// placeholders) or a redirect to a short-lived presigned URL (S3). Only while the tenant
/// is not suspended and a live published page or the tab bar uses it; on its own budget
/// (`client_rps × client.asset_rps_multiplier`) and meter; cached for
/// `client.asset_max_age_secs` so a takedown reaches phones within minutes. No Referer
/// check: image loads carry none. The console loads images through signed links instead
/// (`GET /api/v1/links/{token}/assets/{asset_id}`).
#[utoipa::path(tag = "client", params(("appid" = String, Path, description = "Mini-program appid"), ("asset_id" = String, Path, description = "Asset id")),
    responses((status = 200, description = "The bytes"), (status = 302, description = "Redirect to a presigned URL"),
        (status = 404, description = "Unknown appid or asset, or not served: the tenant is suspended or no live page uses it", body = ErrorBody),
        (status = 429, description = "Over the tenant's asset budget", body = ErrorBody)))]
#[get("/client/v1/{appid}/assets/{asset_id}")]
async fn client_asset(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (appid, asset_id) = path.into_inner();
    if let Some(sys) = state.catalog.system_asset(&asset_id) {
        return Ok(system_asset(sys));
    }
    let entry = match state.client_cache.tenant(&state, &appid).await? {
        Lookup::Tenant(t) => t,
        Lookup::Unknown => return Err(AppError::new(ErrorCode::NotFound)),
    };
    if !entry.serves_asset(&asset_id) {
        return Err(AppError::new(ErrorCode::NotFound));
    }
    if !entry.admit_asset() {
        state.meter.record_asset(entry.tenant, true);
        return Err(AppError::new(ErrorCode::TooManyAttempts).with_retry_after(1));
    }
    state.meter.record_asset(entry.tenant, false);
    let Ok(id) = uuid::Uuid::parse_str(&asset_id) else {
        return Err(AppError::new(ErrorCode::NotFound));
    };
    let max_age = state.settings.client.asset_max_age_secs;
    serve_asset(
        &state,
        entry.tenant,
        id,
        &format!("public, max-age={max_age}"),
    )
    .await
}

/// A system placeholder: the same for every tenant, never changes.
pub fn system_asset(sys: &crate::render::catalog::SystemAsset) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(sys.content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
        .body(sys.bytes.clone())
}

/// Asset `id` of `tenant`: a redirect to a presigned URL that lives as long as the cache
/// lifetime (S3), or the bytes with `cache_control`.
pub async fn serve_asset(
    state: &AppState,
    tenant: crate::domain::ids::TenantId,
    id: uuid::Uuid,
    cache_control: &str,
) -> AppResult<HttpResponse> {
    let asset = crate::services::assets::get(state, tenant, id).await?;
    let ttl = u64::from(state.settings.client.asset_max_age_secs.max(60));
    if let Some(url) = state
        .store
        .presigned_get(&asset.storage_key, std::time::Duration::from_secs(ttl))
        .await
        .map_err(AppError::internal)?
    {
        return Ok(HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish());
    }
    let bytes = state
        .store
        .get(&asset.storage_key)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    Ok(HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, cache_control.to_owned()))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_routes_are_matched_by_segments() {
        let a = "wxba5fad812f8e6fb9";
        assert_eq!(
            client_route(&format!("/client/v1/{a}/app")),
            Some(ClientRoute::App(a))
        );
        assert_eq!(
            client_route(&format!("/client/v1/{a}/version")),
            Some(ClientRoute::Version(a))
        );
        assert_eq!(
            client_route(&format!("/client/v1/{a}/pages/home")),
            Some(ClientRoute::Page(a, "home"))
        );
        for other in [
            "/client/v1//app".to_owned(),
            format!("/client/v1/{a}/app/x"),
            format!("/client/v1/{a}/pages/"),
            format!("/client/v1/{a}/pages/a/b"),
            format!("/client/v1/{a}/assets/x"),
            format!("/client/v1/{a}/pages/h%6Fme"),
            "/client/v2/x/app".to_owned(),
        ] {
            assert_eq!(client_route(&other), None, "{other}");
        }
    }
}
