//! Tenants: provisioning, the agency list, the tenant view, contact and account-manager
//! changes, takedown holds and the merchant admin's one-time password.

use super::extract::{JsonBody, Staff, TenantAccess};
use crate::domain::role::Role;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::Query;
use crate::services::RequestMeta;
use crate::services::accounts::{self, CreatedAccount};
use crate::services::tenants::{
    self, ContactChangeView, ContactPatch, ProvisionInput, ProvisionResult, TenantFilter,
    TenantPage, TenantView,
};
use crate::state::AppState;
use actix_web::{HttpResponse, get, patch, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the tenant routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(provision_tenant)
        .service(list_tenants)
        .service(get_tenant)
        .service(change_tenant_contact)
        .service(set_tenant_appid)
        .service(change_tenant_account_manager)
        .service(get_contact_history)
        .service(set_takedown_hold)
        .service(lift_takedown_hold)
        .service(reset_merchant_admin_password)
        .service(dashboard);
}

/// What needs attention today: tenants by status and hold, terms ending within 30 days,
/// frozen tenants with their deletion dates, overdue tenants, the working-day calendar's
/// reach and dead jobs. Account managers see their own tenants.
#[utoipa::path(tag = "tenants", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = crate::services::dashboard::Dashboard),
        (status = 403, description = "Not staff", body = ErrorBody)))]
#[get("/dashboard")]
async fn dashboard(
    state: web::Data<AppState>,
    staff: Staff,
) -> AppResult<web::Json<crate::services::dashboard::Dashboard>> {
    Ok(web::Json(
        crate::services::dashboard::dashboard(&state, &staff.0.user).await?,
    ))
}

/// Provisions a tenant with its first contract and merchant admin (one transaction). The
/// merchant admin's one-time password is in this answer only.
#[utoipa::path(tag = "tenants", request_body = ProvisionInput, security(("bearer" = [])),
    responses(
        (status = 201, description = "Created (status `pending` until paid)", body = ProvisionResult),
        (status = 403, description = "Not staff, or an account manager provisioning for someone else", body = ErrorBody),
        (status = 409, description = "`already_exists`: the appid or username is taken", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody)))]
#[post("/tenants")]
async fn provision_tenant(
    state: web::Data<AppState>,
    staff: Staff,
    meta: RequestMeta,
    body: JsonBody<ProvisionInput>,
) -> AppResult<HttpResponse> {
    let created = tenants::provision(&state, &staff.0.user, &meta, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(crate::http::NO_STORE)
        .json(created))
}

/// Lists tenants with filters and their outstanding balance; account managers see only
/// their assigned tenants.
#[utoipa::path(tag = "tenants", params(TenantFilter), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = TenantPage), (status = 403, description = "Not staff", body = ErrorBody), (status = 422, description = "A filter is invalid", body = ErrorBody)))]
#[get("/tenants")]
async fn list_tenants(
    state: web::Data<AppState>,
    staff: Staff,
    filter: Query<TenantFilter>,
) -> AppResult<web::Json<TenantPage>> {
    Ok(web::Json(
        tenants::list_tenants(&state, &staff.0.user, filter.into_inner()).await?,
    ))
}

/// One tenant (staff with access, and its own merchant users).
#[utoipa::path(tag = "tenants", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = TenantView), (status = 404, description = "Not found or not yours", body = ErrorBody)))]
#[get("/tenants/{tenant_id}")]
async fn get_tenant(
    state: web::Data<AppState>,
    access: TenantAccess,
) -> AppResult<web::Json<TenantView>> {
    Ok(web::Json(tenants::get_tenant(&state, access.tenant).await?))
}

/// Changes the merchant contact (staff); the history keeps old → new with phones masked.
#[utoipa::path(tag = "tenants", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), request_body = ContactPatch, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = TenantView), (status = 403, description = "Not staff", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
#[patch("/tenants/{tenant_id}/contact")]
async fn change_tenant_contact(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    body: JsonBody<ContactPatch>,
) -> AppResult<web::Json<TenantView>> {
    access.require_staff()?;
    Ok(web::Json(
        tenants::change_contact(&state, access.user(), &meta, access.tenant, body.0).await?,
    ))
}

/// Sets or replaces the tenant's mini-program appid (agency admins), for a mini-program
/// bound outside the platform; audited. Published pages are rendered again with the new
/// asset URLs and the client API answers under the new appid at once.
#[utoipa::path(tag = "tenants", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), request_body = tenants::AppidInput, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = TenantView), (status = 403, description = "Not an agency admin", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 409, description = "`already_exists`: another tenant has the appid; `invalid_transition`: a WeChat authorization binds another appid", body = ErrorBody),
        (status = 422, description = "`appid` is not `wx` + 16 hex digits", body = ErrorBody)))]
#[put("/tenants/{tenant_id}/appid")]
async fn set_tenant_appid(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    body: JsonBody<tenants::AppidInput>,
) -> AppResult<web::Json<TenantView>> {
    access.require(&[crate::domain::role::Role::AgencyAdmin])?;
    Ok(web::Json(
        tenants::set_appid(&state, access.user(), &meta, access.tenant, body.0).await?,
    ))
}

/// The new account manager.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountManagerRequest {
    /// An enabled account manager.
    pub account_manager_id: uuid::Uuid,
}

/// Assigns another account manager (agency admins).
#[utoipa::path(tag = "tenants", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), request_body = AccountManagerRequest, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = TenantView), (status = 403, description = "Not an agency admin", body = ErrorBody), (status = 422, description = "Not an enabled account manager", body = ErrorBody)))]
#[put("/tenants/{tenant_id}/account-manager")]
async fn change_tenant_account_manager(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    body: JsonBody<AccountManagerRequest>,
) -> AppResult<web::Json<TenantView>> {
    access.require(&[Role::AgencyAdmin])?;
    Ok(web::Json(
        tenants::change_account_manager(
            &state,
            access.user(),
            &meta,
            access.tenant,
            body.0.account_manager_id,
        )
        .await?,
    ))
}

/// Contact history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContactHistory {
    /// Newest first.
    pub items: Vec<ContactChangeView>,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// The contact and account-manager history (phones masked).
#[utoipa::path(tag = "tenants", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ContactHistory), (status = 403, description = "Not staff", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/contact-history")]
async fn get_contact_history(
    state: web::Data<AppState>,
    access: TenantAccess,
) -> AppResult<web::Json<ContactHistory>> {
    access.require_staff()?;
    Ok(web::Json(ContactHistory {
        items: tenants::contact_history(&state, access.tenant).await?,
        next_cursor: None,
    }))
}

/// A reason, required for every takedown change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// Why (shown to staff, audited).
    #[schema(value_type = crate::domain::text::HoldReason)]
    pub reason: String,
}

/// Puts a `takedown` hold on the tenant (agency admins, with a reason). Idempotent.
#[utoipa::path(tag = "tenants", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), request_body = ReasonRequest, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = TenantView), (status = 403, description = "Not an agency admin", body = ErrorBody), (status = 409, description = "`invalid_transition`", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/holds/takedown")]
async fn set_takedown_hold(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    body: JsonBody<ReasonRequest>,
) -> AppResult<web::Json<TenantView>> {
    access.require(&[Role::AgencyAdmin])?;
    Ok(web::Json(
        tenants::change_takedown(
            &state,
            access.user(),
            &meta,
            access.tenant,
            true,
            &body.0.reason,
        )
        .await?,
    ))
}

/// Lifts the `takedown` hold (agency admins, with a reason). Payments never lift it.
#[utoipa::path(tag = "tenants", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), request_body = ReasonRequest, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = TenantView), (status = 403, description = "Not an agency admin", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/holds/takedown/lift")]
async fn lift_takedown_hold(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    body: JsonBody<ReasonRequest>,
) -> AppResult<web::Json<TenantView>> {
    access.require(&[Role::AgencyAdmin])?;
    Ok(web::Json(
        tenants::change_takedown(
            &state,
            access.user(),
            &meta,
            access.tenant,
            false,
            &body.0.reason,
        )
        .await?,
    ))
}

/// Issues a new one-time password for the merchant admin (staff), e.g. after 72 hours.
#[utoipa::path(tag = "tenants", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = CreatedAccount), (status = 403, description = "Not staff", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/merchant-admin/one-time-password")]
async fn reset_merchant_admin_password(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
) -> AppResult<HttpResponse> {
    access.require_staff()?;
    let created =
        accounts::reset_merchant_admin_password(&state, access.user(), &meta, access.tenant)
            .await?;
    Ok(HttpResponse::Ok()
        .insert_header(crate::http::NO_STORE)
        .json(created))
}
