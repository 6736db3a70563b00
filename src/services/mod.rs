//! Use cases: each owns its transaction, calls the database and adapters, and enqueues
//! jobs. Handlers call services; services never call handlers or job handlers.

pub mod accounts;
pub mod assets;
pub mod audit;
pub mod branding;
pub mod calendar_years;
pub mod client_cache;
pub mod client_content;
pub mod client_sync;
pub mod contracts;
pub mod dashboard;
pub mod exports;
pub mod faults;
pub mod finance;
pub mod listing;
pub mod meter;
pub mod notifications;
pub mod page_checks;
pub mod pages;
pub mod plans;
pub mod preview_links;
pub mod principals;
pub mod public_url;
pub mod sessions;
pub mod settings;
pub mod setup;
pub mod signed_links;
pub mod sms;
pub mod tenant_state;
pub mod tenants;
pub mod wechat;

/// Facts about the HTTP request a use case records (audit, throttling).
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The request id (also in the `X-Request-Id` header and every log line).
    pub request_id: Option<String>,
    /// The client address as seen by the server (or the proxy's forwarded address).
    pub client_ip: String,
}
