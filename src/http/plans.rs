//! Plans: staff read them; agency admins create, version, retire and delete them.

use super::extract::{AgencyAdmin, JsonBody, Staff};
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::Query;
use crate::services::RequestMeta;
use crate::services::plans::{self, PlanTerms, PlanView};
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the plan routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_plans)
        .service(create_plan)
        .service(get_plan)
        .service(add_plan_version)
        .service(retire_plan)
        .service(unretire_plan)
        .service(delete_plan);
}

/// A new plan.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePlanRequest {
    /// Name shown to staff.
    #[schema(value_type = crate::domain::text::PersonName)]
    pub name: String,
    /// Terms of version 1.
    pub terms: PlanTerms,
}

/// Plans.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PlanList {
    /// By name.
    pub items: Vec<PlanView>,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// List options.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanListQuery {
    /// Include retired plans.
    #[serde(default)]
    pub include_retired: bool,
}

/// Lists plans with their current versions.
#[utoipa::path(tag = "plans", params(PlanListQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PlanList), (status = 403, description = "Not staff", body = ErrorBody)))]
#[get("/plans")]
async fn list_plans(
    state: web::Data<AppState>,
    _staff: Staff,
    q: Query<PlanListQuery>,
) -> AppResult<web::Json<PlanList>> {
    Ok(web::Json(PlanList {
        items: plans::list_plans(&state, q.include_retired).await?,
        next_cursor: None,
    }))
}

/// Creates a plan (version 1).
#[utoipa::path(tag = "plans", request_body = CreatePlanRequest, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = PlanView), (status = 403, description = "Not an agency admin", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
#[post("/plans")]
async fn create_plan(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    body: JsonBody<CreatePlanRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let plan = plans::create_plan(&state, &admin.0.user, &meta, &body.name, body.terms).await?;
    Ok(HttpResponse::Created().json(plan))
}

/// A plan with every version and its tenant count.
#[utoipa::path(tag = "plans", params(("plan_id" = uuid::Uuid, Path, description = "Plan id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PlanView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/plans/{plan_id}")]
async fn get_plan(
    state: web::Data<AppState>,
    _staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<PlanView>> {
    Ok(web::Json(plans::get_plan(&state, *id, true).await?))
}

/// Adds a version with new terms (price, apps or quotas); existing tenants keep theirs
/// until they renew.
#[utoipa::path(tag = "plans", params(("plan_id" = uuid::Uuid, Path, description = "Plan id")), request_body = PlanTerms, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = PlanView), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
#[post("/plans/{plan_id}/versions")]
async fn add_plan_version(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
    body: JsonBody<PlanTerms>,
) -> AppResult<HttpResponse> {
    let plan = plans::add_version(&state, &admin.0.user, &meta, *id, body.0).await?;
    Ok(HttpResponse::Created().json(plan))
}

/// Retires a plan: no new sales (tenants on it keep it). Idempotent.
#[utoipa::path(tag = "plans", params(("plan_id" = uuid::Uuid, Path, description = "Plan id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PlanView), (status = 404, description = "Not found", body = ErrorBody)))]
#[post("/plans/{plan_id}/retire")]
async fn retire_plan(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<PlanView>> {
    Ok(web::Json(
        plans::set_retired(&state, &admin.0.user, &meta, *id, true).await?,
    ))
}

/// Puts a retired plan back on sale. Idempotent.
#[utoipa::path(tag = "plans", params(("plan_id" = uuid::Uuid, Path, description = "Plan id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PlanView), (status = 404, description = "Not found", body = ErrorBody)))]
#[post("/plans/{plan_id}/unretire")]
async fn unretire_plan(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<PlanView>> {
    Ok(web::Json(
        plans::set_retired(&state, &admin.0.user, &meta, *id, false).await?,
    ))
}

/// Deletes a plan no contract or tenant has used; otherwise 409 `in_use`.
#[utoipa::path(tag = "plans", params(("plan_id" = uuid::Uuid, Path, description = "Plan id")), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, description = "Not found", body = ErrorBody), (status = 409, description = "`in_use`", body = ErrorBody)))]
#[delete("/plans/{plan_id}")]
async fn delete_plan(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    plans::delete_plan(&state, &admin.0.user, &meta, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
