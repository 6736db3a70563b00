//! sea-orm entities: the shape of each table, nothing else. Business rules live in the
//! root crate's `domain` and `services`.

pub mod audit_events;
pub mod jobs;
pub mod login_throttles;
pub mod refresh_tokens;
pub mod sessions;
pub mod tenant_holds;
pub mod tenants;
pub mod users;
