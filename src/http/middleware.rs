//! The outermost middleware: gives every request an id (`X-Request-Id`, and a span so
//! every log line carries it), sets the message language, turns any non-JSON error answer
//! (CORS refusals, framework errors) into the JSON error shape, counts and times requests,
//! and writes the access log line.

use super::extract::{LoggedTenant, RequestId};
use crate::error::{AppError, ErrorCode, Lang, REQUEST_LANG};
use crate::state::AppState;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use std::time::Instant;
use tracing::Instrument;

/// Response and request header carrying the request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A process-unique request id: a random per-process prefix, the thread's number and a
/// per-thread counter, so the hot path pays neither a system call for randomness, nor a
/// clock read, nor a counter shared between the workers' cores.
fn next_request_id() -> String {
    use std::cell::Cell;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU32, Ordering};
    static PREFIX: OnceLock<String> = OnceLock::new();
    static THREADS: AtomicU32 = AtomicU32::new(0);
    thread_local! {
        static THREAD: u32 = THREADS.fetch_add(1, Ordering::Relaxed);
        static COUNTER: Cell<u64> = const { Cell::new(0) };
    }
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::now_v7().simple().to_string()[16..].to_owned());
    let n = COUNTER.with(|c| {
        let n = c.get();
        c.set(n + 1);
        n
    });
    THREAD.with(|t| format!("{prefix}-{t:x}-{n:x}"))
}

fn accepted_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = !value.is_empty()
        && value.len() <= 64
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| value.to_owned())
}

/// See the module documentation.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let request_id = accepted_request_id(&req).unwrap_or_else(next_request_id);
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let method = req.method().clone();
    let fast = state.as_ref().filter(|_| {
        matches!(method, Method::GET | Method::HEAD)
            && super::client::client_route(req.path()).is_some()
    });
    let (result, span) = match fast {
        // The client API's documents skip actix's router (see `client::client_route`).
        // They are the hot path: their span exists only when debug logging is on, and the
        // language matters only for an error (answers still carry `X-Request-Id`).
        Some(state) => {
            let span = tracing::debug_span!(
                "http_request",
                request_id = %request_id,
                method = %method,
                route = tracing::field::Empty,
                tenant.id = tracing::field::Empty,
            );
            let (http_req, _payload) = req.into_parts();
            let answer = match super::client::serve_local(state, &http_req) {
                Some(answer) => answer,
                None => super::client::serve_path(state, &http_req)
                    .instrument(span.clone())
                    .await
                    .unwrap_or_else(|e| REQUEST_LANG.sync_scope(lang, || e.error_response())),
            };
            (
                ServiceResponse::new(http_req, answer.map_into_boxed_body()),
                span,
            )
        }
        None => {
            req.extensions_mut().insert(RequestId(request_id.clone()));
            let span = tracing::info_span!(
                "http_request",
                request_id = %request_id,
                method = %method,
                route = tracing::field::Empty,
                tenant.id = tracing::field::Empty,
                user.id = tracing::field::Empty,
            );
            let table = req
                .app_data::<web::Data<super::fallback::RouteTable>>()
                .cloned();
            let result = match table.filter(|t| t.shadows(&method, req.path())) {
                // actix would hand `PUT /pages/render` to `PUT /pages/{page_id}`.
                Some(table) => {
                    let (http_req, _payload) = req.into_parts();
                    let answer = REQUEST_LANG
                        .sync_scope(lang, || super::fallback::refuse(&http_req, &table));
                    ServiceResponse::new(http_req, answer)
                }
                // An `Err` here comes from an inner middleware, not a handler (handlers'
                // errors are already responses); it propagates and the server renders it.
                None => REQUEST_LANG
                    .scope(lang, next.call(req).instrument(span.clone()))
                    .await?
                    .map_into_boxed_body(),
            };
            (result, span)
        }
    };
    let mut response = REQUEST_LANG.sync_scope(lang, || ensure_json_error(result));
    response.headers_mut().insert(
        HeaderName::from_static(REQUEST_ID_HEADER),
        HeaderValue::from_str(&request_id).unwrap_or_else(|_| HeaderValue::from_static("invalid")),
    );

    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    if let Some(state) = &state {
        // The client API's documents are counted per worker and flushed each second; other
        // routes are counted at once.
        observe(
            state,
            response.request(),
            &method,
            status,
            elapsed.as_secs_f64(),
            fast.is_some(),
        );
        if state.settings.log.access_log {
            let route = response
                .request()
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned());
            let tenant = response
                .request()
                .extensions()
                .get::<LoggedTenant>()
                .map(|t| t.0);
            span.record("route", route.as_str());
            let _entered = span.enter();
            tracing::info!(
                target: "access",
                status,
                path = %loggable_path(response.request().path()),
                tenant = tenant.map(|t| t.to_string()),
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                "request"
            );
        }
    }
    Ok(response)
}

/// Error answers that are not JSON yet (from the framework or other middleware) are
/// replaced by the JSON error for their status.
fn ensure_json_error(res: ServiceResponse<BoxBody>) -> ServiceResponse<BoxBody> {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return res;
    }
    let code = match status.as_u16() {
        400 => ErrorCode::BadRequest,
        401 => ErrorCode::Unauthenticated,
        403 => ErrorCode::Forbidden,
        404 => ErrorCode::RouteNotFound,
        405 => ErrorCode::MethodNotAllowed,
        413 => ErrorCode::PayloadTooLarge,
        415 => ErrorCode::UnsupportedMediaType,
        429 => ErrorCode::TooManyAttempts,
        503 => ErrorCode::ServiceUnavailable,
        s if s >= 500 => ErrorCode::InternalError,
        _ => ErrorCode::BadRequest,
    };
    let (req, old) = res.into_parts();
    let mut new = AppError::new(code).error_response();
    *new.status_mut() = status;
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().append(name.clone(), value.clone());
        }
    }
    ServiceResponse::new(req, new)
}

type RouteKey = (usize, usize, actix_web::http::Method, u16);

/// One route's metrics on one worker thread: updates stay in the thread and reach the
/// shared metrics on `flush` (two atomic updates of cache lines no other core writes per
/// request would otherwise be the largest shared cost of a cached answer).
struct LocalRoute {
    requests: prometheus::local::LocalIntCounter,
    duration: prometheus::local::LocalHistogram,
}

impl LocalRoute {
    fn flush(&self) {
        self.requests.flush();
        self.duration.flush();
    }
}

thread_local! {
    /// Metric handles per (registry, route, method, status) on this worker thread.
    static ROUTE_METRICS: std::cell::RefCell<std::collections::HashMap<RouteKey, LocalRoute>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
    /// Whether this thread runs the task that flushes batched counts each second.
    static FLUSHER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Counts and times one request; `batched` counts stay in the thread up to a second.
fn observe(
    state: &AppState,
    req: &actix_web::HttpRequest,
    method: &actix_web::http::Method,
    status: u16,
    seconds: f64,
    batched: bool,
) {
    // The route label comes from the app's route table (the OpenAPI document's), matched
    // by segments: actix's `match_pattern` walks its resource map with regexes per call.
    let table = req.app_data::<actix_web::web::Data<super::fallback::RouteTable>>();
    let Some((index, pattern)) = table.and_then(|t| t.route_of(req.path())) else {
        // Undocumented resources (Swagger UI) and unmatched requests: rare, no caching.
        let route = if req.match_name().is_some()
            || req.path().starts_with("/docs")
            || req.path() == "/openapi.json"
        {
            req.match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned())
        } else {
            "unmatched".to_owned()
        };
        state
            .metrics
            .http_requests
            .with_label_values(&[route.as_str(), method.as_str(), &status.to_string()])
            .inc();
        state
            .metrics
            .http_duration
            .with_label_values(&[route.as_str(), method.as_str()])
            .observe(seconds);
        return;
    };
    let registry = std::sync::Arc::as_ptr(&state.metrics) as usize;
    let key = (registry, index, method.clone(), status);
    ROUTE_METRICS.with_borrow_mut(|cache| {
        let local = cache.entry(key).or_insert_with(|| LocalRoute {
            requests: state
                .metrics
                .http_requests
                .with_label_values(&[pattern, method.as_str(), &status.to_string()])
                .local(),
            duration: state
                .metrics
                .http_duration
                .with_label_values(&[pattern, method.as_str()])
                .local(),
        });
        local.requests.inc();
        local.duration.observe(seconds);
        if !batched {
            local.flush();
        }
    });
    if batched && !FLUSHER.get() {
        FLUSHER.set(true);
        actix_web::rt::spawn(async {
            loop {
                actix_web::rt::time::sleep(std::time::Duration::from_secs(1)).await;
                ROUTE_METRICS.with_borrow(|cache| cache.values().for_each(LocalRoute::flush));
            }
        });
    }
}

/// Paths whose last segment is a credential: the SMS receipt endpoint's token and signed
/// links.
const CREDENTIAL_PATHS: [(&str, &str); 2] = [
    ("/sms/receipts/", "/sms/receipts/[redacted]"),
    ("/api/v1/links/", "/api/v1/links/[redacted]"),
];

/// The path as access lines show it: a path segment that is a credential is replaced, so
/// logs never hold it.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    CREDENTIAL_PATHS
        .iter()
        .find(|(prefix, _)| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| !rest.is_empty())
        })
        .map_or(std::borrow::Cow::Borrowed(path), |(_, shown)| {
            std::borrow::Cow::Borrowed(*shown)
        })
}
