//! The audit log (staff): filters, cursor pagination; account managers see only their
//! tenants' events.

use super::extract::Staff;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::http::extract::Query;
use crate::services::audit::{self, AuditFilter, AuditPage};
use crate::state::AppState;
use actix_web::{get, web};
use entity::tenants;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the audit route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_audit_events);
}

/// Audit events, newest first.
#[utoipa::path(tag = "audit", params(AuditFilter), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = AuditPage), (status = 403, description = "Not staff", body = ErrorBody), (status = 404, description = "`tenant_id` names a tenant the account manager does not manage", body = ErrorBody), (status = 422, description = "A filter is invalid", body = ErrorBody)))]
#[get("/audit-events")]
async fn list_audit_events(
    state: web::Data<AppState>,
    staff: Staff,
    filter: Query<AuditFilter>,
) -> AppResult<web::Json<AuditPage>> {
    let visible = if staff.0.user.role == Role::AccountManager {
        let ids: Vec<uuid::Uuid> = tenants::Entity::find()
            .select_only()
            .column(tenants::Column::Id)
            .filter(tenants::Column::AccountManagerId.eq(staff.0.user.id.0))
            .into_tuple()
            .all(&state.db)
            .await?;
        // Another manager's tenant is not there for this one, as on every tenant route.
        if filter.tenant_id.is_some_and(|t| !ids.contains(&t)) {
            return Err(AppError::new(ErrorCode::NotFound));
        }
        Some(ids)
    } else {
        None
    };
    Ok(web::Json(
        audit::query(&state.db, filter.into_inner(), visible).await?,
    ))
}
