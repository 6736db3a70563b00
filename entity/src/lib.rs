//! sea-orm entities: the shape of each table, nothing else. Business rules live in the
//! root crate's `domain` and `services`.

pub mod assets;
pub mod audit_events;
pub mod code_templates;
pub mod contact_changes;
pub mod contract_milestones;
pub mod contracts;
pub mod deploy_runs;
pub mod deploy_steps;
pub mod exports;
pub mod jobs;
pub mod login_throttles;
pub mod notification_deliveries;
pub mod notifications;
pub mod page_asset_refs;
pub mod page_versions;
pub mod pages;
pub mod payments;
pub mod plan_versions;
pub mod plans;
pub mod refresh_tokens;
pub mod reminder_ledger;
pub mod rollout_targets;
pub mod rollouts;
pub mod sessions;
pub mod sweep_marks;
pub mod tenant_holds;
pub mod tenant_settings;
pub mod tenants;
pub mod usage_daily;
pub mod users;
pub mod wechat_authorizations;
pub mod wechat_authorizer_tokens;
pub mod wechat_bindings;
pub mod wechat_vault;
