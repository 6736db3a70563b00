//! Settings: an optional TOML file overridden by `WEAPP__SECTION__KEY` environment
//! variables. Secrets (the JWT key, the at-rest encryption keys) come only from the
//! environment; the zero-config embedded run generates them once under the data folder.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Prefix of every environment variable the service reads.
pub const ENV_PREFIX: &str = "WEAPP__";

/// Every non-secret setting, with the zero-config defaults.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// HTTP listener.
    pub server: ServerSettings,
    /// Database connection.
    pub database: DatabaseSettings,
    /// Local data folder (SQLite file, objects, generated secrets).
    pub storage: StorageSettings,
    /// Logging.
    pub log: LogSettings,
    /// HTTP behaviour shared by all routes.
    pub http: HttpSettings,
    /// Login, tokens and sessions.
    pub auth: AuthSettings,
    /// Job workers.
    pub jobs: JobSettings,
    /// The once-a-minute scheduler.
    pub scheduler: SchedulerSettings,
    /// Templates.
    pub render: RenderSettings,
    /// The public client API.
    pub client: ClientSettings,
    /// Subscription lifecycle.
    pub lifecycle: LifecycleSettings,
    /// WeChat third-party platform.
    pub wechat: WechatSettings,
    /// SMS provider (Tencent Cloud SMS API 3.0).
    pub sms: SmsSettings,
}

/// Keys of `[sms]` that are secrets: read only from the environment.
pub const SMS_SECRET_KEYS: [&str; 2] = ["secret_key", "receipt_token"];

/// `[sms]`: the SMS provider. Sending needs `sdk_app_id`, `secret_id`, `sign_name` and
/// `WEAPP__SMS__SECRET_KEY`; without them merchant sends answer 503 `sms_not_configured`
/// and notices go in-system only. Receipts are taken at `/sms/receipts/<token>` once
/// `WEAPP__SMS__RECEIPT_TOKEN` is set.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSettings {
    /// Provider API endpoint (the fake provider's URL in tests and demos).
    pub base_url: String,
    /// `X-TC-Region`.
    pub region: String,
    /// `SmsSdkAppId` of the agency's SMS application.
    pub sdk_app_id: Option<String>,
    /// API key id (`SecretId`); the key itself is `WEAPP__SMS__SECRET_KEY`.
    pub secret_id: Option<String>,
    /// The agency's approved signature text, without 【】 (counted in every message).
    pub sign_name: Option<String>,
    /// Numbers per provider request (the provider allows at most 200).
    pub batch_size: usize,
    /// Seconds one provider call may take.
    pub request_timeout_secs: u64,
    /// Notice kinds that also go by SMS to the tenant's contact (in-system always).
    pub notice_kinds: Vec<String>,
    /// Source addresses receipts are accepted from; empty = any (the path token guards).
    pub receipt_allow_ips: Vec<String>,
    /// Message records older than this many months are deleted (statistics stay).
    pub retention_months: u32,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            base_url: "https://sms.tencentcloudapi.com".into(),
            region: "ap-guangzhou".into(),
            sdk_app_id: None,
            secret_id: None,
            sign_name: None,
            batch_size: 200,
            request_timeout_secs: 10,
            notice_kinds: vec![
                "renewal_reminder".into(),
                "frozen".into(),
                "deletion_scheduled".into(),
            ],
            receipt_allow_ips: Vec::new(),
            retention_months: 6,
        }
    }
}

/// Keys of `[wechat]` that are secrets: read only from the environment.
pub const WECHAT_SECRET_KEYS: [&str; 3] = ["component_secret", "push_token", "encoding_aes_key"];

/// `[wechat]`: the third-party platform. Without `component_appid` and the three secrets
/// (`WEAPP__WECHAT__COMPONENT_SECRET`, `WEAPP__WECHAT__PUSH_TOKEN`,
/// `WEAPP__WECHAT__ENCODING_AES_KEY`) the WeChat features answer 503.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct WechatSettings {
    /// The platform's component appid.
    pub component_appid: Option<String>,
    /// WeChat API host (the simulator's URL in tests and demos).
    pub api_base: String,
    /// Where the authorization page lives.
    pub auth_page_base: String,
    /// Seconds one WeChat call may take.
    pub request_timeout_secs: u64,
    /// Refresh access tokens this many seconds before they expire.
    pub refresh_ahead_secs: i64,
    /// Seconds a token-refresh lease is held before another instance may take over.
    pub refresh_lease_secs: i64,
    /// Pushes whose `timestamp` is further than this from now are refused.
    pub push_max_skew_secs: i64,
    /// Server domains (`https://…`) every mini-program gets before a commit; empty means
    /// the origin of `client.public_base_url` when it is https, else none are set.
    pub server_domains: Vec<String>,
    /// Seconds between checks of the privacy scan after a commit.
    pub privacy_poll_secs: i64,
    /// Seconds between audit-status polls (the fallback for a missed audit push).
    pub audit_poll_secs: i64,
    /// Audit submissions of the monthly quota kept in reserve: a deploy (or a fleet
    /// roll-out) does not submit when `queryquota.rest` is at or below it.
    pub audit_quota_reserve: i64,
}

impl Default for WechatSettings {
    fn default() -> Self {
        Self {
            component_appid: None,
            api_base: "https://api.weixin.qq.com".into(),
            auth_page_base: "https://mp.weixin.qq.com".into(),
            request_timeout_secs: 30,
            refresh_ahead_secs: 600,
            refresh_lease_secs: 30,
            push_max_skew_secs: 600,
            server_domains: Vec::new(),
            privacy_poll_secs: 30,
            audit_poll_secs: 600,
            audit_quota_reserve: 5,
        }
    }
}

/// `[lifecycle]`: reminders, freeze, deletion, exports.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LifecycleSettings {
    /// Extra years of the working-day calendar, same format as `calendar/cn-workdays.json`;
    /// re-read when it changes, so a new State Council notice needs no release.
    pub calendar_file: Option<PathBuf>,
    /// Alert agency admins when the calendar covers fewer days than this.
    pub coverage_alert_days: i64,
    /// Tenants frozen per transaction by the freeze sweep.
    pub batch_size: usize,
    /// How long an export's download link stays valid.
    pub export_link_hours: i64,
}

impl Default for LifecycleSettings {
    fn default() -> Self {
        Self {
            calendar_file: None,
            coverage_alert_days: 60,
            batch_size: 500,
            export_link_hours: 24,
        }
    }
}

/// `[server]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// Address to listen on; `127.0.0.1:8080` by default, `0.0.0.0:8080` in the image.
    pub bind: String,
    /// HTTP worker threads; 0 means one per CPU core.
    pub workers: usize,
    /// Seconds a graceful shutdown waits for open requests.
    pub shutdown_timeout_secs: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            workers: 0,
            shutdown_timeout_secs: 20,
        }
    }
}

/// `[database]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `postgres://…` or `sqlite://…`; empty means the SQLite file under the data folder.
    /// `DATABASE_URL` is read when `WEAPP__DATABASE__URL` is not set.
    pub url: Option<String>,
    /// Pool size.
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection before failing the request.
    pub acquire_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: None,
            max_connections: 10,
            acquire_timeout_secs: 10,
        }
    }
}

/// Which object store holds uploaded assets.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// A folder on local disk (`<data_dir>/objects` unless `objects_dir` is set).
    #[default]
    Local,
    /// An S3-compatible service.
    S3,
}

/// `[storage]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// Folder for the SQLite file, local objects and generated secrets.
    pub data_dir: PathBuf,
    /// `local` or `s3`.
    pub backend: StorageBackend,
    /// Folder of the local backend; defaults to `<data_dir>/objects`.
    pub objects_dir: Option<PathBuf>,
    /// S3 endpoint URL.
    pub s3_endpoint: Option<String>,
    /// S3 region.
    pub s3_region: String,
    /// S3 bucket.
    pub s3_bucket: Option<String>,
    /// S3 access key id (the secret key comes from `WEAPP__SECURITY__S3_SECRET_ACCESS_KEY`).
    pub s3_access_key_id: Option<String>,
    /// Path-style addressing (self-hosted S3 servers).
    pub s3_path_style: bool,
    /// Lifetime of the presigned URLs clients are redirected to, in seconds.
    pub s3_presign_ttl_secs: u64,
    /// Largest image upload in bytes.
    pub max_image_bytes: usize,
    /// Largest video upload in bytes.
    pub max_video_bytes: usize,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            backend: StorageBackend::Local,
            objects_dir: None,
            s3_endpoint: None,
            s3_region: "us-east-1".into(),
            s3_bucket: None,
            s3_access_key_id: None,
            s3_path_style: true,
            s3_presign_ttl_secs: 300,
            max_image_bytes: 10 * 1024 * 1024,
            max_video_bytes: 50 * 1024 * 1024,
        }
    }
}

/// `[client]`: the public client API (the hot path).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientSettings {
    /// Public base URL of this service as phones reach it (asset URLs, `ext.json`, the
    /// WeChat redirect). Empty: the listen address (`http://127.0.0.1:8080` by default);
    /// a listener on `0.0.0.0` has no usable default and says so at start. A change
    /// re-renders every published page and app config (`services::public_url`).
    pub public_base_url: String,
    /// Bytes of rendered documents kept in memory per instance.
    pub cache_max_bytes: usize,
    /// Instances behind the load balancer: each enforces a tenant's requests-per-second
    /// quota ÷ this number.
    pub instances: u32,
    /// Refuse (403) page and config requests whose `Referer` is not
    /// `https://servicewechat.com/{appid}/…` of the same appid.
    pub referer_check: bool,
    /// Contact shown in the suspended payload (e.g. the agency's support line).
    pub support_contact: String,
    /// `Cache-Control: max-age` of client answers, in seconds.
    pub max_age_secs: u32,
    /// `Cache-Control: stale-while-revalidate`, in seconds.
    pub stale_while_revalidate_secs: u32,
    /// Concurrent database loads on cache misses, per instance.
    pub miss_concurrency: usize,
    /// Seconds between checks of cached tenants' content versions (the safety net behind
    /// invalidation messages).
    pub version_check_secs: u64,
    /// Seconds between flushes of the in-memory traffic meters.
    pub meter_flush_secs: u64,
    /// A tenant's budget of image and video requests per second, as a multiple of its
    /// plan's `client_rps` (a page shows many images; they have their own bucket).
    pub asset_rps_multiplier: u32,
    /// `Cache-Control: max-age` of images and videos, in seconds: how long a takedown
    /// takes to reach a phone that already loaded one.
    pub asset_max_age_secs: u32,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            public_base_url: String::new(),
            cache_max_bytes: 256 * 1024 * 1024,
            instances: 1,
            referer_check: false,
            support_contact: String::new(),
            max_age_secs: 30,
            stale_while_revalidate_secs: 300,
            miss_concurrency: 16,
            version_check_secs: 5,
            meter_flush_secs: 10,
            asset_rps_multiplier: 20,
            asset_max_age_secs: 300,
        }
    }
}

/// `[render]`
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RenderSettings {
    /// Read `page-templates/` from this folder instead of the copy built into the binary.
    pub templates_dir: Option<PathBuf>,
}

/// Log output format.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (local default).
    #[default]
    Pretty,
    /// One JSON object per line (production).
    Json,
}

/// `[log]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// An `EnvFilter` directive such as `info` or `info,weapp_builder=debug`.
    pub level: String,
    /// One info line per request (off for benchmarks, like nginx's `access_log off`).
    pub access_log: bool,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            level: "info".into(),
            access_log: true,
        }
    }
}

/// `[http]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Browser origins allowed by CORS (comma-separated in the environment); none by default.
    pub cors_origins: Vec<String>,
    /// Largest JSON body in bytes for routes that do not set their own limit.
    pub body_limit_bytes: usize,
    /// Take the client address from the last `X-Forwarded-For` entry (behind a load
    /// balancer that sets it); off by default so clients cannot choose their address.
    pub trust_forwarded_for: bool,
    /// Serve the console from this folder (a `vite build` output) instead of the copy
    /// embedded at build time: console development without rebuilding the binary.
    pub console_dir: Option<PathBuf>,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            cors_origins: Vec::new(),
            body_limit_bytes: 1024 * 1024,
            trust_forwarded_for: false,
            console_dir: None,
        }
    }
}

/// `[auth]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Lifetime of an access token (JWT) in seconds.
    pub access_token_ttl_secs: i64,
    /// Lifetime of a session (refresh-token family) in days.
    pub session_ttl_days: i64,
    /// Lifetime of a system-issued one-time password in hours.
    pub one_time_password_ttl_hours: i64,
    /// Seconds an instance may serve a cached account/session/tenant state before
    /// re-reading it (changes made on the same instance apply at once).
    pub principal_cache_ttl_secs: u64,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 3600,
            session_ttl_days: 30,
            one_time_password_ttl_hours: 72,
            principal_cache_ttl_secs: 15,
        }
    }
}

/// `[jobs]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSettings {
    /// Workers per instance; 0 disables job processing on this instance.
    pub workers: usize,
    /// Milliseconds an idle worker waits before looking for due jobs again.
    pub poll_interval_ms: u64,
    /// Seconds a claimed job stays leased without a heartbeat.
    pub lease_secs: i64,
    /// Attempts before a job is `dead`.
    pub max_attempts: i32,
    /// First retry delay in milliseconds; doubles per attempt.
    pub backoff_base_ms: i64,
    /// Upper bound of the retry delay in milliseconds.
    pub backoff_max_ms: i64,
    /// Seconds a stopping worker waits for its running job before releasing it.
    pub shutdown_grace_secs: u64,
    /// Days finished jobs are kept before the cleanup sweep deletes them.
    pub keep_done_days: i64,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            workers: 2,
            poll_interval_ms: 1000,
            lease_secs: 60,
            max_attempts: 8,
            backoff_base_ms: 5_000,
            backoff_max_ms: 3_600_000,
            shutdown_grace_secs: 20,
            keep_done_days: 7,
        }
    }
}

/// `[scheduler]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct SchedulerSettings {
    /// Run the once-a-minute tick on this instance.
    pub enabled: bool,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl Settings {
    /// Reads the optional TOML file, then applies `WEAPP__SECTION__KEY` variables from
    /// `env` (which wins). Unknown keys are an error, so a typo never passes silently.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<Self> {
        let mut root = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading config file {}", path.display()))?;
                let table: toml::Table = toml::from_str(&text)
                    .with_context(|| format!("parsing config file {}", path.display()))?;
                let secret_in = |section: &str, keys: &[&str]| {
                    table
                        .get(section)
                        .and_then(|w| w.as_table())
                        .is_some_and(|w| keys.iter().any(|k| w.contains_key(*k)))
                };
                if table.contains_key("security")
                    || secret_in("wechat", &WECHAT_SECRET_KEYS)
                    || secret_in("sms", &SMS_SECRET_KEYS)
                {
                    bail!(
                        "config file {}: secrets ([security]) are read only from the environment \
                         (WEAPP__SECURITY__*, WEAPP__WECHAT__COMPONENT_SECRET, …_PUSH_TOKEN, …_ENCODING_AES_KEY, \
                         WEAPP__SMS__SECRET_KEY, WEAPP__SMS__RECEIPT_TOKEN)",
                        path.display()
                    );
                }
                table
            }
            None => toml::Table::new(),
        };
        let oracle = toml::Table::try_from(Settings::default())?;
        let mut database_url_fallback = None;
        for (name, value) in env {
            if name == "DATABASE_URL" {
                database_url_fallback = Some(value);
                continue;
            }
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let path: Vec<String> = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
            if path.first().map(String::as_str) == Some("security")
                || (path.len() == 2
                    && path[0] == "wechat"
                    && WECHAT_SECRET_KEYS.contains(&path[1].as_str()))
                || (path.len() == 2
                    && path[0] == "sms"
                    && SMS_SECRET_KEYS.contains(&path[1].as_str()))
            {
                continue;
            }
            if path.len() != 2 || path.iter().any(String::is_empty) {
                bail!("environment variable {name}: expected WEAPP__SECTION__KEY");
            }
            let typed = typed_env_value(&oracle, &path, &value)
                .with_context(|| format!("environment variable {name}"))?;
            let section = root
                .entry(path[0].clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(section) = section else {
                bail!("setting section `{}` is not a table", path[0]);
            };
            section.insert(path[1].clone(), typed);
        }
        let mut settings: Settings = toml::Value::Table(root)
            .try_into()
            .context("invalid settings")?;
        if settings.database.url.as_deref().is_none_or(str::is_empty) {
            settings.database.url = database_url_fallback.filter(|u| !u.is_empty());
        }
        Ok(settings)
    }

    /// The database URL in effect: the configured one, or the SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) if !url.is_empty() => url.clone(),
            _ => format!(
                "sqlite://{}?mode=rwc",
                self.storage.data_dir.join("weapp.db").display()
            ),
        }
    }

    /// Whether the configured database is PostgreSQL.
    pub fn uses_postgres(&self) -> bool {
        let url = self.database_url();
        url.starts_with("postgres://") || url.starts_with("postgresql://")
    }
}

/// Converts an environment string to the TOML type the default settings have at `path`;
/// keys absent from the defaults (optional settings) are strings.
fn typed_env_value(
    oracle: &toml::Table,
    path: &[String],
    raw: &str,
) -> anyhow::Result<toml::Value> {
    let existing = oracle
        .get(&path[0])
        .and_then(|section| section.as_table())
        .and_then(|section| section.get(&path[1]));
    Ok(match existing {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            raw.trim()
                .parse()
                .with_context(|| format!("`{raw}` is not a whole number"))?,
        ),
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(match raw.trim() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => bail!("`{raw}` is not true or false"),
        }),
        Some(toml::Value::Float(_)) => toml::Value::Float(
            raw.trim()
                .parse()
                .with_context(|| format!("`{raw}` is not a number"))?,
        ),
        Some(toml::Value::Array(_)) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.to_owned()))
                .collect(),
        ),
        _ => toml::Value::String(raw.to_owned()),
    })
}

/// A secret byte string whose `Debug` never shows the bytes.
#[derive(Clone)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Wraps secret bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes, for the one place that needs them.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBytes(***)")
    }
}

/// Secrets, read only from the environment (or generated for the zero-config run).
#[derive(Clone, Debug)]
pub struct Secrets {
    /// HMAC key of access tokens.
    pub jwt_secret: SecretBytes,
    /// At-rest encryption keys as (key id, 32-byte key); the first encrypts, all decrypt.
    pub vault_keys: Vec<(String, SecretBytes)>,
    /// S3 secret access key (`WEAPP__SECURITY__S3_SECRET_ACCESS_KEY`), when S3 is used.
    pub s3_secret_access_key: Option<SecretBytes>,
    /// Bearer token `/metrics` asks for (`WEAPP__SECURITY__METRICS_TOKEN`); open when unset.
    pub metrics_token: Option<SecretBytes>,
    /// The WeChat platform's secrets, when all three are set.
    pub wechat: Option<WechatSecrets>,
    /// The SMS provider's secrets.
    pub sms: SmsSecrets,
}

/// The SMS provider's secrets (`WEAPP__SMS__*`).
#[derive(Clone, Default)]
pub struct SmsSecrets {
    /// The API key secret (`SecretKey`).
    pub secret_key: Option<String>,
    /// The unguessable path segment of the receipt callback URL.
    pub receipt_token: Option<String>,
}

impl std::fmt::Debug for SmsSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmsSecrets(..)")
    }
}

impl SmsSecrets {
    /// Both from the environment (each optional).
    pub fn from_env(env: &BTreeMap<String, String>) -> Self {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).cloned();
        Self {
            secret_key: get("WEAPP__SMS__SECRET_KEY"),
            receipt_token: get("WEAPP__SMS__RECEIPT_TOKEN"),
        }
    }
}

/// The third-party platform's secrets (`WEAPP__WECHAT__*`).
#[derive(Clone)]
pub struct WechatSecrets {
    /// `component_appsecret`.
    pub component_secret: String,
    /// The push token (signatures).
    pub push_token: String,
    /// The 43-character EncodingAESKey.
    pub encoding_aes_key: String,
}

impl std::fmt::Debug for WechatSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WechatSecrets(..)")
    }
}

impl WechatSecrets {
    /// All three from the environment, none, or an error naming the missing ones.
    pub fn from_env(env: &BTreeMap<String, String>) -> anyhow::Result<Option<Self>> {
        let get = |k: &str| {
            env.get(&format!("WEAPP__WECHAT__{}", k.to_ascii_uppercase()))
                .filter(|v| !v.is_empty())
                .cloned()
        };
        let values: Vec<Option<String>> = WECHAT_SECRET_KEYS.iter().map(|k| get(k)).collect();
        if values.iter().all(Option::is_none) {
            return Ok(None);
        }
        let missing: Vec<String> = WECHAT_SECRET_KEYS
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(k, _)| format!("WEAPP__WECHAT__{}", k.to_ascii_uppercase()))
            .collect();
        if !missing.is_empty() {
            bail!("WeChat secrets are incomplete: set {}", missing.join(", "));
        }
        let mut values = values.into_iter().flatten();
        let (Some(component_secret), Some(push_token), Some(encoding_aes_key)) =
            (values.next(), values.next(), values.next())
        else {
            unreachable!("all three are present");
        };
        Ok(Some(Self {
            component_secret,
            push_token,
            encoding_aes_key,
        }))
    }
}

/// Where the secrets came from, for the start-up log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretsSource {
    /// All from environment variables.
    Environment,
    /// Generated earlier (or now) and kept in the data folder.
    GeneratedFile,
}

const GENERATED_SECRETS_FILE: &str = "secrets.toml";

#[derive(Deserialize, Serialize)]
struct GeneratedSecrets {
    jwt_secret: String,
    vault_keys: String,
}

impl Secrets {
    /// Reads `WEAPP__SECURITY__JWT_SECRET` (at least 32 bytes) and
    /// `WEAPP__SECURITY__VAULT_KEYS` (`kid:base64key,...`). When both are absent and the
    /// database is the embedded SQLite file, they are generated once and kept in
    /// `<data_dir>/secrets.toml` (mode 0600) so restarts keep sessions. On PostgreSQL,
    /// where several instances must share them, missing secrets stop the start.
    pub fn load(
        settings: &Settings,
        env: &BTreeMap<String, String>,
    ) -> anyhow::Result<(Self, SecretsSource)> {
        let jwt = env
            .get("WEAPP__SECURITY__JWT_SECRET")
            .filter(|s| !s.is_empty());
        let vault = env
            .get("WEAPP__SECURITY__VAULT_KEYS")
            .filter(|s| !s.is_empty());
        let s3 = env
            .get("WEAPP__SECURITY__S3_SECRET_ACCESS_KEY")
            .filter(|s| !s.is_empty())
            .map(|s| SecretBytes::new(s.as_bytes().to_vec()));
        let metrics = env
            .get("WEAPP__SECURITY__METRICS_TOKEN")
            .filter(|s| !s.is_empty())
            .map(|s| SecretBytes::new(s.as_bytes().to_vec()));
        if let (Some(jwt), Some(vault)) = (jwt, vault) {
            let mut secrets = Self::parse(jwt, vault)?;
            secrets.s3_secret_access_key = s3;
            secrets.metrics_token = metrics;
            secrets.wechat = WechatSecrets::from_env(env)?;
            secrets.sms = SmsSecrets::from_env(env);
            return Ok((secrets, SecretsSource::Environment));
        }
        if jwt.is_some() || vault.is_some() {
            bail!(
                "set both WEAPP__SECURITY__JWT_SECRET and WEAPP__SECURITY__VAULT_KEYS, or neither"
            );
        }
        if settings.uses_postgres() {
            bail!(
                "WEAPP__SECURITY__JWT_SECRET and WEAPP__SECURITY__VAULT_KEYS must be set when the \
                 database is PostgreSQL: every instance needs the same keys"
            );
        }
        let path = settings.storage.data_dir.join(GENERATED_SECRETS_FILE);
        let stored = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str::<GeneratedSecrets>(&text)
                .with_context(|| format!("parsing {}", path.display()))?
        } else {
            let generated = GeneratedSecrets {
                jwt_secret: B64.encode(random_bytes(48)),
                vault_keys: format!("k1:{}", B64.encode(random_bytes(32))),
            };
            write_private_file(&path, &toml::to_string(&generated)?)?;
            generated
        };
        // The generated JWT secret is used as its base64 text: 64 ASCII bytes of entropy.
        let mut secrets = Self::parse(stored.jwt_secret.trim(), &stored.vault_keys)?;
        secrets.s3_secret_access_key = s3;
        secrets.metrics_token = metrics;
        secrets.wechat = WechatSecrets::from_env(env)?;
        secrets.sms = SmsSecrets::from_env(env);
        Ok((secrets, SecretsSource::GeneratedFile))
    }

    fn parse(jwt: &str, vault: &str) -> anyhow::Result<Self> {
        if jwt.len() < 32 {
            bail!("WEAPP__SECURITY__JWT_SECRET must be at least 32 bytes long");
        }
        let mut vault_keys = Vec::new();
        for entry in vault.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kid, key) = entry
                .split_once(':')
                .context("WEAPP__SECURITY__VAULT_KEYS entries look like kid:base64key")?;
            let key = B64
                .decode(key.trim())
                .context("WEAPP__SECURITY__VAULT_KEYS: key is not base64")?;
            if key.len() != 32 {
                bail!("WEAPP__SECURITY__VAULT_KEYS: key `{kid}` must decode to 32 bytes");
            }
            vault_keys.push((kid.trim().to_owned(), SecretBytes::new(key)));
        }
        if vault_keys.is_empty() {
            bail!("WEAPP__SECURITY__VAULT_KEYS holds no key");
        }
        Ok(Self {
            jwt_secret: SecretBytes::new(jwt.as_bytes().to_vec()),
            vault_keys,
            s3_secret_access_key: None,
            metrics_token: None,
            wechat: None,
            sms: Default::default(),
        })
    }
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn write_private_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        crate::private_fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn zero_config_defaults() {
        let s = Settings::load(None, env(&[])).unwrap();
        assert_eq!(s.server.bind, "127.0.0.1:8080");
        assert!(s.database_url().starts_with("sqlite://./data/weapp.db"));
        assert!(!s.uses_postgres());
    }

    #[test]
    fn environment_overrides_with_types() {
        let s = Settings::load(
            None,
            env(&[
                ("WEAPP__SERVER__BIND", "0.0.0.0:9000"),
                ("WEAPP__JOBS__WORKERS", "4"),
                ("WEAPP__LOG__ACCESS_LOG", "false"),
                (
                    "WEAPP__HTTP__CORS_ORIGINS",
                    "https://a.example, https://b.example",
                ),
                ("WEAPP__LOG__FORMAT", "json"),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.bind, "0.0.0.0:9000");
        assert_eq!(s.jobs.workers, 4);
        assert!(!s.log.access_log);
        assert_eq!(s.log.format, LogFormat::Json);
        assert_eq!(
            s.http.cors_origins,
            vec!["https://a.example", "https://b.example"]
        );
    }

    #[test]
    fn weapp_database_url_wins_over_database_url() {
        let s = Settings::load(
            None,
            env(&[
                ("DATABASE_URL", "postgres://fallback/db"),
                ("WEAPP__DATABASE__URL", "postgres://first/db"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database_url(), "postgres://first/db");
        let s = Settings::load(None, env(&[("DATABASE_URL", "postgres://fallback/db")])).unwrap();
        assert_eq!(s.database_url(), "postgres://fallback/db");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(Settings::load(None, env(&[("WEAPP__SERVER__BINDD", "x")])).is_err());
        assert!(Settings::load(None, env(&[("WEAPP__JOBS__WORKERS", "many")])).is_err());
    }

    #[test]
    fn secrets_are_refused_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[security]\njwt_secret = \"x\"\n").unwrap();
        let err = Settings::load(Some(&path), env(&[])).unwrap_err();
        assert!(err.to_string().contains("only from the environment"));
    }

    #[test]
    fn generated_secrets_persist_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Settings::default();
        s.storage.data_dir = dir.path().to_path_buf();
        let (a, source) = Secrets::load(&s, &BTreeMap::new()).unwrap();
        assert_eq!(source, SecretsSource::GeneratedFile);
        let (b, _) = Secrets::load(&s, &BTreeMap::new()).unwrap();
        assert_eq!(a.jwt_secret.expose(), b.jwt_secret.expose());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(GENERATED_SECRETS_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn every_setting_is_documented() {
        let doc = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/configuration.md"
        ))
        .unwrap();
        let defaults = toml::Table::try_from(Settings::default()).unwrap();
        let mut keys: Vec<String> = [
            "database.url",
            "storage.objects_dir",
            "storage.s3_endpoint",
            "storage.s3_bucket",
            "storage.s3_access_key_id",
            "render.templates_dir",
            "http.console_dir",
            "lifecycle.calendar_file",
            "wechat.component_appid",
            "wechat.component_secret",
            "wechat.push_token",
            "wechat.encoding_aes_key",
            "sms.sdk_app_id",
            "sms.secret_id",
            "sms.secret_key",
            "sms.sign_name",
            "sms.receipt_token",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        for (section, table) in &defaults {
            for key in table.as_table().unwrap().keys() {
                keys.push(format!("{section}.{key}"));
            }
        }
        for key in keys {
            let var = format!("WEAPP__{}", key.replace('.', "__").to_uppercase());
            assert!(
                doc.contains(&format!("| `{var}` | `{key}` |")),
                "docs/configuration.md lacks {var}"
            );
        }
    }

    #[test]
    fn postgres_requires_secrets_from_environment() {
        let mut s = Settings::default();
        s.database.url = Some("postgres://x/y".into());
        assert!(Secrets::load(&s, &BTreeMap::new()).is_err());
    }
}
