//! Contracts of a tenant: list and detail (staff and the merchant admin), renewal,
//! payments and early termination (staff).

use super::extract::{JsonBody, TenantAccess};
use crate::domain::role::Role;
use crate::error::{AppResult, ErrorBody};
use crate::services::RequestMeta;
use crate::services::contracts::{
    self, ContractInput, ContractView, PaymentInput, PaymentView, RenewalResult, TerminationInput,
};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the contract routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_contracts)
        .service(get_contract)
        .service(create_renewal)
        .service(record_payment)
        .service(record_termination);
}

const READERS: &[Role] = &[Role::AgencyAdmin, Role::AccountManager, Role::MerchantAdmin];

/// Contracts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ContractList {
    /// By sequence.
    pub items: Vec<ContractView>,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// Every contract of the tenant with balance, next due milestone and late fee.
#[utoipa::path(tag = "contracts", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ContractList), (status = 403, description = "Editors cannot see contracts", body = ErrorBody), (status = 404, description = "Not found or not yours", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/contracts")]
async fn list_contracts(
    state: web::Data<AppState>,
    access: TenantAccess,
) -> AppResult<web::Json<ContractList>> {
    access.require(READERS)?;
    Ok(web::Json(ContractList {
        items: contracts::list_contract_views(&state, access.tenant).await?,
        next_cursor: None,
    }))
}

/// One contract.
#[utoipa::path(tag = "contracts", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("contract_id" = uuid::Uuid, Path, description = "Contract id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ContractView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/contracts/{contract_id}")]
async fn get_contract(
    state: web::Data<AppState>,
    access: TenantAccess,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<web::Json<ContractView>> {
    access.require(READERS)?;
    Ok(web::Json(
        contracts::get_contract_view(&state, access.tenant, path.1).await?,
    ))
}

/// Creates the renewal: it starts the day after the current end date at the current
/// price of the tenant's plan (or `plan_id`). Renewed once its activation rule is met.
#[utoipa::path(tag = "contracts", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), request_body = ContractInput, security(("bearer" = [])),
    responses((status = 201, description = "Created, with quota warnings for a downgrade below current use", body = RenewalResult), (status = 403, description = "Not staff", body = ErrorBody), (status = 409, description = "`invalid_transition`: a renewal already waits for payment", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/contracts")]
async fn create_renewal(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    body: JsonBody<ContractInput>,
) -> AppResult<HttpResponse> {
    access.require_staff()?;
    let contract =
        contracts::create_renewal(&state, access.user(), &meta, access.tenant, body.0).await?;
    Ok(HttpResponse::Created().json(contract))
}

/// A recorded payment and the contract after it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PaymentResult {
    /// The payment.
    pub payment: PaymentView,
    /// The contract with its new balance.
    pub contract: ContractView,
}

/// Records a payment. Send an `Idempotency-Key` header: a retried request with the same
/// key and body returns the first answer (`Idempotent-Replayed: true`) without recording
/// twice. Meeting the activation rule activates the tenant or the renewal.
#[utoipa::path(tag = "contracts",
    params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("contract_id" = uuid::Uuid, Path, description = "Contract id"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request a no-op")),
    request_body = PaymentInput, security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = PaymentResult),
        (status = 200, description = "Replayed: the same key and body were recorded before", body = PaymentResult),
        (status = 403, description = "Not staff", body = ErrorBody),
        (status = 409, description = "`idempotency_key_reused`", body = ErrorBody),
        (status = 422, description = "Overpayment, non-positive amount, unknown method, future date", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/contracts/{contract_id}/payments")]
async fn record_payment(
    state: web::Data<AppState>,
    req: HttpRequest,
    access: TenantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    body: JsonBody<PaymentInput>,
) -> AppResult<HttpResponse> {
    access.require_staff()?;
    let key = super::extract::idempotency_key(&req)?;
    let recorded = contracts::record_payment(
        &state,
        access.user(),
        &meta,
        access.tenant,
        path.1,
        body.0,
        key,
    )
    .await?;
    let body = PaymentResult {
        payment: recorded.payment,
        contract: recorded.contract,
    };
    Ok(if recorded.replayed {
        HttpResponse::Ok()
            .insert_header(("Idempotent-Replayed", "true"))
            .json(body)
    } else {
        HttpResponse::Created().json(body)
    })
}

/// Records an early termination on the merchant's written request: the effective date
/// (≥ today + notice period) becomes the end date; no refund.
#[utoipa::path(tag = "contracts", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), request_body = TerminationInput, security(("bearer" = [])),
    responses((status = 200, description = "Recorded", body = ContractView), (status = 403, description = "Not staff", body = ErrorBody), (status = 409, description = "`invalid_transition`", body = ErrorBody), (status = 422, description = "Before the notice period allows", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/termination")]
async fn record_termination(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    body: JsonBody<TerminationInput>,
) -> AppResult<web::Json<ContractView>> {
    access.require_staff()?;
    Ok(web::Json(
        contracts::record_termination(&state, access.user(), &meta, access.tenant, body.0).await?,
    ))
}
