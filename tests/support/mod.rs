//! Test harness: starts the real app on port 0 with its own database and talks HTTP.
//!
//! Without `TEST_DATABASE_URL` each app gets a temporary SQLite file. With it (a
//! PostgreSQL server URL), each app gets a fresh database cloned from a template that was
//! migrated once per test process, dropped when the test ends.

#![allow(dead_code)]

pub mod db;
pub mod logs;
pub mod sms;
pub mod wechat;

use base64::Engine;
use serde_json::Value;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use weapp_builder::clock::Clock;
use weapp_builder::config::{SecretBytes, Secrets, Settings};
use weapp_builder::domain::password::NewPassword;
use weapp_builder::domain::username::Username;
use weapp_builder::jobs::JobHandler;
use weapp_builder::scheduler::{Scheduler, Sweep};
use weapp_builder::services::accounts;
use weapp_builder::startup::{Application, BuildOptions};
use weapp_builder::state::AppState;

/// The JWT secret every test app uses (tests forge tokens with other keys).
pub const TEST_JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef-0123456789";
/// Password of accounts the harness creates.
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// Whether this run targets PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty())
}

fn test_secrets() -> Secrets {
    Secrets {
        jwt_secret: SecretBytes::new(TEST_JWT_SECRET.as_bytes().to_vec()),
        vault_keys: vec![("t1".into(), SecretBytes::new(vec![7u8; 32]))],
        s3_secret_access_key: s3_env().map(|c| SecretBytes::new(c.secret_access_key.into_bytes())),
        metrics_token: None,
        wechat: None,
        sms: Default::default(),
    }
}

/// The S3 server of this run (`TEST_S3_*`), if any. With `REQUIRE_S3=1` a missing endpoint
/// fails the run instead of falling back to the folder backend.
pub fn s3_env() -> Option<weapp_builder::storage::s3::S3Config> {
    let get = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    match get("TEST_S3_ENDPOINT") {
        Some(endpoint) => Some(weapp_builder::storage::s3::S3Config {
            endpoint,
            region: get("TEST_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
            bucket: get("TEST_S3_BUCKET").unwrap_or_else(|| "weapp-test".into()),
            access_key_id: get("TEST_S3_ACCESS_KEY").expect("TEST_S3_ACCESS_KEY"),
            secret_access_key: get("TEST_S3_SECRET_KEY").expect("TEST_S3_SECRET_KEY"),
            path_style: true,
        }),
        None => {
            assert!(
                get("REQUIRE_S3").is_none_or(|v| v != "1"),
                "REQUIRE_S3=1 but TEST_S3_ENDPOINT is not set"
            );
            None
        }
    }
}

/// A database owned by one test; removed when the last app using it is dropped.
pub struct TestDatabase {
    pub url: String,
    dir: tempfile::TempDir,
    pg_name: Option<String>,
}

impl TestDatabase {
    /// The local object folder of this test's apps.
    pub fn objects_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("objects")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = self.pg_name.take() {
            let admin = admin_url();
            // A fresh thread with its own runtime: Drop cannot await, and the test's
            // runtime may already be shutting down.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(db) = sea_orm::Database::connect(admin).await {
                        use sea_orm::ConnectionTrait;
                        let _ = db
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                            ))
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

fn admin_url() -> String {
    std::env::var("TEST_DATABASE_URL").expect("TEST_DATABASE_URL")
}

fn url_with_database(base: &str, name: &str) -> String {
    let (prefix, rest) = base.split_at(base.find("://").map(|i| i + 3).unwrap_or(0));
    let (authority, query) = match rest.find('/') {
        Some(i) => {
            let after = &rest[i..];
            let query = after.find('?').map(|q| &after[q..]).unwrap_or("");
            (&rest[..i], query)
        }
        None => (rest, ""),
    };
    format!("{prefix}{authority}/{name}{query}")
}

/// The migrated template database, created once per test process.
fn pg_template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = format!("weapp_tpl_{}", std::process::id());
        let admin = admin_url();
        let tpl_url = url_with_database(&admin, &name);
        let created = name.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                use sea_orm::ConnectionTrait;
                let db = sea_orm::Database::connect(admin.clone())
                    .await
                    .expect("connect to TEST_DATABASE_URL");
                db.execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS \"{created}\" WITH (FORCE)"
                ))
                .await
                .unwrap();
                db.execute_unprepared(&format!("CREATE DATABASE \"{created}\""))
                    .await
                    .unwrap();
                let tpl = sea_orm::Database::connect(tpl_url).await.unwrap();
                weapp_builder::db::migrate(&tpl)
                    .await
                    .expect("migrate template");
                tpl.close().await.unwrap();
                db.close().await.unwrap();
            });
        })
        .join()
        .expect("template creation");
        name
    })
}

static CLONE_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn fresh_database() -> Arc<TestDatabase> {
    if !on_postgres() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        return Arc::new(TestDatabase {
            url,
            dir,
            pg_name: None,
        });
    }
    let template = pg_template();
    let name = format!("weapp_test_{}", uuid::Uuid::now_v7().simple());
    {
        // Cloning needs the template to have no other session; one clone at a time.
        let _guard = CLONE_LOCK.lock().await;
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(admin_url()).await.unwrap();
        db.execute_unprepared(&format!(
            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
        ))
        .await
        .unwrap();
        db.close().await.unwrap();
    }
    Arc::new(TestDatabase {
        url: url_with_database(&admin_url(), &name),
        dir: tempfile::tempdir().unwrap(),
        pg_name: Some(name),
    })
}

/// A change to the test settings.
type SettingsTweak = Box<dyn FnOnce(&mut Settings)>;

/// How to build a test app.
pub struct TestAppBuilder {
    job_workers: usize,
    job_handlers: Vec<Arc<dyn JobHandler>>,
    sweeps: Vec<Arc<dyn Sweep>>,
    database: Option<Arc<TestDatabase>>,
    clock: Option<Clock>,
    tweak: Option<SettingsTweak>,
    wechat_api: Option<String>,
    sms_api: Option<String>,
    metrics_token: Option<String>,
}

impl TestAppBuilder {
    pub fn job_workers(mut self, n: usize) -> Self {
        self.job_workers = n;
        self
    }
    pub fn job_handler(mut self, h: Arc<dyn JobHandler>) -> Self {
        self.job_handlers.push(h);
        self
    }
    pub fn sweep(mut self, s: Arc<dyn Sweep>) -> Self {
        self.sweeps.push(s);
        self
    }
    pub fn settings(mut self, f: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.tweak = Some(Box::new(f));
        self
    }
    /// Closes `/metrics` behind this bearer token.
    pub fn metrics_token(mut self, token: &str) -> Self {
        self.metrics_token = Some(token.to_owned());
        self
    }
    /// Configures the WeChat platform against the simulator at `sim_base`.
    pub fn wechat(mut self, sim_base: &str) -> Self {
        self.wechat_api = Some(sim_base.to_owned());
        self
    }
    /// Another instance on the database of `app`, sharing its clock.
    /// SMS through the fake provider at `fake_base`.
    pub fn sms(mut self, fake_base: &str) -> Self {
        self.sms_api = Some(fake_base.to_owned());
        self
    }

    pub fn same_database_as(mut self, app: &TestApp) -> Self {
        self.database = Some(app.database.clone());
        self.clock = Some(app.clock.clone());
        self
    }

    pub async fn spawn(self) -> TestApp {
        logs::install();
        let database = match self.database {
            Some(db) => db,
            None => fresh_database().await,
        };
        let mut settings = Settings::default();
        settings.server.bind = "127.0.0.1:0".into();
        // One public URL for every instance of a test (the default would be each
        // listener's random port, and a second instance would re-render everything).
        settings.client.public_base_url = "http://127.0.0.1:8080".into();
        settings.server.workers = 1;
        settings.server.shutdown_timeout_secs = 1;
        settings.database.url = Some(database.url.clone());
        settings.database.max_connections = 5;
        settings.storage.data_dir = std::env::temp_dir().join("weapp-test-data");
        settings.jobs.workers = self.job_workers;
        settings.jobs.poll_interval_ms = 20;
        settings.jobs.backoff_base_ms = 40;
        settings.jobs.backoff_max_ms = 400;
        settings.jobs.shutdown_grace_secs = 1;
        settings.scheduler.enabled = false;
        settings.storage.objects_dir = Some(database.objects_dir());
        if let Some(s3) = s3_env() {
            settings.storage.backend = weapp_builder::config::StorageBackend::S3;
            settings.storage.s3_endpoint = Some(s3.endpoint);
            settings.storage.s3_region = s3.region;
            settings.storage.s3_bucket = Some(s3.bucket);
            settings.storage.s3_access_key_id = Some(s3.access_key_id);
        }
        let mut secrets = test_secrets();
        secrets.metrics_token = self
            .metrics_token
            .as_ref()
            .map(|t| SecretBytes::new(t.as_bytes().to_vec()));
        if let Some(base) = &self.wechat_api {
            settings.wechat.component_appid = Some(wechat::COMPONENT_APPID.into());
            settings.wechat.api_base = base.clone();
            settings.wechat.auth_page_base = base.clone();
            settings.wechat.request_timeout_secs = 5;
            secrets.wechat = Some(weapp_builder::config::WechatSecrets {
                component_secret: wechat::COMPONENT_SECRET.into(),
                push_token: wechat::PUSH_TOKEN.into(),
                encoding_aes_key: wechat::ENCODING_AES_KEY.into(),
            });
        }
        if let Some(base) = &self.sms_api {
            settings.sms.base_url = base.clone();
            settings.sms.sdk_app_id = Some(sms::SDK_APP_ID.into());
            settings.sms.secret_id = Some(sms::SECRET_ID.into());
            settings.sms.sign_name = Some(sms::SIGN_NAME.into());
            settings.sms.request_timeout_secs = 5;
            secrets.sms = weapp_builder::config::SmsSecrets {
                secret_key: Some(sms::SECRET_KEY.into()),
                receipt_token: Some(sms::RECEIPT_TOKEN.into()),
            };
        }
        if let Some(tweak) = self.tweak {
            tweak(&mut settings);
        }
        let clock = self.clock.unwrap_or_else(Clock::settable);
        let options = BuildOptions {
            clock: clock.clone(),
            extra_job_handlers: self.job_handlers,
            extra_sweeps: self.sweeps,
            // SQLite databases are new files; PostgreSQL ones are cloned from the migrated
            // template. Migrating again is a no-op either way but proves idempotence.
            migrate: true,
        };
        let app = Application::build(settings, secrets, options)
            .await
            .expect("app builds");
        let port = app.port();
        let state = app.state().clone();
        let scheduler = app.scheduler();
        let handle = app.stop_handle();
        actix_web::rt::spawn(async move {
            if let Err(e) = app.run_until_stopped().await {
                eprintln!("test app stopped with error: {e}");
            }
        });
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            // Idle connections are dropped before actix's 5 s keep-alive closes them, so a
            // request after a slow assertion never races the server's close.
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_idle_timeout(Duration::from_secs(2))
                .build()
                .unwrap(),
            state,
            clock,
            scheduler,
            handle,
            database,
        }
    }
}

/// A running app.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub state: AppState,
    pub clock: Clock,
    pub scheduler: Arc<Scheduler>,
    pub handle: weapp_builder::startup::StopHandle,
    pub database: Arc<TestDatabase>,
}

/// A signed-in account.
#[derive(Clone, Debug)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub body: Value,
}

pub fn builder() -> TestAppBuilder {
    TestAppBuilder {
        job_workers: 1,
        job_handlers: Vec::new(),
        sweeps: Vec::new(),
        database: None,
        clock: None,
        wechat_api: None,
        sms_api: None,
        metrics_token: None,
        tweak: None,
    }
}

pub async fn spawn_app() -> TestApp {
    builder().spawn().await
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Creates an agency admin through the service layer (as the CLI does).
    pub async fn create_admin(&self, username: &str) {
        let name = Username::parse(username, "username").unwrap();
        let pw = NewPassword::parse(TEST_PASSWORD, username, "password").unwrap();
        accounts::create_admin_cli(&self.state, name, Some(pw))
            .await
            .unwrap();
    }

    pub async fn login_response(&self, username: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, username: &str, password: &str) -> Session {
        let res = self.login_response(username, password).await;
        assert_eq!(res.status(), 200, "login of {username} failed");
        let body: Value = res.json().await.unwrap();
        Session {
            access_token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
            body,
        }
    }

    /// An agency admin, created and signed in.
    pub async fn admin_session(&self) -> Session {
        self.create_admin("admin").await;
        self.login("admin", TEST_PASSWORD).await
    }

    pub async fn get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_empty(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

/// Reads a response as (status, JSON body).
pub async fn status_json(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

/// The claims of a JWT, without verifying it.
pub fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Polls `check` every 20 ms until it returns true or `timeout` passes.
pub async fn wait_until<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
