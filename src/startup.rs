//! Builds the application from settings: database, state, HTTP server, job workers and
//! the scheduler. The only module that imports `http`.

use crate::auth::jwt::JwtKeys;
use crate::clock::Clock;
use crate::config::{Secrets, Settings};
use crate::jobs::maintenance::HousekeepingSweep;
use crate::jobs::worker::WorkerPool;
use crate::jobs::{JobHandler, JobQueue, JobRegistry, product_handlers};
use crate::metrics::Metrics;
use crate::scheduler::{Scheduler, Sweep};
use crate::services::principals::PrincipalCache;
use crate::state::AppState;
use crate::{db, http};
use actix_web::HttpServer;
use actix_web::dev::{Server, ServerHandle};
use chrono::Duration;
use std::net::TcpListener;
use std::sync::Arc;

/// Knobs that tests (and only tests) change.
pub struct BuildOptions {
    /// The clock (settable in tests).
    pub clock: Clock,
    /// Job handlers added to the product's.
    pub extra_job_handlers: Vec<Arc<dyn JobHandler>>,
    /// Sweeps added to the product's.
    pub extra_sweeps: Vec<Arc<dyn Sweep>>,
    /// Run migrations at start (the test harness migrates a template once instead).
    pub migrate: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            clock: Clock::system(),
            extra_job_handlers: Vec::new(),
            extra_sweeps: Vec::new(),
            migrate: true,
        }
    }
}

/// A built, not yet running, application.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    /// What the job workers, the scheduler and the sync tasks use: the same state with
    /// outbound clients of their own (see [`background_state`]).
    background: AppState,
    scheduler: Arc<Scheduler>,
    registry: Arc<JobRegistry>,
    stop: StopHandle,
}

/// Stops the application: at once the workers stop claiming and the scheduler stops,
/// while the HTTP server drains its requests; the stop takes the longer of the HTTP
/// drain and the running jobs' grace, not their sum. SIGTERM and SIGINT use it too.
#[derive(Clone)]
pub struct StopHandle {
    server: ServerHandle,
    background: tokio::sync::watch::Sender<bool>,
}

impl StopHandle {
    /// Stops (gracefully: requests drain, running jobs get their grace) and returns when
    /// the HTTP server has stopped.
    pub async fn stop(&self, graceful: bool) {
        self.background.send_replace(true);
        self.server.stop(graceful).await;
    }

    fn stopping(&self) -> tokio::sync::watch::Receiver<bool> {
        self.background.subscribe()
    }
}

/// The state background work runs with: the same caches and data, but connections of its
/// own — WeChat, SMS and S3 clients and, on PostgreSQL, database pools. A pooled
/// connection belongs to the runtime that opened it; the HTTP workers' runtimes end first
/// at a stop, and a job reusing one of their connections would lose its call or its query
/// at that moment ("dispatch task is gone", "the Tokio context is being shut down").
/// SQLite connections run on threads of their own and are shared.
async fn background_state(
    state: &AppState,
    settings: &Settings,
    secrets: &Secrets,
) -> anyhow::Result<AppState> {
    let mut background = state.clone();
    if settings.uses_postgres() {
        let mut own = settings.clone();
        // A connection per worker, the scheduler, the sync tasks and a spare.
        own.database.max_connections =
            (settings.jobs.workers as u32 + 4).min(settings.database.max_connections.max(1));
        let url = settings.database_url();
        background.db = db::connect(&url, &own).await?;
        background.read_db = db::connect_reader(&url, &own, &background.db).await?;
    }
    background.wechat =
        crate::services::wechat::WechatPlatform::from_config(settings, secrets)?.map(Arc::new);
    background.sms =
        crate::services::sms::SmsPlatform::from_config(settings, secrets)?.map(Arc::new);
    if state.store.backend() != "local" {
        background.store = object_store(settings, secrets).await?;
    }
    Ok(background)
}

/// Builds the shared state (database pool, keys, caches) without the HTTP server; the CLI
/// uses it for commands that need services.
pub async fn build_state(
    settings: &Settings,
    secrets: &Secrets,
    clock: Clock,
    migrate: bool,
) -> anyhow::Result<AppState> {
    let url = settings.database_url();
    let connection = db::connect(&url, settings).await?;
    if migrate {
        db::migrate(&connection).await?;
    }
    let read_db = db::connect_reader(&url, settings, &connection).await?;
    let catalog = Arc::new(crate::render::catalog::Catalog::load(
        settings.render.templates_dir.as_deref(),
    )?);
    let store = object_store(settings, secrets).await?;
    let renderer = Arc::new(crate::render::renderer::Renderer::new(&catalog)?);

    let jobs = JobQueue::new(
        clock.clone(),
        settings.jobs.max_attempts,
        Duration::milliseconds(settings.jobs.backoff_base_ms),
        Duration::milliseconds(settings.jobs.backoff_max_ms),
        Duration::seconds(settings.jobs.lease_secs),
    );
    let state = AppState {
        db: connection,
        read_db,
        clock,
        settings: Arc::new(settings.clone()),
        jwt: Arc::new(JwtKeys::new(secrets.jwt_secret.expose())),
        principals: Arc::new(PrincipalCache::new(std::time::Duration::from_secs(
            settings.auth.principal_cache_ttl_secs,
        ))),
        metrics: Arc::new(Metrics::new()),
        jobs,
        instance_id: uuid::Uuid::now_v7().simple().to_string()[20..].into(),
        faults: Default::default(),
        renderer,
        catalog: catalog.clone(),
        store,
        client_cache: Arc::new(crate::services::client_cache::ClientCache::new(
            settings.client.cache_max_bytes,
            settings.client.miss_concurrency,
            actix_web::http::header::HeaderValue::from_str(&format!(
                "public, max-age={}, stale-while-revalidate={}",
                settings.client.max_age_secs, settings.client.stale_while_revalidate_secs
            ))?,
        )),
        meter: Default::default(),
        notices: Arc::new(crate::render::notices::NoticeRenderer::new(&catalog)?),
        calendar: Arc::new(crate::lifecycle::calendar::CalendarSource::load(
            settings.lifecycle.calendar_file.clone(),
        )?),
        vault: Arc::new(crate::services::wechat::vault::Vault::new(
            &secrets.vault_keys,
        )?),
        wechat: crate::services::wechat::WechatPlatform::from_config(settings, secrets)?
            .map(Arc::new),
        sms: crate::services::sms::SmsPlatform::from_config(settings, secrets)?.map(Arc::new),
        setup: Default::default(),
        metrics_token: secrets.metrics_token.clone().map(Arc::new),
    };
    // Years added through the API count from the first request on, and so does the
    // coverage metric: a scrape before the first tick must not read 0 days.
    if let Err(e) = state.calendar.refresh_database(&state.db).await {
        tracing::error!(error = %format!("{e:#}"), "calendar years in the database not loaded");
    }
    let today = crate::domain::time::shanghai_date(state.clock.now());
    if let Some((_, days_left)) = state.calendar.coverage(today) {
        state.metrics.calendar_coverage_days.set(days_left);
    }
    Ok(state)
}

/// Waits for SIGTERM or SIGINT (Ctrl-C) and stops gracefully; a second signal stops at once.
async fn stop_on_signal(stop: StopHandle) {
    wait_for_signal().await;
    tracing::info!("stop signal received: stopping gracefully");
    let graceful = tokio::spawn({
        let stop = stop.clone();
        async move { stop.stop(true).await }
    });
    wait_for_signal().await;
    tracing::warn!("second stop signal: stopping now");
    graceful.abort();
    stop.stop(false).await;
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The product's sweeps, in the order every tick runs them.
pub fn product_sweeps() -> Vec<Arc<dyn crate::scheduler::Sweep>> {
    vec![
        Arc::new(HousekeepingSweep),
        Arc::new(crate::lifecycle::overdue::OverdueSweep),
        Arc::new(crate::lifecycle::FreezeSweep),
        Arc::new(crate::lifecycle::ReminderSweep),
        Arc::new(crate::lifecycle::handover::HandoverSweep),
        Arc::new(crate::lifecycle::PurgeSweep),
        Arc::new(crate::services::wechat::tokens::TokenRefreshSweep),
        Arc::new(crate::services::sms::SmsRetentionSweep),
    ]
}

/// The configured object store.
pub async fn object_store(
    settings: &Settings,
    secrets: &Secrets,
) -> anyhow::Result<Arc<dyn crate::storage::ObjectStore>> {
    use crate::config::StorageBackend;
    Ok(match settings.storage.backend {
        StorageBackend::Local => {
            let dir = settings
                .storage
                .objects_dir
                .clone()
                .unwrap_or_else(|| settings.storage.data_dir.join("objects"));
            if settings.uses_postgres() {
                // PostgreSQL usually means several instances: each would keep the assets
                // uploaded through it in its own folder, missing on the others.
                tracing::warn!(
                    objects = %dir.display(),
                    "objects are kept in a local folder while the database is PostgreSQL: several instances need S3 (WEAPP__STORAGE__BACKEND=s3) or one shared folder"
                );
            }
            Arc::new(crate::storage::local::LocalFolderStore::new(dir)?)
        }
        StorageBackend::S3 => {
            let need = |v: &Option<String>, name: &str| {
                v.clone()
                    .filter(|s| !s.is_empty())
                    .ok_or_else(|| anyhow::anyhow!("storage.backend = s3 needs {name}"))
            };
            let secret = secrets.s3_secret_access_key.as_ref().ok_or_else(|| {
                anyhow::anyhow!("storage.backend = s3 needs WEAPP__SECURITY__S3_SECRET_ACCESS_KEY")
            })?;
            let config = crate::storage::s3::S3Config {
                endpoint: need(&settings.storage.s3_endpoint, "WEAPP__STORAGE__S3_ENDPOINT")?,
                region: settings.storage.s3_region.clone(),
                bucket: need(&settings.storage.s3_bucket, "WEAPP__STORAGE__S3_BUCKET")?,
                access_key_id: need(
                    &settings.storage.s3_access_key_id,
                    "WEAPP__STORAGE__S3_ACCESS_KEY_ID",
                )?,
                secret_access_key: String::from_utf8_lossy(secret.expose()).into_owned(),
                path_style: settings.storage.s3_path_style,
            };
            let store = crate::storage::s3::S3Store::new(&config);
            store.ensure_bucket().await?;
            Arc::new(store)
        }
    })
}

impl Application {
    /// Connects, migrates, binds the listener and prepares workers and the scheduler.
    pub async fn build(
        settings: Settings,
        secrets: Secrets,
        options: BuildOptions,
    ) -> anyhow::Result<Self> {
        // Listen first: without a configured public URL, the listener's address is it.
        let listener = TcpListener::bind(&settings.server.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.server.bind))?;
        let local = listener.local_addr()?;
        let mut settings = settings;
        settings.client.public_base_url =
            crate::services::public_url::resolve(&settings.client.public_base_url, local);
        let state = build_state(&settings, &secrets, options.clock, options.migrate).await?;
        crate::services::public_url::follow(&state)
            .await
            .map_err(|e| anyhow::anyhow!("recording the public base URL: {e}"))?;

        let mut registry = product_handlers();
        for handler in options.extra_job_handlers {
            registry.register(handler);
        }
        let mut scheduler = Scheduler::new();
        for sweep in product_sweeps() {
            scheduler.register(sweep);
        }
        for sweep in options.extra_sweeps {
            scheduler.register(sweep);
        }

        let port = local.port();
        if !crate::services::setup::admin_exists(&state)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
        {
            let token = state.setup.open().await;
            let origin = if local.ip().is_unspecified() {
                settings
                    .client
                    .public_base_url
                    .trim_end_matches('/')
                    .to_owned()
            } else {
                format!("http://{local}")
            };
            tracing::warn!(
                "first run: no agency admin yet. Create one in the browser at {origin}/console/setup?token={token} (valid until used or restarted), or with `weapp-builder create-admin`"
            );
        }
        let openapi = Arc::new(http::openapi_document());
        let routes = Arc::new(http::fallback::RouteTable::from_openapi(&openapi));
        let background = background_state(&state, &settings, &secrets).await?;
        let app_state = state.clone();
        // Signals are ours (see `run_until_stopped`): actix's own handling would stop the
        // HTTP server first and the workers only after it drained.
        let mut server =
            HttpServer::new(move || http::app(app_state.clone(), openapi.clone(), routes.clone()))
                .listen(listener)?
                .disable_signals()
                .shutdown_timeout(settings.server.shutdown_timeout_secs);
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        let server = server.run();
        let stop = StopHandle {
            server: server.handle(),
            background: tokio::sync::watch::channel(false).0,
        };
        Ok(Self {
            port,
            server,
            state,
            background,
            scheduler: Arc::new(scheduler),
            registry: Arc::new(registry),
            stop,
        })
    }

    /// The port the listener got (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The scheduler, for tests that tick by hand.
    pub fn scheduler(&self) -> Arc<Scheduler> {
        self.scheduler.clone()
    }

    /// A handle that stops the application (see [`StopHandle`]).
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Serves until stopped (SIGTERM/SIGINT or a [`StopHandle`]). At the stop, at once:
    /// the workers stop claiming (a running job gets its grace, then is released without
    /// counting an attempt), the scheduler and the sync tasks stop, and the HTTP server
    /// drains; it returns when all of them have.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let settings = self.state.settings.clone();
        let workers = WorkerPool::spawn(
            self.background.clone(),
            self.registry.clone(),
            settings.jobs.workers,
        );
        let stopping = self.stop.stopping();
        let scheduler_task = settings.scheduler.enabled.then(|| {
            self.scheduler
                .clone()
                .spawn_loop(self.background.clone(), stopping.clone())
        });
        let sync_tasks =
            crate::services::client_sync::spawn(self.background.clone(), stopping.clone());
        let signals = tokio::spawn(stop_on_signal(self.stop.clone()));
        let background_stop = async {
            let mut stopping = stopping.clone();
            let _ = stopping.wait_for(|s| *s).await;
            tracing::info!("stopping: job workers stop claiming; the scheduler stops");
            workers.shutdown().await;
            if let Some(task) = scheduler_task {
                let _ = task.await;
            }
            for task in sync_tasks {
                let _ = task.await;
            }
        };
        let server = async {
            let served = self.server.await;
            // A server stopped by other means (a fatal error) stops the background too.
            self.stop.background.send_replace(true);
            tracing::info!("HTTP server stopped");
            served
        };
        let (served, ()) = tokio::join!(server, background_stop);
        signals.abort();
        self.background.db.clone().close().await.ok();
        self.state.db.clone().close().await.ok();
        served.map_err(Into::into)
    }
}
