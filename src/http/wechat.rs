//! WeChat: the push endpoints WeChat calls (no login; verified by signature), the
//! authorization redirect, and the merchant and agency routes of the binding.

use super::extract::{AgencyAdmin, JsonBody, TenantAccess};
use crate::domain::role::Role;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::Query;
use crate::services::RequestMeta;
use crate::services::listing::ItemList;
use crate::services::wechat::binding::{
    self, AuthorizationLink, BindingView, ConnectionCheck, PlatformStatus,
};
use crate::services::wechat::deploy::{self, ReleaseInput, RunView, StartDeploy};
use crate::services::wechat::push::{self, PushQuery};
use crate::services::wechat::rollout::{self, RolloutView, StartRollout};
use crate::services::wechat::templates::{self, CurrentTemplate, SetTemplate, Templates};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the routes WeChat and the merchant's browser call (outside `/api/v1`).
pub fn configure_pushes(cfg: &mut ServiceConfig) {
    cfg.service(component_event)
        .service(component_url_check)
        .service(app_event)
        .service(app_url_check)
        .service(authorization_redirect);
}

/// Registers the `/api/v1` routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(authorization_link)
        .service(tenant_binding)
        .service(check_binding)
        .service(platform_status)
        .service(start_deploy)
        .service(list_tenant_deploys)
        .service(get_deploy)
        .service(deploy_qrcode)
        .service(release_deploy)
        .service(revert_gray_release)
        .service(undo_deploy_audit)
        .service(rollback_release)
        .service(list_all_deploys)
        .service(list_templates)
        .service(set_template)
        .service(start_rollout)
        .service(list_rollouts)
        .service(get_rollout)
        .service(pause_rollout)
        .service(resume_rollout);
}

/// Pushes are small XML documents; anything larger is not WeChat.
const PUSH_BODY_LIMIT: usize = 64 * 1024;

fn success() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain")
        .body("success")
}

fn push_body(body: &web::Bytes) -> AppResult<&str> {
    if body.len() > PUSH_BODY_LIMIT {
        return Err(
            crate::error::AppError::new(crate::error::ErrorCode::PayloadTooLarge)
                .with_details(serde_json::json!({ "limit_bytes": PUSH_BODY_LIMIT })),
        );
    }
    std::str::from_utf8(body).map_err(|_| {
        crate::error::AppError::new(crate::error::ErrorCode::WechatPushRejected)
            .with_details(serde_json::json!({ "reason": "xml" }))
    })
}

/// Authorization events from WeChat (`component_verify_ticket`, `authorized`,
/// `updateauthorized`, `unauthorized`), encrypted per PROTOCOL.md §2. Answers `success`.
#[utoipa::path(tag = "wechat", params(PushQuery), request_body(content = String, content_type = "text/xml"),
    responses((status = 200, description = "`success`", content_type = "text/plain"),
        (status = 400, description = "`wechat_push_rejected` (details.reason)", body = ErrorBody),
        (status = 409, description = "`wechat_push_replayed`", body = ErrorBody),
        (status = 503, description = "`wechat_not_configured`", body = ErrorBody)))]
#[post("/wechat/component/events")]
async fn component_event(
    state: web::Data<AppState>,
    query: Query<PushQuery>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    push::receive_component_event(&state, &query, push_body(&body)?).await?;
    Ok(success())
}

/// URL verification of the component endpoint: echoes `echostr` when `signature` matches.
#[utoipa::path(tag = "wechat", params(PushQuery),
    responses((status = 200, description = "The echostr", content_type = "text/plain"),
        (status = 400, description = "`wechat_push_rejected`", body = ErrorBody)))]
#[get("/wechat/component/events")]
async fn component_url_check(
    state: web::Data<AppState>,
    query: Query<PushQuery>,
) -> AppResult<HttpResponse> {
    let echo = push::verify_url(&state, &query)?;
    Ok(HttpResponse::Ok().content_type("text/plain").body(echo))
}

/// Message events of one authorized mini-program (audit results and others), encrypted
/// per PROTOCOL.md §2. Answers `success`.
#[utoipa::path(tag = "wechat", params(("appid" = String, Path, description = "The mini-program's appid"), PushQuery),
    request_body(content = String, content_type = "text/xml"),
    responses((status = 200, description = "`success`", content_type = "text/plain"),
        (status = 400, description = "`wechat_push_rejected` (details.reason)", body = ErrorBody),
        (status = 409, description = "`wechat_push_replayed`", body = ErrorBody),
        (status = 503, description = "`wechat_not_configured`", body = ErrorBody)))]
#[post("/wechat/apps/{appid}/events")]
async fn app_event(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: Query<PushQuery>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    push::receive_app_event(&state, &path, &query, push_body(&body)?).await?;
    Ok(success())
}

/// URL verification of a message endpoint.
#[utoipa::path(tag = "wechat", params(("appid" = String, Path, description = "The mini-program's appid"), PushQuery),
    responses((status = 200, description = "The echostr", content_type = "text/plain"),
        (status = 400, description = "`wechat_push_rejected`", body = ErrorBody)))]
#[get("/wechat/apps/{appid}/events")]
async fn app_url_check(
    state: web::Data<AppState>,
    query: Query<PushQuery>,
) -> AppResult<HttpResponse> {
    let echo = push::verify_url(&state, &query)?;
    Ok(HttpResponse::Ok().content_type("text/plain").body(echo))
}

/// The redirect WeChat sends the merchant back with.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizedQuery {
    /// Our signed, single-use state.
    pub state: Option<String>,
    /// WeChat's authorization code.
    pub auth_code: Option<String>,
    /// Lifetime of the code (seconds).
    pub expires_in: Option<i64>,
}

/// Where WeChat's authorization page returns the merchant: exchanges the code (unless the
/// `authorized` event already did) and answers the binding. No login: the signed,
/// single-use `state` names the attempt. A browser (one that accepts `text/html`) is sent
/// on to the console's mini-program screen with the outcome
/// (`?authorized=ok`, or `?authorized=error&code=…&message=…` in its language).
#[utoipa::path(tag = "wechat", params(AuthorizedQuery),
    responses((status = 200, description = "Bound", body = BindingView),
        (status = 303, description = "A browser: on to `/console/miniprogram` with the outcome"),
        (status = 400, description = "`authorization_state_invalid`", body = ErrorBody),
        (status = 409, description = "`authorization_state_used`, `wechat_appid_mismatch`, `wechat_appid_taken`", body = ErrorBody),
        (status = 502, description = "`wechat_call_failed`", body = ErrorBody)))]
#[get("/wechat/authorized")]
async fn authorization_redirect(
    req: HttpRequest,
    state: web::Data<AppState>,
    meta: RequestMeta,
    query: Query<AuthorizedQuery>,
) -> AppResult<HttpResponse> {
    let outcome = binding::complete_redirect(
        &state,
        &meta,
        query.state.as_deref(),
        query.auth_code.as_deref(),
    )
    .await;
    let browser = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if !browser {
        return outcome.map(|view| HttpResponse::Ok().json(view));
    }
    let query = match &outcome {
        Ok(_) => "authorized=ok".to_owned(),
        Err(e) => {
            // Logged like any refusal; the console shows the message in the same words.
            let message = e.message_in(crate::error::current_lang());
            format!(
                "authorized=error&code={}&message={}",
                e.code().as_str(),
                form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>()
            )
        }
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/console/miniprogram?{query}")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// A link to WeChat's authorization page for the tenant's mini-program (merchant admin).
/// Limited to the recorded appid (`biz_appid`) when there is one.
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 201, description = "The link", body = AuthorizationLink),
        (status = 403, description = "Not the merchant admin, or the tenant's state refuses changes", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 502, description = "`wechat_call_failed`", body = ErrorBody),
        (status = 503, description = "`wechat_not_configured`, `wechat_ticket_missing`, `wechat_busy`", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/wechat/authorization-link")]
async fn authorization_link(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
) -> AppResult<HttpResponse> {
    access.require(&[Role::MerchantAdmin])?;
    access.merchant_write()?;
    let link = binding::create_link(&state, access.user(), &meta, access.tenant).await?;
    Ok(HttpResponse::Created().json(link))
}

/// The tenant's mini-program binding: appid, status, permission sets, token health.
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = BindingView),
        (status = 404, description = "No such tenant", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/wechat")]
async fn tenant_binding(
    state: web::Data<AppState>,
    access: TenantAccess,
) -> AppResult<web::Json<BindingView>> {
    Ok(web::Json(binding::view(&state, access.tenant).await?))
}

/// Checks the connection with the tenant's authorizer token (refreshed from the stored
/// refresh token when due) and reports WeChat's online and trial versions.
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ConnectionCheck),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 409, description = "`wechat_not_bound`", body = ErrorBody),
        (status = 502, description = "`wechat_call_failed`", body = ErrorBody),
        (status = 503, description = "`wechat_not_configured`", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/wechat/check")]
async fn check_binding(
    state: web::Data<AppState>,
    access: TenantAccess,
) -> AppResult<web::Json<ConnectionCheck>> {
    Ok(web::Json(binding::check(&state, access.tenant).await?))
}

/// The platform's health: when the last ticket arrived, the component token's expiry, and
/// each tenant's binding and token health. Never a secret.
#[utoipa::path(tag = "wechat", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PlatformStatus),
        (status = 403, description = "Not an agency admin", body = ErrorBody),
        (status = 503, description = "`wechat_not_configured`", body = ErrorBody)))]
#[get("/platform/status")]
async fn platform_status(
    state: web::Data<AppState>,
    _admin: AgencyAdmin,
) -> AppResult<web::Json<PlatformStatus>> {
    Ok(web::Json(binding::platform_status(&state).await?))
}

/// Merchant admins deploy; agency staff may act for them.
const DEPLOYERS: &[Role] = &[Role::AgencyAdmin, Role::AccountManager, Role::MerchantAdmin];

/// Deploys the agency's current code template to the tenant's mini-program: commit, audit,
/// and (by default) release once approved. Follow it with the run's status.
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), request_body = StartDeploy, security(("bearer" = [])),
    responses((status = 202, description = "Started", body = RunView),
        (status = 403, description = "Not allowed, or the tenant's state refuses changes", body = ErrorBody),
        (status = 409, description = "`wechat_not_bound`, `wechat_permission_missing`, `no_code_template`, `deploy_in_progress`", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
        (status = 503, description = "`wechat_not_configured`", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/deploys")]
async fn start_deploy(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    body: JsonBody<StartDeploy>,
) -> AppResult<HttpResponse> {
    access.require(DEPLOYERS)?;
    access.merchant_write()?;
    let run = deploy::start(
        &state,
        access.user().actor(),
        &meta,
        access.tenant,
        body.0,
        None,
    )
    .await?;
    Ok(HttpResponse::Accepted().json(run))
}

/// Paging of run lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    /// Only runs in this status.
    pub status: Option<String>,
    /// At most this many (1–500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<uuid::Uuid>,
}

/// The tenant's deploy runs, newest first, with their steps.
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), RunsQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ItemList<RunView>), (status = 404, description = "No such tenant", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/deploys")]
async fn list_tenant_deploys(
    state: web::Data<AppState>,
    access: TenantAccess,
    q: Query<RunsQuery>,
) -> AppResult<web::Json<ItemList<RunView>>> {
    Ok(web::Json(
        deploy::list(
            &state,
            Some(access.tenant),
            q.status.as_deref(),
            q.limit.unwrap_or(50),
            q.cursor,
        )
        .await?,
    ))
}

/// Every tenant's deploy runs (agency admins).
#[utoipa::path(tag = "wechat", params(RunsQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ItemList<RunView>), (status = 403, description = "Not an agency admin", body = ErrorBody)))]
#[get("/deploys")]
async fn list_all_deploys(
    state: web::Data<AppState>,
    _admin: AgencyAdmin,
    q: Query<RunsQuery>,
) -> AppResult<web::Json<ItemList<RunView>>> {
    Ok(web::Json(
        deploy::list(
            &state,
            None,
            q.status.as_deref(),
            q.limit.unwrap_or(50),
            q.cursor,
        )
        .await?,
    ))
}

/// One run with every step.
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("run_id" = uuid::Uuid, Path, description = "Run id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = RunView), (status = 404, description = "No such run", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/deploys/{run_id}")]
async fn get_deploy(
    state: web::Data<AppState>,
    access: TenantAccess,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<web::Json<RunView>> {
    Ok(web::Json(
        deploy::view(&state, access.tenant, path.1).await?,
    ))
}

/// The run's trial (体验版) QR code image.
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("run_id" = uuid::Uuid, Path, description = "Run id")), security(("bearer" = [])),
    responses((status = 200, description = "The image", content_type = "image/jpeg"), (status = 404, description = "No such run or no QR code yet", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/deploys/{run_id}/qrcode")]
async fn deploy_qrcode(
    state: web::Data<AppState>,
    access: TenantAccess,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<HttpResponse> {
    let bytes = deploy::qrcode(&state, access.tenant, path.1).await?;
    Ok(HttpResponse::Ok().content_type("image/jpeg").body(bytes))
}

/// Releases an approved run: fully, or gray to a percentage (raise it with a higher one).
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("run_id" = uuid::Uuid, Path, description = "Run id")), request_body = ReleaseInput, security(("bearer" = [])),
    responses((status = 200, description = "Released (gray) or release started", body = RunView),
        (status = 409, description = "`invalid_transition`: not approved yet", body = ErrorBody),
        (status = 422, description = "`gray_percentage` out of range", body = ErrorBody),
        (status = 502, description = "`wechat_call_failed` (details.errcode)", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/deploys/{run_id}/release")]
async fn release_deploy(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    body: JsonBody<ReleaseInput>,
) -> AppResult<web::Json<RunView>> {
    access.require(DEPLOYERS)?;
    access.merchant_write()?;
    Ok(web::Json(
        deploy::release(&state, access.user(), &meta, access.tenant, path.1, body.0).await?,
    ))
}

/// Stops a gray release; the run waits for a release again.
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("run_id" = uuid::Uuid, Path, description = "Run id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = RunView), (status = 409, description = "`invalid_transition`: not gray", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/deploys/{run_id}/revert-gray")]
async fn revert_gray_release(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<web::Json<RunView>> {
    access.require(DEPLOYERS)?;
    access.merchant_write()?;
    Ok(web::Json(
        deploy::revert_gray(&state, access.user(), &meta, access.tenant, path.1).await?,
    ))
}

/// Withdraws the run's audit (WeChat: 5 a day, 10 a month).
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("run_id" = uuid::Uuid, Path, description = "Run id")), security(("bearer" = [])),
    responses((status = 200, description = "Withdrawn", body = RunView),
        (status = 409, description = "`invalid_transition`: not under audit", body = ErrorBody),
        (status = 502, description = "`wechat_call_failed` with the merchant message (87013: the limit)", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/deploys/{run_id}/undo-audit")]
async fn undo_deploy_audit(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<web::Json<RunView>> {
    access.require(DEPLOYERS)?;
    access.merchant_write()?;
    Ok(web::Json(
        deploy::undo_audit(&state, access.user(), &meta, access.tenant, path.1).await?,
    ))
}

/// Rolls the mini-program back to its previous release; answers WeChat's version info.
#[utoipa::path(tag = "wechat", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "Rolled back; the version now online", body = Object),
        (status = 409, description = "`wechat_not_bound`", body = ErrorBody),
        (status = 502, description = "`wechat_call_failed` (87011 gray in progress, 87012 nothing to roll back to)", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/wechat/rollback")]
async fn rollback_release(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
) -> AppResult<web::Json<serde_json::Value>> {
    access.require(DEPLOYERS)?;
    access.merchant_write()?;
    Ok(web::Json(
        deploy::rollback(&state, access.user(), &meta, access.tenant).await?,
    ))
}

/// The current code template and the platform's template library (agency admins).
#[utoipa::path(tag = "wechat", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = Templates), (status = 403, description = "Not an agency admin", body = ErrorBody)))]
#[get("/platform/templates")]
async fn list_templates(
    state: web::Data<AppState>,
    _admin: AgencyAdmin,
) -> AppResult<web::Json<Templates>> {
    Ok(web::Json(templates::list(&state).await?))
}

/// Sets the code template deploys commit (it must be in the library).
#[utoipa::path(tag = "wechat", request_body = SetTemplate, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = CurrentTemplate), (status = 403, description = "Not an agency admin", body = ErrorBody),
        (status = 422, description = "`template_id` not in the library", body = ErrorBody)))]
#[put("/platform/template")]
async fn set_template(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    body: JsonBody<SetTemplate>,
) -> AppResult<web::Json<CurrentTemplate>> {
    Ok(web::Json(
        templates::set_current(&state, &admin.0.user, &meta, body.0).await?,
    ))
}

/// Rolls a template out to every active, bound tenant (it becomes current): throttled
/// deploy runs, paused with the reason when the audit quota reaches the reserve.
#[utoipa::path(tag = "wechat", request_body = StartRollout, security(("bearer" = [])),
    responses((status = 202, description = "Started", body = RolloutView), (status = 403, description = "Not an agency admin", body = ErrorBody),
        (status = 409, description = "`invalid_transition`: another roll-out is not finished", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody)))]
#[post("/rollouts")]
async fn start_rollout(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    body: JsonBody<StartRollout>,
) -> AppResult<HttpResponse> {
    let view = rollout::start(&state, &admin.0.user, &meta, body.0).await?;
    Ok(HttpResponse::Accepted().json(view))
}

/// Roll-outs with their progress, newest first.
#[utoipa::path(tag = "wechat", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ItemList<RolloutView>), (status = 403, description = "Not an agency admin", body = ErrorBody)))]
#[get("/rollouts")]
async fn list_rollouts(
    state: web::Data<AppState>,
    _admin: AgencyAdmin,
) -> AppResult<web::Json<ItemList<RolloutView>>> {
    Ok(web::Json(ItemList::whole(rollout::list(&state).await?)))
}

/// A roll-out's progress: counts by run status, by step and by failure.
#[utoipa::path(tag = "wechat", params(("rollout_id" = uuid::Uuid, Path, description = "Roll-out id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = RolloutView), (status = 404, description = "No such roll-out", body = ErrorBody)))]
#[get("/rollouts/{rollout_id}")]
async fn get_rollout(
    state: web::Data<AppState>,
    _admin: AgencyAdmin,
    path: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<RolloutView>> {
    Ok(web::Json(rollout::view(&state, path.into_inner()).await?))
}

/// Pauses a roll-out: no new runs start; started ones go on.
#[utoipa::path(tag = "wechat", params(("rollout_id" = uuid::Uuid, Path, description = "Roll-out id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = RolloutView), (status = 409, description = "`invalid_transition`: not running", body = ErrorBody)))]
#[post("/rollouts/{rollout_id}/pause")]
async fn pause_rollout(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    path: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<RolloutView>> {
    Ok(web::Json(
        rollout::pause(&state, &admin.0.user, &meta, path.into_inner()).await?,
    ))
}

/// Resumes a paused roll-out (runs held at the audit quota continue from the quota check).
#[utoipa::path(tag = "wechat", params(("rollout_id" = uuid::Uuid, Path, description = "Roll-out id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = RolloutView), (status = 409, description = "`invalid_transition`: not paused", body = ErrorBody)))]
#[post("/rollouts/{rollout_id}/resume")]
async fn resume_rollout(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    path: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<RolloutView>> {
    Ok(web::Json(
        rollout::resume(&state, &admin.0.user, &meta, path.into_inner()).await?,
    ))
}
