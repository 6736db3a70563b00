//! In-system notices: what kinds exist and who receives each.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// A kind of notice; each has a template `page-templates/notifications/<kind>.hbs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// 30 or 7 days before the end date.
    RenewalReminder,
    /// The term ended: frozen, with the deletion time and how to export.
    Frozen,
    /// Renewed while frozen: open again.
    Reopened,
    /// A milestone is overdue beyond the tolerance.
    OverdueHoldSet,
    /// The overdue milestone was paid.
    OverdueHoldLifted,
    /// The tenant's data was deleted (to staff).
    Deleted,
    /// The working-day calendar needs the next year (to agency admins).
    CalendarCoverage,
    /// An agency admin's message to all tenants or one plan's tenants.
    Broadcast,
    /// A new version of the merchant's mini-program is online.
    ReleaseCompleted,
    /// A WeChat action kept failing and needs an operator (to agency admins).
    WechatActionFailed,
    /// WeChat's reviewers rejected a version: their reason and what to do.
    AuditRejected,
    /// A frozen tenant's deletion date became known (the calendar reached it).
    DeletionScheduled,
    /// The merchant admin has not signed in one working day after provisioning (to the
    /// account manager: hand the sign-in details over).
    CredentialsNotCollected,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 13] = [
        NoticeKind::RenewalReminder,
        NoticeKind::Frozen,
        NoticeKind::Reopened,
        NoticeKind::OverdueHoldSet,
        NoticeKind::OverdueHoldLifted,
        NoticeKind::Deleted,
        NoticeKind::CalendarCoverage,
        NoticeKind::Broadcast,
        NoticeKind::ReleaseCompleted,
        NoticeKind::WechatActionFailed,
        NoticeKind::AuditRejected,
        NoticeKind::DeletionScheduled,
        NoticeKind::CredentialsNotCollected,
    ];

    /// Wire, database and template spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::RenewalReminder => "renewal_reminder",
            NoticeKind::Frozen => "frozen",
            NoticeKind::Reopened => "reopened",
            NoticeKind::OverdueHoldSet => "overdue_hold_set",
            NoticeKind::OverdueHoldLifted => "overdue_hold_lifted",
            NoticeKind::Deleted => "deleted",
            NoticeKind::CalendarCoverage => "calendar_coverage",
            NoticeKind::Broadcast => "broadcast",
            NoticeKind::ReleaseCompleted => "release_completed",
            NoticeKind::WechatActionFailed => "wechat_action_failed",
            NoticeKind::AuditRejected => "audit_rejected",
            NoticeKind::DeletionScheduled => "deletion_scheduled",
            NoticeKind::CredentialsNotCollected => "credentials_not_collected",
        }
    }
}

impl NoticeKind {
    /// The notice's SMS form: the data keys whose values fill the provider template's
    /// positional parameters, in order; `None` for kinds that never go by SMS. The
    /// in-system text is rendered separately from the full template.
    pub fn sms_params(self) -> Option<&'static [&'static str]> {
        match self {
            NoticeKind::RenewalReminder => Some(&["business_name", "end_date", "days_left"]),
            NoticeKind::Frozen => Some(&["business_name", "delete_date"]),
            NoticeKind::DeletionScheduled => Some(&["business_name", "delete_date"]),
            NoticeKind::Reopened => Some(&["business_name"]),
            NoticeKind::OverdueHoldSet => Some(&["business_name"]),
            _ => None,
        }
    }
}

impl FromStr for NoticeKind {
    type Err = super::tenant::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NoticeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| super::tenant::UnknownValue(s.to_owned()))
    }
}

/// Who receives a notice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Audience {
    /// The tenant's merchant accounts and its account manager.
    TenantAndManager,
    /// The tenant's account manager and every agency admin (the tenant itself is gone).
    ManagerAndAdmins,
    /// Every agency admin.
    AgencyAdmins,
    /// The tenant's account manager only.
    Manager,
    /// The merchant accounts of every tenant not deleted, or of one plan's tenants.
    AllTenants,
}

impl Audience {
    /// Database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::TenantAndManager => "tenant_and_manager",
            Audience::ManagerAndAdmins => "manager_and_admins",
            Audience::AgencyAdmins => "agency_admins",
            Audience::Manager => "manager",
            Audience::AllTenants => "all_tenants",
        }
    }
}

impl FromStr for Audience {
    type Err = super::tenant::UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Audience::TenantAndManager,
            Audience::ManagerAndAdmins,
            Audience::AgencyAdmins,
            Audience::Manager,
            Audience::AllTenants,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
        .ok_or_else(|| super::tenant::UnknownValue(s.to_owned()))
    }
}
