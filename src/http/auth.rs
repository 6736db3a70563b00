//! Sign-in, token refresh, logout, password change, and the signed-in account.

use super::extract::{AuthenticatedAnyState, JsonBody};
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::Query;
use crate::services::RequestMeta;
use crate::services::accounts::AccountView;
use crate::services::sessions::{self, TokenPair};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
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
        .service(me);
}

/// Credentials.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
    /// The refresh token from the last login or refresh.
    pub refresh_token: String,
}

/// Password change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
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
    meta: RequestMeta,
    body: JsonBody<LoginRequest>,
) -> AppResult<web::Json<TokenPair>> {
    let body = body.0;
    Ok(web::Json(
        sessions::login(&state, &body.username, &body.password, &meta).await?,
    ))
}

/// Exchanges a refresh token for a new access token and refresh token. Each refresh token
/// works once; presenting a used one revokes the whole session.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = TokenPair),
        (status = 401, description = "`invalid_refresh_token`, `account_disabled`", body = ErrorBody),
    )
)]
#[post("/auth/refresh")]
async fn refresh(
    state: web::Data<AppState>,
    meta: RequestMeta,
    body: JsonBody<RefreshRequest>,
) -> AppResult<web::Json<TokenPair>> {
    Ok(web::Json(
        sessions::refresh(&state, &body.0.refresh_token, &meta).await?,
    ))
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
    Ok(HttpResponse::NoContent().finish())
}

/// Changes the password. Required first after a system-issued one-time password; every
/// other session ends and new tokens are returned.
#[utoipa::path(
    tag = "auth",
    request_body = ChangePasswordRequest,
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
    meta: RequestMeta,
    auth: AuthenticatedAnyState,
    body: JsonBody<ChangePasswordRequest>,
) -> AppResult<web::Json<TokenPair>> {
    let body = body.0;
    Ok(web::Json(
        sessions::change_password(
            &state,
            auth.0.user.id,
            &body.current_password,
            &body.new_password,
            &meta,
        )
        .await?,
    ))
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
