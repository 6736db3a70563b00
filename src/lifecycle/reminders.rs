//! Renewal reminders (SPEC §2.6): at 10:00 Asia/Shanghai, 30 and 7 days before the end
//! date, to the tenant's merchant accounts and its account manager — exactly once per
//! contract and offset. The permanent `reminder_ledger` row is inserted with
//! `ON CONFLICT DO NOTHING` in the same transaction as the notice, so however many
//! instances tick, one of them wins and the others do nothing.

use crate::db;
use crate::domain::ids::TenantId;
use crate::domain::lifecycle::{
    REMINDER_OFFSETS, days_left, freeze_instant, reminder_for_contract,
};
use crate::domain::notice::{Audience, NoticeKind};
use crate::domain::time::{shanghai_date, shanghai_display};
use crate::error::AppResult;
use crate::services::audit::{self, Actor, AuditRecord};
use crate::services::notifications::{self, NewNotice};
use crate::state::AppState;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entity::reminder_ledger;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement,
};
use uuid::Uuid;

/// A reminder that is due.
#[derive(Clone, Debug)]
pub struct DueReminder {
    /// The tenant.
    pub tenant: TenantId,
    /// Its name.
    pub business_name: String,
    /// The contract whose end it announces (the current term).
    pub contract_id: Uuid,
    /// The end date.
    pub end_date: NaiveDate,
    /// 30 or 7.
    pub offset_days: i32,
    /// Days from the reminder's day to the end date, as the notice states them.
    pub days_left: i64,
}

/// A current term ending soon.
#[derive(Clone, Debug)]
pub struct EndingTerm {
    /// The tenant.
    pub tenant: TenantId,
    /// Its name.
    pub business_name: String,
    /// The contract of the term.
    pub contract_id: Uuid,
    /// The term's last day.
    pub end_date: NaiveDate,
    /// When the contract was made (reminders due before it are skipped).
    pub made_at: DateTime<Utc>,
}

/// Current terms (not renewed: the tenant's end date is the contract's) ending within the
/// reminder window of `today`, with the contract they belong to.
pub async fn current_terms_ending(
    conn: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<EndingTerm>> {
    let backend = conn.get_database_backend();
    let sql = "SELECT t.id AS tenant_id, t.business_name AS business_name, c.id AS contract_id, \
                      t.term_end_date AS end_date, c.sequence AS sequence, \
                      c.created_at AS made_at \
               FROM tenants t JOIN contracts c ON c.tenant_id = t.id \
                 AND c.end_date = t.term_end_date AND c.cancelled_at IS NULL \
               WHERE t.status IN ('pending', 'active') \
                 AND t.term_end_date >= $1 AND t.term_end_date <= $2 \
               ORDER BY t.id, c.sequence DESC";
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [from.into(), to.into()],
        ))
        .await?;
    let mut out: Vec<EndingTerm> = Vec::new();
    for r in rows {
        let tenant = TenantId(r.try_get::<Uuid>("", "tenant_id")?);
        // Highest sequence first: one contract per tenant.
        if out.last().is_some_and(|t| t.tenant == tenant) {
            continue;
        }
        out.push(EndingTerm {
            tenant,
            business_name: r.try_get("", "business_name")?,
            contract_id: r.try_get("", "contract_id")?,
            end_date: r.try_get("", "end_date")?,
            made_at: r.try_get("", "made_at")?,
        });
    }
    Ok(out)
}

/// Reminders due at `now` and not in the ledger yet.
pub async fn due(conn: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<Vec<DueReminder>> {
    let today = shanghai_date(now);
    let window = REMINDER_OFFSETS.iter().copied().max().unwrap_or(30) as i64;
    let terms = current_terms_ending(conn, today, today + Duration::days(window)).await?;
    let sent: std::collections::HashSet<(Uuid, i32)> = reminder_ledger::Entity::find()
        .filter(reminder_ledger::Column::ContractId.is_in(terms.iter().map(|t| t.contract_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.contract_id, r.offset_days))
        .collect();
    Ok(terms
        .into_iter()
        .filter_map(|t| {
            let offset = reminder_for_contract(t.end_date, t.made_at, now)?;
            (!sent.contains(&(t.contract_id, offset))).then_some(DueReminder {
                tenant: t.tenant,
                business_name: t.business_name,
                contract_id: t.contract_id,
                end_date: t.end_date,
                offset_days: offset,
                days_left: days_left(t.end_date, today),
            })
        })
        .collect())
}

/// Sends one reminder unless the ledger already has it. Returns whether this call sent it.
pub async fn send(state: &AppState, r: &DueReminder, now: DateTime<Utc>) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let claimed = reminder_ledger::Entity::insert(reminder_ledger::ActiveModel {
        contract_id: Set(r.contract_id),
        offset_days: Set(r.offset_days),
        end_date: Set(r.end_date),
        notification_id: Set(None),
        sent_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            reminder_ledger::Column::ContractId,
            reminder_ledger::Column::OffsetDays,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if claimed == 0 {
        txn.commit().await?;
        return Ok(false);
    }
    let manager_name = match entity::tenants::Entity::find_by_id(r.tenant.0)
        .one(&txn)
        .await?
        .and_then(|t| t.account_manager_id)
    {
        Some(m) => entity::users::Entity::find_by_id(m)
            .one(&txn)
            .await?
            .map(|u| u.display_name),
        None => None,
    };
    let notice = notifications::create(
        &txn,
        state,
        NewNotice {
            kind: NoticeKind::RenewalReminder,
            tenant: Some(r.tenant),
            audience: Audience::TenantAndManager,
            plan_id: None,
            data: serde_json::json!({
                "tenant_id": r.tenant,
                "business_name": r.business_name,
                "end_date": r.end_date.to_string(),
                "days_left": r.days_left,
                "freeze_date": shanghai_display(freeze_instant(r.end_date)).split(' ').next(),
                "manager_name": manager_name,
                "contract_id": r.contract_id,
            }),
            dedup_key: Some(format!("reminder:{}:{}", r.contract_id, r.offset_days)),
            created_by: None,
        },
    )
    .await?;
    reminder_ledger::Entity::update_many()
        .col_expr(reminder_ledger::Column::NotificationId, Expr::value(notice))
        .filter(reminder_ledger::Column::ContractId.eq(r.contract_id))
        .filter(reminder_ledger::Column::OffsetDays.eq(r.offset_days))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: Actor::system(),
            tenant_id: Some(r.tenant),
            action: "tenant.renewal_reminded",
            subject_type: "contract",
            subject_id: Some(r.contract_id.to_string()),
            summary: serde_json::json!({
                "offset_days": r.offset_days,
                "end_date": r.end_date,
                "notification_id": notice,
            }),
            request_id: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}

/// Sends every due reminder; one tenant's failure does not stop the others. Returns (sent,
/// failed).
pub async fn send_due(state: &AppState, now: DateTime<Utc>) -> AppResult<(usize, usize)> {
    let mut sent = 0;
    let mut failed = 0;
    for r in due(&state.db, now).await? {
        match send(state, &r, now).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            Err(e) => {
                failed += 1;
                tracing::error!(tenant.id = %r.tenant, error = %e, "renewal reminder failed");
            }
        }
    }
    Ok((sent, failed))
}
