//! The web console: `web/dist` (built by Vite, committed) embedded into the binary and
//! served under `/console/`, so a machine without Node serves it. Unknown paths under
//! `/console/` answer `index.html` (the router's history mode), but a missing file under
//! `/console/assets/` is a 404: a stale chunk after an upgrade must fail visibly.

use crate::state::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use include_dir::{Dir, include_dir};

static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/web/dist");

/// Hashed build output: cached for a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Registers `/` (a redirect) and `/console/…`; none of these are API routes, so they stay
/// out of the OpenAPI document.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/console", web::get().to(serve))
        .route("/console/{tail:.*}", web::get().to(serve));
}

async fn root() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/console/"))
        .finish()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The origins, besides our own, that serve images and video the console shows: the
/// public client URL (asset URLs are built from it) and the object store's when assets
/// redirect there.
fn media_origins(state: &AppState) -> String {
    let mut origins: Vec<String> = Vec::new();
    let candidates = [
        Some(state.settings.client.public_base_url.as_str()),
        state.settings.storage.s3_endpoint.as_deref(),
    ];
    for url in candidates.into_iter().flatten() {
        if let Ok(u) = url::Url::parse(url) {
            let origin = u.origin().ascii_serialization();
            if origin != "null" && !origins.contains(&origin) {
                origins.push(origin);
            }
        }
    }
    origins.join(" ")
}

/// The Content-Security-Policy of every console response: only what the console loads.
pub fn content_security_policy(state: &AppState) -> String {
    let media = media_origins(state);
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob: {media}; media-src 'self' blob: {media}; \
         connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

fn with_security_headers(state: &AppState, mut res: HttpResponse) -> HttpResponse {
    let headers = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(state)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

fn not_found(state: &AppState, what: &str) -> HttpResponse {
    with_security_headers(
        state,
        HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body(format!("{what} is not part of this console build\n")),
    )
}

/// A file of the console build: from `http.console_dir` when set, else embedded.
fn console_file(state: &AppState, path: &str) -> Option<std::borrow::Cow<'static, [u8]>> {
    if path.is_empty() || path.split('/').any(|part| part == ".." || part.is_empty()) {
        return None;
    }
    match &state.settings.http.console_dir {
        Some(dir) => std::fs::read(dir.join(path))
            .ok()
            .map(std::borrow::Cow::Owned),
        None => DIST
            .get_file(path)
            .map(|f| std::borrow::Cow::Borrowed(f.contents())),
    }
}

async fn serve(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let path = req
        .path()
        .trim_start_matches("/console")
        .trim_start_matches('/');
    if let Some(contents) = console_file(&state, path) {
        let cache = if path.starts_with("assets/") {
            IMMUTABLE
        } else {
            "no-cache"
        };
        return with_security_headers(
            &state,
            HttpResponse::Ok()
                .content_type(content_type(path))
                .insert_header((header::CACHE_CONTROL, cache))
                .body(contents),
        );
    }
    if path.starts_with("assets/") {
        return not_found(&state, req.path());
    }
    match console_file(&state, "index.html") {
        Some(index) => with_security_headers(
            &state,
            HttpResponse::Ok()
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-cache"))
                .body(index),
        ),
        None => not_found(&state, "the console"),
    }
}
