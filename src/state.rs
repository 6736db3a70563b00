//! What every handler, job and sweep can reach.

use crate::auth::jwt::JwtKeys;
use crate::clock::Clock;
use crate::config::Settings;
use crate::jobs::JobQueue;
use crate::metrics::Metrics;
use crate::render::catalog::Catalog;
use crate::services::faults::FaultPoints;
use crate::services::principals::PrincipalCache;
use crate::storage::ObjectStore;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

/// Shared state of one app instance; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: DatabaseConnection,
    /// What the client cache loads from: a small pool of its own (query-only on SQLite),
    /// so phones' cache loads never queue behind writers for a connection.
    pub read_db: DatabaseConnection,
    /// The source of "now".
    pub clock: Clock,
    /// Settings in effect.
    pub settings: Arc<Settings>,
    /// Access-token keys.
    pub jwt: Arc<JwtKeys>,
    /// Cached account/session/tenant checks.
    pub principals: Arc<PrincipalCache>,
    /// This instance's metrics.
    pub metrics: Arc<Metrics>,
    /// The job queue.
    pub jobs: JobQueue,
    /// Unique id of this instance (worker ids, leases).
    pub instance_id: Arc<str>,
    /// Test-only fault points.
    pub faults: Arc<FaultPoints>,
    /// Component catalogue, starter pages, system assets.
    pub catalog: Arc<Catalog>,
    /// Object storage of assets.
    pub store: Arc<dyn ObjectStore>,
    /// The Handlebars renderer.
    pub renderer: Arc<crate::render::renderer::Renderer>,
    /// The client API's memory.
    pub client_cache: Arc<crate::services::client_cache::ClientCache>,
    /// Client traffic meters.
    pub meter: Arc<crate::services::meter::Meter>,
    /// In-system notice templates.
    pub notices: Arc<crate::render::notices::NoticeRenderer>,
    /// The working-day calendar in effect.
    pub calendar: Arc<crate::lifecycle::calendar::CalendarSource>,
    /// Encryption at rest of WeChat credentials.
    pub vault: Arc<crate::services::wechat::vault::Vault>,
    /// The WeChat third-party platform, when configured.
    pub wechat: Option<Arc<crate::services::wechat::WechatPlatform>>,
    /// The SMS provider, when configured.
    pub sms: Option<Arc<crate::services::sms::SmsPlatform>>,
    /// First-run setup (open while no agency admin exists).
    pub setup: Arc<crate::services::setup::SetupGate>,
    /// The bearer token `/metrics` asks for, when one is set.
    pub metrics_token: Option<Arc<crate::config::SecretBytes>>,
}

impl AppState {
    /// Forgets this instance's cached views of a tenant (account checks and client API).
    pub fn invalidate_tenant(&self, tenant: crate::domain::ids::TenantId) {
        self.principals.invalidate_tenant(tenant);
        self.client_cache.invalidate_tenant(tenant);
    }

    /// After a change phones see (a publish, the tab bar, the theme): forgets the account
    /// checks and reloads the client API's entry in place before returning, so phones keep
    /// being answered from memory and a read after the change returns sees it.
    pub async fn refresh_tenant(&self, tenant: crate::domain::ids::TenantId) {
        self.principals.invalidate_tenant(tenant);
        if let Err(e) = self.client_cache.refresh_tenant(self, tenant).await {
            // Invalidated instead: the next request reloads it.
            tracing::warn!(error = %e, tenant.id = %tenant, "refreshing the client cache failed");
        }
    }
}
