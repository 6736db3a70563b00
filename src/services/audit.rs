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
    audit_events::Entity::insert(audit_events::ActiveModel {
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
    })
    .exec_without_returning(conn)
    .await?;
    Ok(id)
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
