//! The public base URL phones reach the service at (`client.public_base_url`): published
//! pages and app configs carry it in their asset URLs. When an instance starts with another
//! value than the documents were rendered with — a move from a test domain to the real one,
//! or to https — a job renders every published page and app config again, so no merchant
//! republishes anything and phones get new ETags (never a 304 for the old copy). The
//! `api_base` inside each mini-program's `ext.json` changes only with its next deploy.

use crate::db;
use crate::domain::ids::TenantId;
use crate::domain::tenant::TenantStatus;
use crate::error::{AppError, AppResult};
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use crate::state::AppState;
use entity::{instance_facts, page_versions, tenants};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

/// The fact that records the base URL the documents were rendered with.
pub const FACT_KEY: &str = "client.public_base_url";
/// Renders every tenant's published documents with the current base URL.
pub const RERENDER_JOB: &str = "client.rerender_all";

/// The base URL to use: the configured one, else this listener's address. A listener on
/// every interface (`0.0.0.0`) has no address phones could use: it falls back to
/// loopback and says so, loudly.
pub fn resolve(configured: &str, local: std::net::SocketAddr) -> String {
    let configured = configured.trim().trim_end_matches('/');
    if !configured.is_empty() {
        return configured.to_owned();
    }
    if local.ip().is_unspecified() {
        let fallback = format!("http://127.0.0.1:{}", local.port());
        tracing::warn!(
            bind = %local,
            fallback = %fallback,
            "client.public_base_url is not set and the service listens on every interface: asset URLs and the WeChat redirect would point at {fallback}, which phones cannot reach; set WEAPP__CLIENT__PUBLIC_BASE_URL to the address phones use (e.g. https://shop.example.cn)"
        );
        return fallback;
    }
    format!("http://{local}")
}

/// Called at start: records the base URL in use and, when the published documents were
/// rendered with another one, queues their re-rendering. Whether a job was queued.
pub async fn follow(state: &AppState) -> AppResult<bool> {
    let current = state
        .settings
        .client
        .public_base_url
        .trim_end_matches('/')
        .to_owned();
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let fact = instance_facts::Entity::find_by_id(FACT_KEY)
        .one(&txn)
        .await?;
    if fact.as_ref().is_some_and(|f| f.value == current) {
        txn.commit().await?;
        return Ok(false);
    }
    // With no record (a new database, or one from before this was recorded), only a
    // database with published pages needs the work.
    let needed = fact.is_some() || page_versions::Entity::find().one(&txn).await?.is_some();
    instance_facts::Entity::insert(instance_facts::ActiveModel {
        key: Set(FACT_KEY.into()),
        value: Set(current.clone()),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(instance_facts::Column::Key)
            .update_columns([
                instance_facts::Column::Value,
                instance_facts::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    if needed {
        state
            .jobs
            .enqueue(
                &txn,
                NewJob::new(
                    RERENDER_JOB,
                    serde_json::json!({ "public_base_url": current }),
                )
                .dedup_key(format!(
                    "{RERENDER_JOB}:{current}:{}",
                    now.timestamp_millis()
                )),
            )
            .await?;
        tracing::info!(
            previous = fact.as_ref().map(|f| f.value.as_str()).unwrap_or("(not recorded)"),
            current = %current,
            "client.public_base_url changed: published pages and app configs are rendered again"
        );
    }
    txn.commit().await?;
    Ok(needed)
}

/// Renders every live tenant's published pages and app config again with this instance's
/// base URL, one tenant per transaction. Returns how many tenants.
pub async fn rerender_all(state: &AppState) -> AppResult<usize> {
    let live = tenants::Entity::find()
        .filter(tenants::Column::Status.ne(TenantStatus::Deleted.as_str()))
        .all(&state.db)
        .await?;
    let mut done = 0;
    for t in live {
        let tenant = TenantId(t.id);
        let txn = db::begin_write(&state.db).await?;
        crate::services::pages::rerender_published(&txn, state, tenant, t.appid.as_deref()).await?;
        crate::services::client_content::refresh(&txn, state, tenant).await?;
        txn.commit().await?;
        state.invalidate_tenant(tenant);
        done += 1;
    }
    Ok(done)
}

/// Runs [`RERENDER_JOB`] on an instance whose base URL is the one it was queued for.
pub struct RerenderHandler;

impl JobHandler for RerenderHandler {
    fn kind(&self) -> &'static str {
        RERENDER_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let wanted = job.payload["public_base_url"].as_str().unwrap_or_default();
            let current = state.settings.client.public_base_url.trim_end_matches('/');
            if wanted != current {
                // An instance still on the old setting (a rolling restart): leave the job
                // to one with the new setting. Instances that disagree for good end it
                // dead, in the operators' dead-job list.
                return Err(JobError::Retry(anyhow::anyhow!(
                    "queued for {wanted}; this instance serves {current}"
                )));
            }
            let tenants = rerender_all(state)
                .await
                .map_err(|e: AppError| JobError::Retry(anyhow::anyhow!("{e}")))?;
            tracing::info!(
                tenants,
                base = current,
                "published documents rendered again"
            );
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listen_address_is_the_default_except_on_every_interface() {
        let at = |s: &str| s.parse::<std::net::SocketAddr>().unwrap();
        assert_eq!(
            resolve("https://shop.example.cn/", at("0.0.0.0:8080")),
            "https://shop.example.cn"
        );
        assert_eq!(resolve("", at("127.0.0.1:9000")), "http://127.0.0.1:9000");
        assert_eq!(
            resolve("  ", at("192.168.1.20:8080")),
            "http://192.168.1.20:8080"
        );
        assert_eq!(resolve("", at("[::1]:8080")), "http://[::1]:8080");
        assert_eq!(resolve("", at("0.0.0.0:8080")), "http://127.0.0.1:8080");
    }
}
