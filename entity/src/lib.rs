//! sea-orm entities: the shape of each table, nothing else. Business rules live in the
//! root crate's `domain` and `services`.

pub mod audit_events;
pub mod contact_changes;
pub mod contract_milestones;
pub mod contracts;
pub mod jobs;
pub mod login_throttles;
pub mod payments;
pub mod plan_versions;
pub mod plans;
pub mod refresh_tokens;
pub mod sessions;
pub mod sweep_marks;
pub mod tenant_holds;
pub mod tenants;
pub mod users;
