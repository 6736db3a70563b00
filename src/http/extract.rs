//! Extractors: JSON bodies with exact field errors, request facts, and authentication with
//! roles. Tenancy and roles come from here, never from a request body.

use crate::domain::ids::{SessionId, TenantId};
use crate::domain::role::Role;
use crate::domain::tenant::WriteRefusal;
use crate::error::{AppError, ErrorCode, Lang, Localized};
use crate::services::RequestMeta;
use crate::services::principals::{CachedTenant, CachedUser};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;
use std::sync::Arc;

/// Per-route body limit in bytes (`app_data` on a scope or resource); routes without one use
/// `http.body_limit_bytes`.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimit(pub usize);

/// The request id assigned by the request middleware.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The tenant a request acts for, recorded for the access log.
#[derive(Clone, Copy, Debug)]
pub struct LoggedTenant(pub TenantId);

/// A JSON body parsed into `T`. Wrong content type → 415, over the limit → 413, broken
/// JSON → 400 `invalid_json`, a well-formed body with a wrong field → 422 naming the field.
/// `LIMIT` (bytes) overrides `http.body_limit_bytes` for one route when non-zero.
pub struct JsonBody<T, const LIMIT: usize = 0>(pub T);

impl<T: DeserializeOwned + 'static, const LIMIT: usize> FromRequest for JsonBody<T, LIMIT> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = (LIMIT > 0)
            .then_some(LIMIT)
            .or_else(|| req.app_data::<BodyLimit>().map(|l| l.0))
            .or_else(|| {
                req.app_data::<web::Data<AppState>>()
                    .map(|s| s.settings.http.body_limit_bytes)
            })
            .unwrap_or(1024 * 1024);
        let content_type_ok = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                m.type_() == mime::APPLICATION
                    && (m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON))
            });
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(AppError::new(ErrorCode::UnsupportedMediaType));
            }
            let too_large = || {
                AppError::new(ErrorCode::PayloadTooLarge)
                    .with_details(serde_json::json!({ "limit_bytes": limit }))
            };
            if declared_len.is_some_and(|n| n > limit) {
                return Err(too_large());
            }
            let mut body = web::BytesMut::with_capacity(declared_len.unwrap_or(1024).min(limit));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|_| AppError::new(ErrorCode::BadRequest))?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            let parsed = parse_json(&body)?;
            // serde builds a struct from an array of its fields in order too (`[null, null]`
            // for two optional fields); every body here is an object.
            if body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
                return Err(AppError::invalid_field(
                    "body",
                    Localized::new("须为 JSON 对象", "must be a JSON object"),
                ));
            }
            Ok(JsonBody(parsed))
        })
    }
}

/// Parses JSON, telling syntax errors (400) from field errors (422 with the field path).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    // JSON is UTF-8 (RFC 8259); serde only notices bad bytes inside a string it decodes,
    // and would report them as a bad field value.
    if let Err(e) = std::str::from_utf8(body) {
        let before = &body[..e.valid_up_to()];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = before.len()
            - before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        return Err(
            AppError::new(ErrorCode::InvalidJson).with_details(serde_json::json!({
                "line": line,
                "column": column,
                "reason": "not UTF-8",
            })),
        );
    }
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(body) {
        return Err(
            AppError::new(ErrorCode::InvalidJson).with_details(serde_json::json!({
                "line": e.line(),
                "column": e.column(),
            })),
        );
    }
    if nesting_depth(body) > MAX_JSON_DEPTH {
        return Err(
            AppError::new(ErrorCode::InvalidJson).with_details(serde_json::json!({
                "reason": format!("nested more than {MAX_JSON_DEPTH} deep"),
            })),
        );
    }
    // JSON Schema counts `2.0` as an integer (and generated clients send it so); serde's
    // integers do not, so whole numbers written with a fraction are read as integers.
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(|_| AppError::new(ErrorCode::InvalidJson))?;
    let parsed = if integral_floats_to_integers(&mut value) {
        serde_path_to_error::deserialize(value)
    } else {
        let mut de = serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(&mut de)
    };
    parsed.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let reason = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        let field = match (path.as_str(), field_named_in(&reason)) {
            // serde reports a missing field at the object that lacks it: name the field.
            (".", Some(missing)) => missing.to_owned(),
            (".", None) => "body".to_owned(),
            (_, Some(missing)) if reason.starts_with("missing field") => {
                format!("{path}.{missing}")
            }
            _ => path,
        };
        AppError::invalid_field(field, super::serde_reason::explain(&reason)).with_reason(reason)
    })
}

/// Deepest nesting of arrays and objects a body may have (serde_json's own limit when it
/// builds values; skipping a value has none).
const MAX_JSON_DEPTH: usize = 128;

/// How deep arrays and objects nest in `body` (valid JSON: brackets inside strings are
/// skipped).
fn nesting_depth(body: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &b in body {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Rewrites every number that is whole but written with a fraction or an exponent (`2.0`,
/// `1e3`) as an integer, up to 2^53 where a float is still exact; tells whether it
/// changed anything.
fn integral_floats_to_integers(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() <= EXACT {
                *value = Value::from(f as i64);
                true
            } else {
                false
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, v| integral_floats_to_integers(v) | changed),
        Value::Object(map) => map
            .values_mut()
            .fold(false, |changed, v| integral_floats_to_integers(v) | changed),
        _ => false,
    }
}

/// The field a serde message names (`missing field `x``, `unknown field `x``).
fn field_named_in(reason: &str) -> Option<&str> {
    let rest = reason
        .strip_prefix("missing field `")
        .or_else(|| reason.strip_prefix("unknown field `"))?;
    rest.split('`').next().filter(|f| !f.is_empty())
}

/// A query string parsed into `T`. A bad one is 400 `invalid_query` with `details.field`
/// naming the parameter (actix's `web::Query` says only what went wrong, not where).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    /// The parsed value.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_query(req.query_string()).map(Query))
    }
}

/// Parses a query string, naming the parameter that does not parse.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let reason = e.into_inner().to_string();
        let field = match path.as_str() {
            "." => field_named_in(&reason).map(str::to_owned),
            _ => Some(path),
        };
        let explained = super::serde_reason::explain(&reason);
        let (zh, en) = (explained.get(Lang::Zh), explained.get(Lang::En));
        let error = AppError::new(ErrorCode::InvalidQuery).with_message(Localized::new(
            match &field {
                Some(f) => format!("查询参数 {f} {zh}。"),
                None => format!("查询参数{zh}。"),
            },
            match &field {
                Some(f) => format!("The query parameter {f} {en}."),
                None => format!("The query string {en}."),
            },
        ));
        match field {
            Some(field) => {
                error.with_details(serde_json::json!({"field": field, "reason": reason}))
            }
            None => error.with_details(serde_json::json!({"reason": reason})),
        }
    })
}

impl FromRequest for RequestMeta {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(request_meta(req)))
    }
}

/// The request's id and client address.
pub fn request_meta(req: &HttpRequest) -> RequestMeta {
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
    let trust_forwarded = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.settings.http.trust_forwarded_for);
    let forwarded = trust_forwarded
        .then(|| req.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty());
    let client_ip = forwarded.unwrap_or_else(|| {
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_else(|| "unknown".into())
    });
    RequestMeta {
        request_id,
        client_ip,
    }
}

/// A signed-in account whose token, account and session were checked.
#[derive(Clone, Debug)]
pub struct Principal {
    /// The account as currently stored (role and tenant re-checked on every request).
    pub user: Arc<CachedUser>,
    /// The session the token belongs to.
    pub session: SessionId,
}

impl Principal {
    /// The tenant of a merchant user.
    pub fn tenant(&self) -> Option<TenantId> {
        self.user.tenant_id
    }
}

async fn authenticate(req: HttpRequest) -> Result<Principal, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?
        .clone();
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::new(ErrorCode::Unauthenticated))?;
    let claims = state.jwt.verify(token, &state.clock)?;
    let user = state
        .principals
        .user(&state.db, claims.sub)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvalidToken))?;
    if user.disabled {
        return Err(AppError::new(ErrorCode::AccountDisabled));
    }
    if user.role != claims.role || user.tenant_id != claims.tid {
        return Err(AppError::new(ErrorCode::InvalidToken));
    }
    let session = state
        .principals
        .session(&state.db, claims.sid)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::SessionRevoked))?;
    if session.revoked || session.expires_at <= state.clock.now() {
        return Err(AppError::new(ErrorCode::SessionRevoked));
    }
    // A token is good only with its own session: a signed token naming another account's
    // live session (or another tenant) is refused.
    if session.user_id != claims.sub.0 || session.tenant_id != claims.tid.map(|t| t.0) {
        return Err(AppError::new(ErrorCode::InvalidToken));
    }
    if let Some(tenant) = user.tenant_id {
        let tenant_state = state.principals.tenant(&state.db, tenant).await?;
        if !tenant_state.is_some_and(|t| t.state.allows_merchant_reads()) {
            return Err(AppError::new(ErrorCode::InvalidToken));
        }
        req.extensions_mut().insert(LoggedTenant(tenant));
        tracing::Span::current().record("tenant.id", tracing::field::display(tenant));
    }
    tracing::Span::current().record("user.id", tracing::field::display(user.id));
    Ok(Principal {
        user,
        session: claims.sid,
    })
}

/// Any signed-in account that is not waiting to change a system-issued password.
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let principal = authenticate(req).await?;
            if principal.user.must_change_password {
                return Err(AppError::new(ErrorCode::PasswordChangeRequired));
            }
            Ok(Authenticated(principal))
        })
    }
}

/// A signed-in account, including one that must still change its system-issued password:
/// only for the password change, logout and reading one's own account.
pub struct AuthenticatedAnyState(pub Principal);

impl FromRequest for AuthenticatedAnyState {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(AuthenticatedAnyState(authenticate(req).await?)) })
    }
}

/// An agency admin.
pub struct AgencyAdmin(pub Principal);

impl FromRequest for AgencyAdmin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = Authenticated::from_request(req, payload);
        Box::pin(async move {
            let Authenticated(p) = fut.await?;
            if p.user.role != Role::AgencyAdmin {
                return Err(AppError::new(ErrorCode::Forbidden));
            }
            Ok(AgencyAdmin(p))
        })
    }
}

/// Agency staff: an agency admin or an account manager.
pub struct Staff(pub Principal);

impl FromRequest for Staff {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = Authenticated::from_request(req, payload);
        Box::pin(async move {
            let Authenticated(p) = fut.await?;
            if !p.user.role.is_staff() {
                return Err(AppError::new(ErrorCode::Forbidden));
            }
            Ok(Staff(p))
        })
    }
}

/// Access to the tenant named by the `{tenant_id}` path segment: agency admins reach every
/// tenant, account managers their assigned tenants, merchant users their own; anyone else
/// gets 404, so the existence of other tenants is not revealed.
pub struct TenantAccess {
    /// Who is asking.
    pub principal: Principal,
    /// The tenant.
    pub tenant: TenantId,
    /// Its cached state.
    pub cached: Arc<CachedTenant>,
}

impl FromRequest for TenantAccess {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = Authenticated::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let Authenticated(principal) = fut.await?;
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?
                .clone();
            let tenant = req
                .match_info()
                .get("tenant_id")
                .and_then(|raw| uuid::Uuid::parse_str(raw).ok())
                .map(TenantId)
                .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
            let cached = state
                .principals
                .tenant(&state.db, tenant)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
            let visible = match principal.user.role {
                Role::AgencyAdmin => true,
                Role::AccountManager => cached.account_manager_id == Some(principal.user.id),
                Role::MerchantAdmin | Role::MerchantEditor => {
                    principal.user.tenant_id == Some(tenant)
                }
            };
            if !visible {
                return Err(AppError::new(ErrorCode::NotFound));
            }
            req.extensions_mut().insert(LoggedTenant(tenant));
            tracing::Span::current().record("tenant.id", tracing::field::display(tenant));
            Ok(TenantAccess {
                principal,
                tenant,
                cached,
            })
        })
    }
}

impl TenantAccess {
    /// The caller's account.
    pub fn user(&self) -> &CachedUser {
        &self.principal.user
    }

    /// 403 unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.principal.user.role) {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::Forbidden))
        }
    }

    /// 403 unless the caller is agency staff.
    pub fn require_staff(&self) -> Result<(), AppError> {
        self.require(&[Role::AgencyAdmin, Role::AccountManager])
    }

    /// For merchant callers, refuses writes the tenant's state does not allow (SPEC §2.3):
    /// `tenant_pending`, `tenant_on_hold` (holds in details), `tenant_frozen` (deletion
    /// time in details). Staff actions are not merchant writes.
    pub fn merchant_write(&self) -> Result<(), AppError> {
        if self.principal.user.role.is_staff() {
            return Ok(());
        }
        refuse_merchant_write(&self.cached)
    }
}

/// SPEC §2.3's refusals of merchant writes for the tenant's current state.
pub fn refuse_merchant_write(cached: &CachedTenant) -> Result<(), AppError> {
    {
        match cached.state.merchant_write_refusal() {
            None => Ok(()),
            Some(WriteRefusal::Pending) => Err(AppError::new(ErrorCode::TenantPending)),
            Some(WriteRefusal::OnHold(holds)) => Err(AppError::new(ErrorCode::TenantOnHold)
                .with_details(serde_json::json!({
                    "holds": holds.iter().map(|h| h.as_str()).collect::<Vec<_>>()
                }))),
            Some(WriteRefusal::Frozen) => Err(AppError::new(ErrorCode::TenantFrozen)
                .with_details(serde_json::json!({ "delete_after": cached.delete_after }))),
            Some(WriteRefusal::Deleted) => Err(AppError::new(ErrorCode::NotFound)),
        }
    }
}

/// A merchant user acting on its own tenant (from the token): merchant routes under
/// `/api/v1/pages`, `/assets`, `/settings`, … Staff get 403 here; they reach tenants
/// through `/api/v1/tenants/{tenant_id}/…`.
pub struct MerchantAccess {
    /// Who is asking.
    pub principal: Principal,
    /// Their tenant.
    pub tenant: TenantId,
    /// Its cached state.
    pub cached: Arc<CachedTenant>,
}

impl FromRequest for MerchantAccess {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let fut = Authenticated::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let Authenticated(principal) = fut.await?;
            let tenant = match (principal.user.role.is_merchant(), principal.user.tenant_id) {
                (true, Some(t)) => t,
                _ => return Err(AppError::new(ErrorCode::Forbidden)),
            };
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("AppState missing")))?
                .clone();
            let cached = state
                .principals
                .tenant(&state.db, tenant)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
            Ok(MerchantAccess {
                principal,
                tenant,
                cached,
            })
        })
    }
}

impl MerchantAccess {
    /// The caller's account.
    pub fn user(&self) -> &CachedUser {
        &self.principal.user
    }

    /// 403 unless the caller is the merchant admin.
    pub fn require_admin(&self) -> Result<(), AppError> {
        if self.principal.user.role == Role::MerchantAdmin {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::Forbidden))
        }
    }

    /// SPEC §2.3's refusals for this tenant's state.
    pub fn write(&self) -> Result<(), AppError> {
        refuse_merchant_write(&self.cached)
    }
}

/// The `Idempotency-Key` header, if sent; 422 naming it when it is not ASCII text.
pub fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    req.headers()
        .get("idempotency-key")
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| {
            AppError::invalid_field(
                "Idempotency-Key",
                crate::error::Localized::new("须为 ASCII 文本", "must be ASCII text"),
            )
        })
}
