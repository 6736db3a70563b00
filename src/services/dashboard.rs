//! The agency's dashboard: what needs attention today, in one answer. Agency admins see
//! every tenant, account managers their own.

use crate::domain::role::Role;
use crate::domain::tenant::{HoldKind, TenantStatus};
use crate::domain::time::shanghai_date;
use crate::error::AppResult;
use crate::jobs::queue::status as job_status;
use crate::services::principals::CachedUser;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{jobs, tenant_holds, tenants};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

/// How far ahead "ending soon" looks.
pub const ENDING_WITHIN_DAYS: i64 = 30;
/// At most this many tenants per list.
const LIST_LIMIT: u64 = 50;

/// A tenant whose term ends soon.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EndingSoon {
    /// Tenant id.
    pub id: Uuid,
    /// Business name.
    pub business_name: String,
    /// Last day of the term.
    pub end_date: NaiveDate,
    /// Days from today (Asia/Shanghai) to the end date.
    pub days_left: i64,
}

/// A frozen tenant.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FrozenTenant {
    /// Tenant id.
    pub id: Uuid,
    /// Business name.
    pub business_name: String,
    /// When it was frozen.
    pub frozen_at: Option<DateTime<Utc>>,
    /// When its data is deleted unless renewed; null while the working-day calendar does
    /// not reach that far.
    pub delete_after: Option<DateTime<Utc>>,
}

/// A tenant held for an overdue payment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OverdueTenant {
    /// Tenant id.
    pub id: Uuid,
    /// Business name.
    pub business_name: String,
    /// When the overdue hold was set.
    pub overdue_since: DateTime<Utc>,
    /// Owed across all contracts, in fen.
    pub outstanding_fen: i64,
}

/// Tenants on hold, by kind.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct HoldCounts {
    /// Held for an overdue payment.
    pub overdue: u64,
    /// Taken down by the agency.
    pub takedown: u64,
}

/// How far the working-day calendar reaches.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarCoverage {
    /// Last date the calendar covers.
    pub covered_until: Option<NaiveDate>,
    /// Days from today to it (deletion dates beyond it cannot be computed).
    pub days_left: Option<i64>,
}

/// The dashboard.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// Tenants by status (`pending`, `active`, `frozen`, `deleted`), every status present.
    pub tenants_by_status: BTreeMap<String, u64>,
    /// Tenants on hold.
    pub holds: HoldCounts,
    /// Active tenants whose term ends within 30 days, soonest first.
    pub ending_soon: Vec<EndingSoon>,
    /// Frozen tenants, soonest deletion first.
    pub frozen: Vec<FrozenTenant>,
    /// Tenants held for an overdue payment, longest first.
    pub overdue: Vec<OverdueTenant>,
    /// The working-day calendar's reach.
    pub calendar: CalendarCoverage,
    /// Jobs that failed for good (agency admins only; 0 for account managers).
    pub dead_jobs: u64,
}

fn scope(viewer: &CachedUser) -> Condition {
    let mut cond = Condition::all();
    if viewer.role == Role::AccountManager {
        cond = cond.add(tenants::Column::AccountManagerId.eq(viewer.id.0));
    }
    cond
}

/// The dashboard as `viewer` may see it.
pub async fn dashboard(state: &AppState, viewer: &CachedUser) -> AppResult<Dashboard> {
    let today = shanghai_date(state.clock.now());
    let mine = scope(viewer);
    let counted: Vec<(String, i64)> = tenants::Entity::find()
        .select_only()
        .column(tenants::Column::Status)
        .column_as(tenants::Column::Id.count(), "n")
        .filter(mine.clone())
        .group_by(tenants::Column::Status)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut tenants_by_status: BTreeMap<String, u64> = [
        TenantStatus::Pending,
        TenantStatus::Active,
        TenantStatus::Frozen,
        TenantStatus::Deleted,
    ]
    .iter()
    .map(|s| (s.as_str().to_owned(), 0))
    .collect();
    for (status, n) in counted {
        tenants_by_status.insert(status, n.max(0) as u64);
    }

    let live: Vec<Uuid> = tenants::Entity::find()
        .select_only()
        .column(tenants::Column::Id)
        .filter(mine.clone())
        .filter(tenants::Column::Status.ne(TenantStatus::Deleted.as_str()))
        .into_tuple()
        .all(&state.db)
        .await?;
    let holds_rows = tenant_holds::Entity::find()
        .filter(tenant_holds::Column::TenantId.is_in(live.iter().copied()))
        .all(&state.db)
        .await?;
    let mut holds = HoldCounts::default();
    for h in &holds_rows {
        match h.kind.parse::<HoldKind>() {
            Ok(HoldKind::Overdue) => holds.overdue += 1,
            Ok(HoldKind::Takedown) => holds.takedown += 1,
            _ => {}
        }
    }

    let ending_soon = tenants::Entity::find()
        .filter(mine.clone())
        .filter(tenants::Column::Status.eq(TenantStatus::Active.as_str()))
        .filter(tenants::Column::TermEndDate.gte(today))
        .filter(
            tenants::Column::TermEndDate.lte(today + chrono::Duration::days(ENDING_WITHIN_DAYS)),
        )
        .order_by_asc(tenants::Column::TermEndDate)
        .limit(LIST_LIMIT)
        .all(&state.db)
        .await?
        .into_iter()
        .filter_map(|t| {
            let end = t.term_end_date?;
            Some(EndingSoon {
                id: t.id,
                business_name: t.business_name,
                end_date: end,
                days_left: (end - today).num_days(),
            })
        })
        .collect();

    let frozen = tenants::Entity::find()
        .filter(mine.clone())
        .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
        .order_by_asc(tenants::Column::DeleteAfter)
        .limit(LIST_LIMIT)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| FrozenTenant {
            id: t.id,
            business_name: t.business_name,
            frozen_at: t.frozen_at,
            delete_after: t.delete_after,
        })
        .collect();

    let mut overdue_holds: Vec<&tenant_holds::Model> = holds_rows
        .iter()
        .filter(|h| h.kind == HoldKind::Overdue.as_str())
        .collect();
    overdue_holds.sort_by_key(|h| h.set_at);
    overdue_holds.truncate(LIST_LIMIT as usize);
    let overdue_ids: Vec<Uuid> = overdue_holds.iter().map(|h| h.tenant_id).collect();
    let owed = crate::services::contracts::outstanding_by_tenant(&state.db, &overdue_ids).await?;
    let names: BTreeMap<Uuid, String> = tenants::Entity::find()
        .filter(tenants::Column::Id.is_in(overdue_ids.iter().copied()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.business_name))
        .collect();
    let overdue = overdue_holds
        .into_iter()
        .map(|h| OverdueTenant {
            id: h.tenant_id,
            business_name: names.get(&h.tenant_id).cloned().unwrap_or_default(),
            overdue_since: h.set_at,
            outstanding_fen: owed.get(&h.tenant_id).copied().unwrap_or(0),
        })
        .collect();

    let coverage = state.calendar.coverage(today);
    let dead_jobs = if viewer.role == Role::AgencyAdmin {
        jobs::Entity::find()
            .filter(jobs::Column::Status.eq(job_status::DEAD))
            .count(&state.db)
            .await?
    } else {
        0
    };
    Ok(Dashboard {
        tenants_by_status,
        holds,
        ending_soon,
        frozen,
        overdue,
        calendar: CalendarCoverage {
            covered_until: coverage.map(|c| c.0),
            days_left: coverage.map(|c| c.1),
        },
        dead_jobs,
    })
}
