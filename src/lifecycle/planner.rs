//! The planner: what the sweeps will do on each of the coming days — reminders, freezes,
//! overdue holds, purges — and why, computed with the sweeps' own rules and queries and
//! changing nothing. A projection assumes nobody pays or renews in between.

use super::freeze::DUE_PREDICATE;
use super::reminders::current_terms_ending;
use crate::domain::lifecycle::{
    REMINDER_OFFSETS, delete_after, freeze_instant, reminder_for_contract, reminder_instant,
};
use crate::domain::tenant::TenantStatus;
use crate::domain::time::{shanghai_date, shanghai_midnight};
use crate::error::{AppError, AppResult, Localized};
use crate::services::contracts::load_contracts;
use crate::state::AppState;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::{reminder_ledger, tenants};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// One thing the sweeps will do.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PlannedAction {
    /// `reminder`, `freeze`, `overdue_hold`, `purge`, or `deletion_unscheduled` (frozen,
    /// or to be frozen, while the calendar does not reach the end of the grace period:
    /// the purge has no time until the year is added; listed on the freeze's day, or
    /// today for a tenant already frozen).
    pub action: &'static str,
    /// When (the sweep's instant; now for something already due); null for
    /// `deletion_unscheduled`.
    pub at: Option<DateTime<Utc>>,
    /// The day it is listed under (Asia/Shanghai).
    #[serde(skip)]
    pub day: NaiveDate,
    /// The tenant.
    pub tenant_id: Uuid,
    /// Its name.
    pub business_name: String,
    /// Why, in words.
    pub reason: String,
}

/// The actions of one Asia/Shanghai day.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlannedDay {
    /// The day.
    pub date: NaiveDate,
    /// What happens, in time order.
    pub actions: Vec<PlannedAction>,
}

/// The plan from `now` over `days` days (1–366), one entry per day with actions.
pub async fn plan(state: &AppState, now: DateTime<Utc>, days: i64) -> AppResult<Vec<PlannedDay>> {
    if !(1..=366).contains(&days) {
        return Err(AppError::invalid_field(
            "days",
            Localized::new("须为 1–366", "must be 1–366"),
        ));
    }
    let conn = &state.db;
    let today = shanghai_date(now);
    let horizon = shanghai_midnight(today + Duration::days(days));
    let calendar = state.calendar.current();
    let mut actions = Vec::new();
    let clamp = |at: DateTime<Utc>| at.max(now);
    let timed = |action: &'static str,
                 at: DateTime<Utc>,
                 tenant_id: Uuid,
                 business_name: String,
                 reason: String| PlannedAction {
        action,
        at: Some(at),
        day: shanghai_date(at),
        tenant_id,
        business_name,
        reason,
    };

    // Reminders: the sweep's query and rule, evaluated at each future reminder instant.
    let window = REMINDER_OFFSETS.iter().copied().max().unwrap_or(30) as i64;
    let terms = current_terms_ending(conn, today, today + Duration::days(days + window)).await?;
    let sent: std::collections::HashSet<(Uuid, i32)> = reminder_ledger::Entity::find()
        .filter(reminder_ledger::Column::ContractId.is_in(terms.iter().map(|t| t.contract_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.contract_id, r.offset_days))
        .collect();
    for t in &terms {
        for offset in REMINDER_OFFSETS {
            let at = reminder_instant(t.end_date, offset);
            let when = clamp(at);
            if when < horizon
                && reminder_for_contract(t.end_date, t.made_at, when) == Some(offset)
                && !sent.contains(&(t.contract_id, offset))
            {
                actions.push(timed(
                    "reminder",
                    when,
                    t.tenant.0,
                    t.business_name.clone(),
                    format!("{offset} days before the end date {}", t.end_date),
                ));
            }
        }
    }

    // Freezes (and the purge that follows if nobody renews): the freeze sweep's predicate.
    let backend = conn.get_database_backend();
    let last_end = today + Duration::days(days);
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT id, business_name, term_end_date FROM tenants WHERE {DUE_PREDICATE}"),
            [last_end.into()],
        ))
        .await?;
    for r in rows {
        let id: Uuid = r.try_get("", "id")?;
        let name: String = r.try_get("", "business_name")?;
        let end: NaiveDate = r.try_get("", "term_end_date")?;
        actions.push(timed(
            "freeze",
            clamp(freeze_instant(end)),
            id,
            name.clone(),
            format!("term ended {end}, not renewed"),
        ));
        match delete_after(&calendar, end) {
            Ok(due) if clamp(due) < horizon => actions.push(timed(
                "purge",
                clamp(due),
                id,
                name,
                format!(
                    "10 working days after the freeze on {}",
                    end + Duration::days(1)
                ),
            )),
            Ok(_) => {}
            Err(e) => actions.push(PlannedAction {
                action: "deletion_unscheduled",
                at: None,
                day: shanghai_date(clamp(freeze_instant(end))),
                tenant_id: id,
                business_name: name,
                reason: format!(
                    "deletion time unknown until the calendar covers {}: {e}",
                    e.year
                ),
            }),
        }
    }

    // Purges of tenants already frozen.
    let frozen = tenants::Entity::find()
        .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
        .all(conn)
        .await?;
    for t in frozen {
        match t.delete_after {
            Some(due) if clamp(due) < horizon => actions.push(timed(
                "purge",
                clamp(due),
                t.id,
                t.business_name,
                format!(
                    "grace period ends {}",
                    crate::domain::time::shanghai_display(due)
                ),
            )),
            Some(_) => {}
            None => actions.push(PlannedAction {
                action: "deletion_unscheduled",
                at: None,
                day: today,
                tenant_id: t.id,
                business_name: t.business_name,
                reason:
                    "frozen; the deletion time is set once the calendar covers the grace period"
                        .into(),
            }),
        }
    }

    // Overdue holds: the overdue sweep's candidates and rule, day by day.
    let names: HashMap<Uuid, String> = tenants::Entity::find()
        .filter(tenants::Column::Status.ne(TenantStatus::Deleted.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.business_name))
        .collect();
    let holds = entity::tenant_holds::Entity::find()
        .filter(entity::tenant_holds::Column::Kind.eq("overdue"))
        .all(conn)
        .await?;
    for tenant in super::overdue::candidates(state, last_end)
        .await
        .map_err(AppError::internal)?
    {
        let contracts = load_contracts(conn, tenant).await?;
        let mut held = holds.iter().any(|h| h.tenant_id == tenant.0);
        for offset in 0..days {
            let day = today + Duration::days(offset);
            let overdue = contracts
                .iter()
                .filter(|c| !c.is_cancelled())
                .any(|c| c.terms().is_overdue(&c.payments(), day));
            if overdue && !held {
                actions.push(timed(
                    "overdue_hold",
                    clamp(shanghai_midnight(day)),
                    tenant.0,
                    names.get(&tenant.0).cloned().unwrap_or_default(),
                    "a milestone will be unpaid beyond its tolerance".into(),
                ));
            }
            held = overdue;
        }
    }

    let mut by_day: BTreeMap<NaiveDate, Vec<PlannedAction>> = BTreeMap::new();
    for a in actions {
        by_day.entry(a.day).or_default().push(a);
    }
    Ok(by_day
        .into_iter()
        .map(|(date, mut actions)| {
            // Timed actions in time order, then the untimed ones.
            actions.sort_by(|a, b| {
                (a.at.is_none(), a.at, a.action, a.tenant_id).cmp(&(
                    b.at.is_none(),
                    b.at,
                    b.action,
                    b.tenant_id,
                ))
            });
            PlannedDay { date, actions }
        })
        .collect())
}
