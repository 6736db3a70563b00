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

/// Why a status changes. Every allowed transition is one row of [`ALLOWED_TRANSITIONS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransitionCause {
    /// The first contract's activation rule is met (payment before service).
    ActivationRuleMet,
    /// The end date passed without a renewal: frozen at 00:00 Asia/Shanghai after it.
    TermEnded,
    /// A follow-on contract's activation rule was met before `delete_after`.
    RenewedBeforeDeletion,
    /// The grace period of 10 working days ended: purged.
    GracePeriodOver,
}

impl TransitionCause {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionCause::ActivationRuleMet => "activation_rule_met",
            TransitionCause::TermEnded => "term_ended",
            TransitionCause::RenewedBeforeDeletion => "renewed_before_deletion",
            TransitionCause::GracePeriodOver => "grace_period_over",
        }
    }
}

/// Every allowed status transition with its cause (SPEC §2.3–§2.9). Anything else is
/// refused with 409 `invalid_transition`.
pub const ALLOWED_TRANSITIONS: &[(TenantStatus, TenantStatus, TransitionCause)] = &[
    (
        TenantStatus::Pending,
        TenantStatus::Active,
        TransitionCause::ActivationRuleMet,
    ),
    (
        TenantStatus::Pending,
        TenantStatus::Frozen,
        TransitionCause::TermEnded,
    ),
    (
        TenantStatus::Active,
        TenantStatus::Frozen,
        TransitionCause::TermEnded,
    ),
    (
        TenantStatus::Frozen,
        TenantStatus::Active,
        TransitionCause::RenewedBeforeDeletion,
    ),
    (
        TenantStatus::Frozen,
        TenantStatus::Deleted,
        TransitionCause::GracePeriodOver,
    ),
];

/// Why a hold is set or lifted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HoldCause {
    /// A milestone is unpaid beyond the tolerance (sets `overdue`).
    MilestoneOverdue,
    /// Payment brought every milestone within tolerance (lifts `overdue`).
    OverduePaid,
    /// An agency admin took the tenant down for illegal content (sets `takedown`).
    AdminTakedown,
    /// An agency admin lifted the takedown (lifts `takedown`).
    AdminLifted,
}

impl HoldCause {
    /// Wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            HoldCause::MilestoneOverdue => "milestone_overdue",
            HoldCause::OverduePaid => "overdue_paid",
            HoldCause::AdminTakedown => "admin_takedown",
            HoldCause::AdminLifted => "admin_lifted",
        }
    }
}

/// Setting (`true`) or lifting (`false`) a hold, with its cause. Each hold has its own
/// causes: paying never lifts a takedown.
pub const ALLOWED_HOLD_CHANGES: &[(HoldKind, bool, HoldCause)] = &[
    (HoldKind::Overdue, true, HoldCause::MilestoneOverdue),
    (HoldKind::Overdue, false, HoldCause::OverduePaid),
    (HoldKind::Takedown, true, HoldCause::AdminTakedown),
    (HoldKind::Takedown, false, HoldCause::AdminLifted),
];

/// An impossible status or hold change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidTransition(pub String);

/// Checks a status transition against the table.
pub fn check_transition(
    from: TenantStatus,
    to: TenantStatus,
    cause: TransitionCause,
) -> Result<(), InvalidTransition> {
    if ALLOWED_TRANSITIONS.contains(&(from, to, cause)) {
        Ok(())
    } else {
        Err(InvalidTransition(format!(
            "{from} → {to} ({}) is not an allowed transition",
            cause.as_str()
        )))
    }
}

/// Checks a hold change: allowed by the table and the tenant is not deleted.
pub fn check_hold_change(
    status: TenantStatus,
    hold: HoldKind,
    set: bool,
    cause: HoldCause,
) -> Result<(), InvalidTransition> {
    if status == TenantStatus::Deleted {
        return Err(InvalidTransition("a deleted tenant has no holds".into()));
    }
    if ALLOWED_HOLD_CHANGES.contains(&(hold, set, cause)) {
        Ok(())
    } else {
        Err(InvalidTransition(format!(
            "{} {} by {} is not allowed",
            if set { "setting" } else { "lifting" },
            hold.as_str(),
            cause.as_str()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_transition_table_allows_only_its_rows() {
        use TenantStatus::*;
        assert!(check_transition(Pending, Active, TransitionCause::ActivationRuleMet).is_ok());
        assert!(check_transition(Frozen, Active, TransitionCause::RenewedBeforeDeletion).is_ok());
        assert!(check_transition(Active, Active, TransitionCause::ActivationRuleMet).is_err());
        assert!(check_transition(Deleted, Active, TransitionCause::RenewedBeforeDeletion).is_err());
        assert!(check_transition(Active, Deleted, TransitionCause::GracePeriodOver).is_err());
        assert!(check_transition(Pending, Active, TransitionCause::TermEnded).is_err());
        assert!(
            check_hold_change(Active, HoldKind::Takedown, false, HoldCause::OverduePaid).is_err()
        );
        assert!(
            check_hold_change(Frozen, HoldKind::Overdue, true, HoldCause::MilestoneOverdue).is_ok()
        );
        assert!(
            check_hold_change(Deleted, HoldKind::Takedown, true, HoldCause::AdminTakedown).is_err()
        );
    }

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
