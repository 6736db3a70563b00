//! Usage reports: per day (Asia/Shanghai) page views per page, client requests, throttled
//! requests, page publishes, and storage used.

use super::extract::{Authenticated, TenantAccess};
use crate::domain::ids::TenantId;
use crate::domain::role::Role;
use crate::domain::time::{shanghai_date, shanghai_midnight};
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode, Localized};
use crate::http::extract::Query;
use crate::state::AppState;
use actix_web::{HttpRequest, get, web};
use chrono::NaiveDate;
use entity::{page_versions, usage_daily};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the report routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(usage_report).service(tenant_usage_report);
}

/// Report range.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UsageQuery {
    /// First day (inclusive, Asia/Shanghai).
    pub from: NaiveDate,
    /// Last day (inclusive), at most 366 days after `from`.
    pub to: NaiveDate,
}

/// One day.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UsageDay {
    /// The day.
    pub day: NaiveDate,
    /// Client API requests for documents (app config, pages, version).
    pub requests: i64,
    /// Requests refused for rate.
    pub throttled: i64,
    /// Requests answered 304.
    pub not_modified: i64,
    /// Page views by slug.
    pub page_views: BTreeMap<String, i64>,
    /// Image and video requests from phones (metered and budgeted apart from documents).
    pub asset_requests: i64,
    /// Asset requests refused for rate.
    pub asset_throttled: i64,
    /// Page publishes.
    pub publishes: i64,
    /// Deployments of the code template to the mini-program started that day.
    pub template_deploys: i64,
}

/// A usage report.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    /// The tenant.
    pub tenant_id: uuid::Uuid,
    /// Days with any activity, in order.
    pub days: Vec<UsageDay>,
    /// Bytes of assets stored now.
    pub storage_used_bytes: i64,
}

async fn report(state: &AppState, tenant: TenantId, q: &UsageQuery) -> AppResult<UsageReport> {
    if q.to < q.from || (q.to - q.from).num_days() > 366 {
        return Err(AppError::invalid_field(
            "to",
            Localized::new(
                "须在 from 之后且不超过 366 天",
                "must be after `from`, at most 366 days later",
            ),
        ));
    }
    // Include what this instance counted but has not flushed yet.
    state
        .meter
        .flush(&state.db, shanghai_date(state.clock.now()))
        .await?;
    let rows = usage_daily::Entity::find()
        .filter(usage_daily::Column::TenantId.eq(tenant.0))
        .filter(usage_daily::Column::Day.gte(q.from))
        .filter(usage_daily::Column::Day.lte(q.to))
        .order_by_asc(usage_daily::Column::Day)
        .all(&state.db)
        .await?;
    let publishes = page_versions::Entity::find()
        .filter(page_versions::Column::TenantId.eq(tenant.0))
        .filter(page_versions::Column::PublishedAt.gte(shanghai_midnight(q.from)))
        .filter(
            page_versions::Column::PublishedAt
                .lt(shanghai_midnight(q.to.succ_opt().unwrap_or(q.to))),
        )
        .all(&state.db)
        .await?;
    let mut days: BTreeMap<NaiveDate, UsageDay> = BTreeMap::new();
    let day = |d: NaiveDate| UsageDay {
        day: d,
        requests: 0,
        throttled: 0,
        not_modified: 0,
        page_views: BTreeMap::new(),
        asset_requests: 0,
        asset_throttled: 0,
        publishes: 0,
        template_deploys: 0,
    };
    for r in rows {
        let e = days.entry(r.day).or_insert_with(|| day(r.day));
        if r.page_slug.is_empty() {
            e.requests += r.requests;
            e.throttled += r.throttled;
            e.not_modified += r.not_modified;
            e.asset_requests += r.asset_requests;
            e.asset_throttled += r.asset_throttled;
        } else {
            *e.page_views.entry(r.page_slug).or_default() += r.page_views;
        }
    }
    for v in publishes {
        let d = shanghai_date(v.published_at);
        days.entry(d).or_insert_with(|| day(d)).publishes += 1;
    }
    let deploys: Vec<chrono::DateTime<chrono::Utc>> = entity::deploy_runs::Entity::find()
        .select_only()
        .column(entity::deploy_runs::Column::CreatedAt)
        .filter(entity::deploy_runs::Column::TenantId.eq(tenant.0))
        .filter(entity::deploy_runs::Column::CreatedAt.gte(shanghai_midnight(q.from)))
        .filter(
            entity::deploy_runs::Column::CreatedAt
                .lt(shanghai_midnight(q.to.succ_opt().unwrap_or(q.to))),
        )
        .into_tuple()
        .all(&state.db)
        .await?;
    for at in deploys {
        let d = shanghai_date(at);
        days.entry(d).or_insert_with(|| day(d)).template_deploys += 1;
    }
    Ok(UsageReport {
        tenant_id: tenant.0,
        days: days.into_values().collect(),
        storage_used_bytes: crate::services::assets::storage_used(&state.db, tenant).await?,
    })
}

/// The signed-in merchant's usage.
#[utoipa::path(tag = "reports", params(UsageQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = UsageReport), (status = 403, description = "Staff use the tenant's report", body = ErrorBody)))]
#[get("/reports/usage")]
async fn usage_report(
    state: web::Data<AppState>,
    auth: Authenticated,
    q: Query<UsageQuery>,
) -> AppResult<web::Json<UsageReport>> {
    let tenant = match (auth.0.user.role, auth.0.user.tenant_id) {
        (Role::MerchantAdmin | Role::MerchantEditor, Some(t)) => t,
        _ => return Err(AppError::new(ErrorCode::Forbidden)),
    };
    Ok(web::Json(report(&state, tenant, &q).await?))
}

/// A tenant's usage (agency admins: any tenant; account managers: assigned ones).
#[utoipa::path(tag = "reports", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), UsageQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = UsageReport), (status = 404, description = "Not your tenant", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/reports/usage")]
async fn tenant_usage_report(
    state: web::Data<AppState>,
    _req: HttpRequest,
    access: TenantAccess,
    q: Query<UsageQuery>,
) -> AppResult<web::Json<UsageReport>> {
    access.require(&[Role::AgencyAdmin, Role::AccountManager, Role::MerchantAdmin])?;
    Ok(web::Json(report(&state, access.tenant, &q).await?))
}
