//! Roles of accounts.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an account may do (SPEC §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Agency administrator: everything.
    AgencyAdmin,
    /// Account manager (客户经理): their assigned tenants.
    AccountManager,
    /// The tenant's designated contact: edits, publishes, manages editors.
    MerchantAdmin,
    /// Edits drafts and uploads assets of one tenant.
    MerchantEditor,
}

/// The roles a staff account can have (what creating one accepts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Agency administrator.
    AgencyAdmin,
    /// Account manager.
    AccountManager,
}

impl From<StaffRole> for Role {
    fn from(role: StaffRole) -> Self {
        match role {
            StaffRole::AgencyAdmin => Role::AgencyAdmin,
            StaffRole::AccountManager => Role::AccountManager,
        }
    }
}

impl Role {
    /// Wire and database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::AgencyAdmin => "agency_admin",
            Role::AccountManager => "account_manager",
            Role::MerchantAdmin => "merchant_admin",
            Role::MerchantEditor => "merchant_editor",
        }
    }

    /// Agency staff (not bound to a tenant).
    pub fn is_staff(self) -> bool {
        matches!(self, Role::AgencyAdmin | Role::AccountManager)
    }

    /// Merchant users (bound to exactly one tenant).
    pub fn is_merchant(self) -> bool {
        !self.is_staff()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not a role.
#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "agency_admin" => Role::AgencyAdmin,
            "account_manager" => Role::AccountManager,
            "merchant_admin" => Role::MerchantAdmin,
            "merchant_editor" => Role::MerchantEditor,
            other => return Err(UnknownRole(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for r in [
            Role::AgencyAdmin,
            Role::AccountManager,
            Role::MerchantAdmin,
            Role::MerchantEditor,
        ] {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
    }
}
