//! Sign-in, token refresh, logout, password change, and the signed-in account.

use super::extract::{AuthenticatedAnyState, JsonBody};
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::Query;
use crate::services::RequestMeta;
use crate::services::accounts::AccountView;
use crate::services::sessions::{self, TokenPair};
use crate::state::AppState;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use entity::users;
use sea_orm::EntityTrait;
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the auth routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(refresh)
        .service(logout)
        .service(change_password)
        .service(me)
        .service(setup_status)
        .service(setup);
}

/// Whether first-run setup is still to be done.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SetupStatus {
    /// True while no agency admin exists.
    pub needed: bool,
}

/// The first agency admin, created at the setup address the service printed.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "the token printed in the service log", "username": "admin", "password": "a long passphrase of mine"}))]
pub struct SetupRequest {
    /// The token of the setup address (`/console/setup?token=…`).
    pub token: String,
    /// The admin's login name.
    pub username: String,
    /// The admin's password: 10–128 characters, not the username.
    pub password: String,
}

/// Whether first-run setup is still to be done (no agency admin exists).
#[utoipa::path(tag = "auth", responses((status = 200, description = "OK", body = SetupStatus)))]
#[get("/setup")]
async fn setup_status(state: web::Data<AppState>) -> AppResult<web::Json<SetupStatus>> {
    Ok(web::Json(SetupStatus {
        needed: crate::services::setup::needed(&state).await?,
    }))
}

/// Creates the first agency admin with the token the service printed at start, and signs
/// it in. Works once, and only while no agency admin exists.
#[utoipa::path(
    tag = "auth",
    request_body = SetupRequest,
    params(("X-Weapp-Client" = Option<String>, Header, description = "`console`: the refresh token is set as the `weapp_refresh` cookie")),
    responses(
        (status = 201, description = "Created and signed in", body = TokenPair),
        (status = 403, description = "`setup_token_invalid`", body = ErrorBody),
        (status = 404, description = "`setup_not_available`: an admin exists", body = ErrorBody),
        (status = 422, description = "A weak password or a malformed username", body = ErrorBody),
    )
)]
#[post("/setup")]
async fn setup(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: RequestMeta,
    body: JsonBody<SetupRequest>,
) -> AppResult<HttpResponse> {
    let b = body.0;
    let pair =
        crate::services::setup::complete(&state, &meta, &b.token, &b.username, &b.password).await?;
    Ok(token_response(&state, &req, HttpResponse::Created(), pair))
}

/// Credentials.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "alice", "password": "correct horse battery"}))]
pub struct LoginRequest {
    /// Login name (case-insensitive).
    #[schema(example = "alice")]
    pub username: String,
    /// Password or one-time password.
    pub password: String,
}

/// A refresh token to exchange.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh. The console sends none: with
    /// `X-Weapp-Client: console` the `weapp_refresh` cookie is used.
    pub refresh_token: Option<String>,
}

/// The header with which the console asks for cookie sessions.
pub const CLIENT_HEADER: &str = "X-Weapp-Client";
/// The HttpOnly cookie that carries the console's refresh token.
pub const REFRESH_COOKIE: &str = "weapp_refresh";
const COOKIE_PATH: &str = "/api/v1/auth";

/// Whether the request comes from the console (cookie sessions). A custom header cannot
/// be sent by a cross-site form, so the cookie never works for one.
fn from_console(req: &HttpRequest) -> bool {
    req.headers()
        .get(CLIENT_HEADER)
        .is_some_and(|v| v.as_bytes() == b"console")
}

fn refresh_cookie(state: &AppState, value: String, max_age_secs: i64) -> Cookie<'static> {
    let secure = state
        .settings
        .client
        .public_base_url
        .starts_with("https://");
    Cookie::build(REFRESH_COOKIE, value)
        .path(COOKIE_PATH)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age_secs))
        .finish()
}

/// Answers a token pair: to the console with the refresh token moved into the cookie,
/// to other clients in the body.
pub fn token_response(
    state: &AppState,
    req: &HttpRequest,
    mut builder: actix_web::HttpResponseBuilder,
    mut pair: TokenPair,
) -> HttpResponse {
    if from_console(req)
        && let Some(token) = pair.refresh_token.take()
    {
        let ttl = state.settings.auth.session_ttl_days * 86_400;
        builder.cookie(refresh_cookie(state, token, ttl));
    }
    builder.insert_header(crate::http::NO_STORE);
    builder.json(pair)
}

/// Password change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "Kq7-one-time-2026", "new_password": "a long passphrase of mine"}))]
pub struct ChangePasswordRequest {
    /// The current (or one-time) password.
    pub current_password: String,
    /// The new password: 10–128 characters, not the username.
    pub new_password: String,
}

/// Logout options.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct LogoutQuery {
    /// End every session of the account, not only this one.
    #[serde(default)]
    pub everywhere: bool,
}

/// Signs in. Five failed attempts for one username from one address lock it for 15
/// minutes (earlier failures impose shorter waits); unknown usernames answer exactly like
/// wrong passwords.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    params(("X-Weapp-Client" = Option<String>, Header, description = "`console`: the refresh token is set as the HttpOnly `weapp_refresh` cookie (path `/api/v1/auth`, SameSite=Strict) instead of the body")),
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "`invalid_credentials`, `account_disabled`, `password_expired`", body = ErrorBody),
        (status = 422, description = "Malformed body", body = ErrorBody),
        (status = 429, description = "`too_many_attempts`, with `Retry-After`", body = ErrorBody),
    )
)]
#[post("/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: RequestMeta,
    body: JsonBody<LoginRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let pair = sessions::login(&state, &body.username, &body.password, &meta).await?;
    Ok(token_response(&state, &req, HttpResponse::Ok(), pair))
}

/// Exchanges a refresh token for a new access token and refresh token. Each refresh token
/// works once; presenting a used one within 10 seconds answers its successor again (two
/// tabs refreshing at once, a lost answer), later it revokes the whole session.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    params(("X-Weapp-Client" = Option<String>, Header, description = "`console`: the refresh token is read from and set as the `weapp_refresh` cookie")),
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, description = "`invalid_refresh_token`, `account_disabled`", body = ErrorBody),
    )
)]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: RequestMeta,
    body: JsonBody<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let token = match body.0.refresh_token {
        Some(token) => token,
        None if from_console(&req) => req
            .cookie(REFRESH_COOKIE)
            .map(|c| c.value().to_owned())
            .ok_or_else(|| {
                crate::error::AppError::new(crate::error::ErrorCode::InvalidRefreshToken)
            })?,
        None => {
            return Err(crate::error::AppError::invalid_field(
                "refresh_token",
                crate::error::Localized::new("必填", "is required"),
            ));
        }
    };
    let pair = sessions::refresh(&state, &token, &meta).await?;
    Ok(token_response(&state, &req, HttpResponse::Ok(), pair))
}

/// Ends this session (or every session with `everywhere=true`): its refresh token and its
/// access tokens stop working.
#[utoipa::path(
    tag = "auth",
    params(LogoutQuery),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Not signed in", body = ErrorBody),
    )
)]
#[post("/auth/logout")]
async fn logout(
    state: web::Data<AppState>,
    auth: AuthenticatedAnyState,
    query: Query<LogoutQuery>,
) -> AppResult<HttpResponse> {
    let p = auth.0;
    sessions::logout(&state, p.user.id, p.session, query.everywhere).await?;
    Ok(HttpResponse::NoContent()
        .cookie(refresh_cookie(&state, String::new(), 0))
        .finish())
}

/// Changes the password. Required first after a system-issued one-time password; every
/// other session ends and new tokens are returned.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePasswordRequest,
    params(("X-Weapp-Client" = Option<String>, Header, description = "`console`: the new refresh token is set as the `weapp_refresh` cookie")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Changed; new tokens", body = TokenPair),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Wrong current password or a weak new one", body = ErrorBody),
        (status = 429, description = "Too many wrong current passwords", body = ErrorBody),
    )
)]
#[post("/auth/password")]
async fn change_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: RequestMeta,
    auth: AuthenticatedAnyState,
    body: JsonBody<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let pair = sessions::change_password(
        &state,
        auth.0.user.id,
        &body.current_password,
        &body.new_password,
        &meta,
    )
    .await?;
    Ok(token_response(&state, &req, HttpResponse::Ok(), pair))
}

/// The signed-in account.
#[utoipa::path(
    tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = AccountView),
        (status = 401, description = "Not signed in, or the token is invalid", body = ErrorBody),
    )
)]
#[get("/auth/me")]
async fn me(
    state: web::Data<AppState>,
    auth: AuthenticatedAnyState,
) -> AppResult<web::Json<AccountView>> {
    let user = users::Entity::find_by_id(auth.0.user.id.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| crate::error::AppError::new(crate::error::ErrorCode::InvalidToken))?;
    Ok(web::Json(user.into()))
}
