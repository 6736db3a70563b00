//! The append-only audit log. Callers pass summaries with personal data already masked;
//! [`mask_phone`] is the one masking rule for phone numbers.

use crate::domain::ids::{TenantId, UserId};
use crate::domain::role::Role;
use chrono::{DateTime, Utc};
use entity::audit_events;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use uuid::Uuid;

/// Who did it.
#[derive(Clone, Debug)]
pub struct Actor {
    /// The account, or `None` for the system (scheduler, WeChat events).
    pub id: Option<UserId>,
    /// Role, or `system`.
    pub role: String,
    /// Username, or `system`.
    pub name: String,
}

impl Actor {
    /// The scheduler or another automatic cause.
    pub fn system() -> Self {
        Self {
            id: None,
            role: "system".into(),
            name: "system".into(),
        }
    }

    /// A signed-in account.
    pub fn user(id: UserId, role: Role, name: impl Into<String>) -> Self {
        Self {
            id: Some(id),
            role: role.as_str().into(),
            name: name.into(),
        }
    }
}

/// One event to append.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    /// Who.
    pub actor: Actor,
    /// Which tenant it concerns, if any.
    pub tenant_id: Option<TenantId>,
    /// What, as `subject.verb` (`staff.created`, `tenant.frozen`).
    pub action: &'static str,
    /// Kind of the thing acted on (`user`, `tenant`, `job`).
    pub subject_type: &'static str,
    /// Its id.
    pub subject_id: Option<String>,
    /// Before/after facts, personal data masked.
    pub summary: serde_json::Value,
    /// The request that caused it.
    pub request_id: Option<String>,
}

/// Appends `record` on `conn` — the caller's transaction, so the event exists exactly when
/// the change does.
pub async fn record(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    record: AuditRecord,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    audit_events::Entity::insert(row(id, at, record))
        .exec_without_returning(conn)
        .await?;
    Ok(id)
}

/// Appends many events in multi-row inserts (set-based sweeps), in the caller's
/// transaction.
pub async fn record_many(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    records: Vec<AuditRecord>,
) -> Result<(), DbErr> {
    let mut rows = records
        .into_iter()
        .map(|r| row(Uuid::now_v7(), at, r))
        .peekable();
    while rows.peek().is_some() {
        // 11 columns a row: 500 rows stay under every backend's bind-parameter limit.
        let chunk: Vec<_> = rows.by_ref().take(500).collect();
        audit_events::Entity::insert_many(chunk)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Appends one event per `(tenant, summary)` by `actor`, all with the same action and
/// subject type (the tenant), in one set-based statement per 5,000 — for set-based sweeps.
pub async fn record_bulk(
    conn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    actor: &Actor,
    action: &str,
    rows: Vec<(TenantId, serde_json::Value)>,
) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    for chunk in rows.chunks(5000) {
        let rows: Vec<(Uuid, Uuid, serde_json::Value)> = chunk
            .iter()
            .map(|(t, s)| (Uuid::now_v7(), t.0, s.clone()))
            .collect();
        let (source, mut values) = crate::db::bulk_rows_source(backend, 6, &rows);
        let subject = match backend {
            sea_orm::DatabaseBackend::Postgres => "r.tenant::text",
            _ => {
                "lower(substr(hex(r.tenant), 1, 8) || '-' || substr(hex(r.tenant), 9, 4) || '-' || \
                 substr(hex(r.tenant), 13, 4) || '-' || substr(hex(r.tenant), 17, 4) || '-' || \
                 substr(hex(r.tenant), 21))"
            }
        };
        let mut params: Vec<sea_orm::Value> = vec![
            at.into(),
            actor.id.map(|u| u.0).into(),
            actor.role.clone().into(),
            actor.name.clone().into(),
            action.into(),
        ];
        params.append(&mut values);
        conn.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO audit_events (id, occurred_at, actor_id, actor_role, actor_name, \
                 tenant_id, action, subject_type, subject_id, summary, request_id) \
                 SELECT r.id, $1, $2, $3, $4, r.tenant, $5, 'tenant', {subject}, r.doc, NULL \
                 FROM {source}"
            ),
            params,
        ))
        .await?;
    }
    Ok(())
}

fn row(id: Uuid, at: DateTime<Utc>, record: AuditRecord) -> audit_events::ActiveModel {
    audit_events::ActiveModel {
        id: Set(id),
        occurred_at: Set(at),
        actor_id: Set(record.actor.id.map(|u| u.0)),
        actor_role: Set(record.actor.role),
        actor_name: Set(record.actor.name),
        tenant_id: Set(record.tenant_id.map(|t| t.0)),
        action: Set(record.action.into()),
        subject_type: Set(record.subject_type.into()),
        subject_id: Set(record.subject_id),
        summary: Set(record.summary),
        request_id: Set(record.request_id),
    }
}

/// Masks a phone number for logs, the audit log and message history: `13812341234` →
/// `138****1234`; short inputs keep only their last two characters.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    let n = digits.len();
    if n >= 11 {
        let head: String = digits[..n - 8].iter().collect();
        let tail: String = digits[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else if n > 2 {
        format!(
            "{}{}",
            "*".repeat(n - 2),
            digits[n - 2..].iter().collect::<String>()
        )
    } else {
        "*".repeat(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("+8613812341234"), "+86138****1234");
        assert_eq!(mask_phone("12345"), "***45");
    }
}

/// Filters of the audit-log query.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditFilter {
    /// Events of this tenant.
    pub tenant_id: Option<Uuid>,
    /// Events by this account.
    pub actor_id: Option<Uuid>,
    /// Exact action (`payment.recorded`) or a prefix ending in `.` (`tenant.`).
    pub action: Option<String>,
    /// From this instant (inclusive, RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Until this instant (exclusive, RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// An audit event as shown.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    /// Event id.
    pub id: Uuid,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Who (account id; none for the system).
    pub actor_id: Option<Uuid>,
    /// Role, or `system`.
    pub actor_role: String,
    /// Username, or `system`.
    pub actor_name: String,
    /// Tenant concerned.
    pub tenant_id: Option<Uuid>,
    /// What.
    pub action: String,
    /// Kind of subject.
    pub subject_type: String,
    /// Subject id.
    pub subject_id: Option<String>,
    /// Before/after facts, personal data masked.
    pub summary: serde_json::Value,
    /// The request that caused it.
    pub request_id: Option<String>,
}

/// A page of audit events, newest first.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub items: Vec<AuditEventView>,
    /// Pass as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

/// Queries the audit log. `visible_tenants` restricts it (an account manager's tenants).
pub async fn query(
    db: &sea_orm::DatabaseConnection,
    filter: AuditFilter,
    visible_tenants: Option<Vec<Uuid>>,
) -> Result<AuditPage, crate::error::AppError> {
    use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};
    let limit = filter.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(crate::error::AppError::invalid_field(
            "limit",
            crate::error::Localized::new("须在 1 到 200 之间", "must be between 1 and 200"),
        ));
    }
    let mut cond = Condition::all();
    if let Some(visible) = visible_tenants {
        cond = cond.add(audit_events::Column::TenantId.is_in(visible));
    }
    if let Some(t) = filter.tenant_id {
        cond = cond.add(audit_events::Column::TenantId.eq(t));
    }
    if let Some(a) = filter.actor_id {
        cond = cond.add(audit_events::Column::ActorId.eq(a));
    }
    if let Some(action) = &filter.action {
        cond = if action.ends_with('.') {
            cond.add(audit_events::Column::Action.starts_with(action.as_str()))
        } else {
            cond.add(audit_events::Column::Action.eq(action.as_str()))
        };
    }
    if let Some(from) = filter.from {
        cond = cond.add(audit_events::Column::OccurredAt.gte(from));
    }
    if let Some(to) = filter.to {
        cond = cond.add(audit_events::Column::OccurredAt.lt(to));
    }
    if let Some(cursor) = filter.cursor {
        cond = cond.add(audit_events::Column::Id.lt(cursor));
    }
    let mut rows = audit_events::Entity::find()
        .filter(cond)
        .order_by_desc(audit_events::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage {
        items: rows
            .into_iter()
            .map(|e| AuditEventView {
                id: e.id,
                occurred_at: e.occurred_at,
                actor_id: e.actor_id,
                actor_role: e.actor_role,
                actor_name: e.actor_name,
                tenant_id: e.tenant_id,
                action: e.action,
                subject_type: e.subject_type,
                subject_id: e.subject_id,
                summary: e.summary,
                request_id: e.request_id,
            })
            .collect(),
        next_cursor,
    })
}
