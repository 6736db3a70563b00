//! Tenant state = lifecycle status + independent holds (SPEC §2.3), and what each state
//! lets a merchant do.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// Lifecycle status of a tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantStatus {
    /// Provisioned, activation rule (payment) not met yet.
    Pending,
    /// In service.
    Active,
    /// Past its end date: read and export only, deletion scheduled.
    Frozen,
    /// Purged; only the tombstone row remains.
    Deleted,
}

impl TenantStatus {
    /// Wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TenantStatus::Pending => "pending",
            TenantStatus::Active => "active",
            TenantStatus::Frozen => "frozen",
            TenantStatus::Deleted => "deleted",
        }
    }
}

impl fmt::Display for TenantStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a tenant status or hold kind.
#[derive(Debug, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownValue(pub String);

impl FromStr for TenantStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "pending" => TenantStatus::Pending,
            "active" => TenantStatus::Active,
            "frozen" => TenantStatus::Frozen,
            "deleted" => TenantStatus::Deleted,
            other => return Err(UnknownValue(other.to_owned())),
        })
    }
}

/// A hold, set and lifted independently of the status.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    /// A milestone unpaid beyond the tolerance; paying lifts it.
    Overdue,
    /// Illegal content; set and lifted only by an agency admin.
    Takedown,
}

impl HoldKind {
    /// Wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldKind::Overdue => "overdue",
            HoldKind::Takedown => "takedown",
        }
    }
}

impl FromStr for HoldKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "overdue" => HoldKind::Overdue,
            "takedown" => HoldKind::Takedown,
            other => return Err(UnknownValue(other.to_owned())),
        })
    }
}

/// Status plus holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantState {
    /// Lifecycle status.
    pub status: TenantStatus,
    /// Holds currently set.
    pub holds: BTreeSet<HoldKind>,
}

/// Why a merchant write is refused (SPEC §2.3's table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteRefusal {
    /// `tenant_pending`
    Pending,
    /// `tenant_on_hold`, with the hold reasons.
    OnHold(Vec<HoldKind>),
    /// `tenant_frozen`
    Frozen,
    /// The tenant no longer exists for merchants (404 / 401).
    Deleted,
}

impl TenantState {
    /// Whether merchant users may read (everything but a deleted tenant).
    pub fn allows_merchant_reads(&self) -> bool {
        self.status != TenantStatus::Deleted
    }

    /// `None` when merchant writes and publishing are allowed, else why not.
    /// Status outranks holds: a frozen tenant with a hold is refused as frozen.
    pub fn merchant_write_refusal(&self) -> Option<WriteRefusal> {
        match self.status {
            TenantStatus::Deleted => Some(WriteRefusal::Deleted),
            TenantStatus::Frozen => Some(WriteRefusal::Frozen),
            TenantStatus::Pending => Some(WriteRefusal::Pending),
            TenantStatus::Active if !self.holds.is_empty() => {
                Some(WriteRefusal::OnHold(self.holds.iter().copied().collect()))
            }
            TenantStatus::Active => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: TenantStatus, holds: &[HoldKind]) -> TenantState {
        TenantState {
            status,
            holds: holds.iter().copied().collect(),
        }
    }

    #[test]
    fn spec_table_for_merchant_writes() {
        assert_eq!(
            state(TenantStatus::Active, &[]).merchant_write_refusal(),
            None
        );
        assert_eq!(
            state(TenantStatus::Pending, &[]).merchant_write_refusal(),
            Some(WriteRefusal::Pending)
        );
        assert_eq!(
            state(
                TenantStatus::Active,
                &[HoldKind::Takedown, HoldKind::Overdue]
            )
            .merchant_write_refusal(),
            Some(WriteRefusal::OnHold(vec![
                HoldKind::Overdue,
                HoldKind::Takedown
            ]))
        );
        assert_eq!(
            state(TenantStatus::Frozen, &[HoldKind::Overdue]).merchant_write_refusal(),
            Some(WriteRefusal::Frozen)
        );
        assert!(!state(TenantStatus::Deleted, &[]).allows_merchant_reads());
        assert!(state(TenantStatus::Frozen, &[]).allows_merchant_reads());
    }
}
