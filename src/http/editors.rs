//! Merchant editors: the merchant admin (or staff) creates, lists and disables them.
//! Creating and disabling are merchant writes, so SPEC §2.3's table applies.

use super::extract::{JsonBody, TenantAccess};
use crate::domain::ids::UserId;
use crate::domain::role::Role;
use crate::domain::username::Username;
use crate::error::{AppResult, ErrorBody};
use crate::services::RequestMeta;
use crate::services::accounts::{self, AccountView, CreatedAccount};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the editor routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_editors)
        .service(create_editor)
        .service(disable_editor)
        .service(enable_editor)
        .service(reset_editor_password);
}

const MANAGERS: &[Role] = &[Role::AgencyAdmin, Role::AccountManager, Role::MerchantAdmin];

/// A new editor.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEditorRequest {
    /// Login name.
    #[schema(value_type = crate::domain::username::Username)]
    pub username: String,
    /// Display name.
    #[schema(value_type = crate::domain::text::PersonName)]
    pub display_name: String,
}

/// The tenant's users.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    /// Oldest first.
    pub items: Vec<AccountView>,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// The tenant's merchant users (its admin and editors).
#[utoipa::path(tag = "editors", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = UserList), (status = 403, description = "Editors cannot manage users", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/editors")]
async fn list_editors(
    state: web::Data<AppState>,
    access: TenantAccess,
) -> AppResult<web::Json<UserList>> {
    access.require(MANAGERS)?;
    Ok(web::Json(UserList {
        items: accounts::list_tenant_users(&state, access.tenant).await?,
        next_cursor: None,
    }))
}

/// Creates an editor with a one-time password (shown only here).
#[utoipa::path(tag = "editors", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), request_body = CreateEditorRequest, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = CreatedAccount),
        (status = 403, description = "`forbidden`, `tenant_pending`, `tenant_on_hold`, `tenant_frozen`", body = ErrorBody),
        (status = 409, description = "`already_exists`", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/editors")]
async fn create_editor(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    body: JsonBody<CreateEditorRequest>,
) -> AppResult<HttpResponse> {
    access.require(MANAGERS)?;
    access.merchant_write()?;
    let body = body.0;
    let username = Username::parse(&body.username, "username")?;
    let display_name = accounts::parse_display_name(&body.display_name, "display_name")?;
    let created = accounts::create_editor(
        &state,
        access.user(),
        &meta,
        access.tenant,
        username,
        display_name,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(crate::http::NO_STORE)
        .json(created))
}

/// Disables an editor; its sessions end at once. Idempotent.
#[utoipa::path(tag = "editors", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("user_id" = uuid::Uuid, Path, description = "Editor id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = AccountView), (status = 403, description = "Not allowed in this role or state", body = ErrorBody), (status = 404, description = "No such editor", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/editors/{user_id}/disable")]
async fn disable_editor(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<web::Json<AccountView>> {
    set_disabled(&state, &access, &meta, UserId(path.1), true).await
}

/// Enables a disabled editor again (its old password works again). Idempotent.
#[utoipa::path(tag = "editors", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("user_id" = uuid::Uuid, Path, description = "Editor id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = AccountView), (status = 403, description = "Not allowed in this role or state", body = ErrorBody), (status = 404, description = "No such editor", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/editors/{user_id}/enable")]
async fn enable_editor(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<web::Json<AccountView>> {
    set_disabled(&state, &access, &meta, UserId(path.1), false).await
}

async fn set_disabled(
    state: &AppState,
    access: &TenantAccess,
    meta: &RequestMeta,
    editor: UserId,
    disabled: bool,
) -> AppResult<web::Json<AccountView>> {
    access.require(MANAGERS)?;
    access.merchant_write()?;
    Ok(web::Json(
        accounts::set_editor_disabled(state, access.user(), meta, access.tenant, editor, disabled)
            .await?,
    ))
}

/// Issues an editor a new one-time password (shown only here): the old password stops
/// working and the editor's sessions end.
#[utoipa::path(tag = "editors", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("user_id" = uuid::Uuid, Path, description = "Editor id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = CreatedAccount), (status = 403, description = "Not allowed in this role or state", body = ErrorBody), (status = 404, description = "No such editor", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/editors/{user_id}/one-time-password")]
async fn reset_editor_password(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<HttpResponse> {
    access.require(MANAGERS)?;
    access.merchant_write()?;
    let created = accounts::reset_editor_password(
        &state,
        access.user(),
        &meta,
        access.tenant,
        UserId(path.1),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(crate::http::NO_STORE)
        .json(created))
}
