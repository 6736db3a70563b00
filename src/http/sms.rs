//! SMS routes: agency-managed templates, merchants' sends and records, the SMS report, and
//! the provider's delivery-receipt callback.

use super::extract::{AgencyAdmin, Authenticated, JsonBody, MerchantAccess};
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::http::extract::Query;
use crate::services::RequestMeta;
use crate::services::listing::ItemList;
use crate::services::sms::receipts;
use crate::services::sms::report::{
    self, BatchView, MessagePage, MessageQuery, SmsReport, SmsReportQuery,
};
use crate::services::sms::send::{self, SendAccepted, SendInput};
use crate::services::sms::templates::{self, TemplateInput, TemplateView};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the receipt callback (outside `/api/v1`).
pub fn configure_receipts(cfg: &mut ServiceConfig) {
    cfg.service(take_receipts);
}

/// Registers the `/api/v1` routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_sms_templates)
        .service(create_sms_template)
        .service(disable_sms_template)
        .service(send_messages)
        .service(get_batch)
        .service(list_messages)
        .service(sms_report);
}

/// SMS templates: agency staff see every one, merchants the enabled merchant templates.
#[utoipa::path(tag = "sms", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ItemList<TemplateView>)))]
#[get("/sms/templates")]
async fn list_sms_templates(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> AppResult<web::Json<ItemList<TemplateView>>> {
    Ok(web::Json(ItemList::whole(
        templates::list(&state, auth.0.user.role.is_staff()).await?,
    )))
}

/// Registers a provider-approved template (agency admins): for merchants' sends
/// (`usage: merchant`) or as a notice kind's SMS form. Audited.
#[utoipa::path(tag = "sms", request_body = TemplateInput, security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = TemplateView),
        (status = 403, description = "Not an agency admin", body = ErrorBody),
        (status = 409, description = "`already_exists`: the notice kind has an enabled template", body = ErrorBody),
        (status = 422, description = "A field is invalid (placeholders and parameters must match)", body = ErrorBody)))]
#[post("/sms/templates")]
async fn create_sms_template(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    body: JsonBody<TemplateInput>,
) -> AppResult<HttpResponse> {
    let view = templates::create(&state, &admin.0.user, &meta, body.0).await?;
    Ok(HttpResponse::Created().json(view))
}

/// Disables a template (agency admins); idempotent, audited.
#[utoipa::path(tag = "sms", params(("template_id" = uuid::Uuid, Path, description = "Template id")), security(("bearer" = [])),
    responses((status = 204, description = "Disabled"), (status = 404, description = "No such template", body = ErrorBody)))]
#[delete("/sms/templates/{template_id}")]
async fn disable_sms_template(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    templates::disable(&state, &admin.0.user, &meta, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sends a template SMS to one or many numbers (merchant admins; the plan must include
/// `sms`). Invalid numbers are skipped and listed; the rest is charged to the yearly pack
/// (then overage) and sent in provider requests of up to 200 numbers. Send an
/// `Idempotency-Key` header to make a retried request answer the first result.
#[utoipa::path(tag = "sms", request_body = SendInput, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried request a no-op")),
    responses((status = 202, description = "Accepted", body = SendAccepted),
        (status = 200, description = "Replayed: the same key and body were accepted before", body = SendAccepted),
        (status = 403, description = "`forbidden` (editors), `feature_not_in_plan`, `tenant_frozen`…", body = ErrorBody),
        (status = 409, description = "`idempotency_key_reused`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (template, params, no valid number), `sms_too_long`, `quota_exceeded`", body = ErrorBody),
        (status = 503, description = "`sms_not_configured`", body = ErrorBody)))]
#[post("/sms/messages")]
async fn send_messages(
    state: web::Data<AppState>,
    req: HttpRequest,
    access: MerchantAccess,
    meta: RequestMeta,
    body: JsonBody<SendInput>,
) -> AppResult<HttpResponse> {
    access.require_admin()?;
    access.write()?;
    let key = super::extract::idempotency_key(&req)?;
    let result = send::send(&state, access.tenant, access.user(), &meta, body.0, key).await?;
    Ok(if result.replayed {
        HttpResponse::Ok()
            .insert_header(("Idempotent-Replayed", "true"))
            .json(result.accepted)
    } else {
        HttpResponse::Accepted().json(result.accepted)
    })
}

/// A batch of the merchant's tenant with its messages counted by status.
#[utoipa::path(tag = "sms", params(("batch_id" = uuid::Uuid, Path, description = "Batch id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = BatchView), (status = 404, description = "Not this tenant's", body = ErrorBody)))]
#[get("/sms/batches/{batch_id}")]
async fn get_batch(
    state: web::Data<AppState>,
    access: MerchantAccess,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<BatchView>> {
    Ok(web::Json(report::batch(&state, access.tenant, *id).await?))
}

/// The merchant's message records of the last 6 months, newest first; numbers masked.
#[utoipa::path(tag = "sms", params(MessageQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = MessagePage), (status = 422, description = "Bad filter", body = ErrorBody)))]
#[get("/sms/messages")]
async fn list_messages(
    state: web::Data<AppState>,
    access: MerchantAccess,
    q: Query<MessageQuery>,
) -> AppResult<web::Json<MessagePage>> {
    Ok(web::Json(
        report::messages(&state, access.tenant, q.into_inner()).await?,
    ))
}

/// SMS statistics per tenant and month (Asia/Shanghai) with each tenant's pack this year:
/// merchants see their own, account managers their assigned tenants, agency admins all.
#[utoipa::path(tag = "reports", params(SmsReportQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = SmsReport), (status = 404, description = "`tenant_id` is not yours", body = ErrorBody),
        (status = 422, description = "Bad month range", body = ErrorBody)))]
#[get("/reports/sms")]
async fn sms_report(
    state: web::Data<AppState>,
    auth: Authenticated,
    q: Query<SmsReportQuery>,
) -> AppResult<web::Json<SmsReport>> {
    Ok(web::Json(
        report::report(&state, &auth.0.user, q.into_inner()).await?,
    ))
}

/// Most receipts one push may carry.
const MAX_RECEIPTS_PER_PUSH: usize = 100;

/// Delivery receipts from the SMS provider: a JSON array (at most 100 per push), at a
/// secret path (`WEAPP__SMS__RECEIPT_TOKEN`; a wrong token is 404) and, when configured,
/// only from `sms.receipt_allow_ips`. A receipt already received is ignored.
#[utoipa::path(tag = "sms", params(("token" = String, Path, description = "The configured receipt token")),
    request_body(content = Vec<crate::sms::Receipt>, content_type = "application/json"),
    responses((status = 200, description = "`{\"result\": 0, \"errmsg\": \"OK\"}`"),
        (status = 400, description = "`invalid_json`", body = ErrorBody),
        (status = 404, description = "Wrong token", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: more than 100 receipts in one push", body = ErrorBody)))]
#[post("/sms/receipts/{token}")]
async fn take_receipts(
    state: web::Data<AppState>,
    req: HttpRequest,
    token: web::Path<String>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let expected = state.sms.as_ref().and_then(|p| p.receipt_token.as_deref());
    let token_ok = expected.is_some_and(|t| {
        bool::from(subtle::ConstantTimeEq::ct_eq(
            t.as_bytes(),
            token.as_bytes(),
        ))
    });
    let allow = &state.settings.sms.receipt_allow_ips;
    let ip_ok = allow.is_empty()
        || req
            .peer_addr()
            .is_some_and(|a| allow.iter().any(|ip| *ip == a.ip().to_string()));
    if !token_ok || !ip_ok {
        return Err(AppError::new(ErrorCode::NotFound));
    }
    let value: serde_json::Value = super::extract::parse_json(&body)?;
    let list = if value.is_array() {
        value
    } else {
        serde_json::Value::Array(vec![value])
    };
    // The provider batches at most 100 receipts per push; a larger one is not the provider.
    let count = list.as_array().map_or(0, Vec::len);
    if count > MAX_RECEIPTS_PER_PUSH {
        return Err(AppError::new(ErrorCode::PayloadTooLarge)
            .with_details(serde_json::json!({ "limit": MAX_RECEIPTS_PER_PUSH, "count": count })));
    }
    let parsed: Vec<crate::sms::Receipt> = serde_json::from_value(list).map_err(|e| {
        AppError::new(ErrorCode::InvalidJson)
            .with_details(serde_json::json!({ "reason": e.to_string() }))
    })?;
    let intake = receipts::take(&state, parsed).await?;
    tracing::info!(
        new = intake.new,
        duplicate = intake.duplicate,
        "SMS receipts received"
    );
    Ok(HttpResponse::Ok().json(crate::sms::receipt_ack()))
}
