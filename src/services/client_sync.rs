//! Keeps every instance's client cache current: a PostgreSQL `LISTEN` on the invalidation
//! channel (a lost connection clears the whole cache, since notifications may have been
//! missed), a periodic comparison of cached content versions with the database (the
//! safety net, and the only mechanism on SQLite), and the meter flush.

use crate::domain::ids::TenantId;
use crate::domain::time::shanghai_date;
use crate::services::client_content::NOTIFY_CHANNEL;
use crate::state::AppState;
use entity::tenant_settings;
use sea_orm::{ColumnTrait, DatabaseBackend, EntityTrait, QueryFilter};
use std::time::Duration;
use tokio::sync::watch;

/// Refreshes (in the background, in place) cached tenants whose content version or state
/// (status time) moved on in the database.
pub async fn check_versions(state: &AppState) -> anyhow::Result<usize> {
    let cached = state.client_cache.cached_versions();
    if cached.is_empty() {
        return Ok(0);
    }
    let ids: Vec<uuid::Uuid> = cached.iter().map(|(t, ..)| t.0).collect();
    let current = tenant_settings::Entity::find()
        .filter(tenant_settings::Column::TenantId.is_in(ids.clone()))
        .all(&state.db)
        .await?;
    let status_times: std::collections::HashMap<uuid::Uuid, chrono::DateTime<chrono::Utc>> =
        entity::tenants::Entity::find()
            .filter(entity::tenants::Column::Id.is_in(ids))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|t| (t.id, t.status_changed_at))
            .collect();
    let mut dropped = 0;
    for (tenant, version, status_changed_at) in cached {
        let now = current
            .iter()
            .find(|s| s.tenant_id == tenant.0)
            .map(|s| s.content_version)
            .unwrap_or(0);
        if now != version || status_times.get(&tenant.0) != Some(&status_changed_at) {
            state.client_cache.refresh_soon(state, tenant);
            dropped += 1;
        }
    }
    Ok(dropped)
}

/// Spawns the sync tasks; they end when `shutdown` flips.
pub fn spawn(state: AppState, shutdown: watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    let periodic = {
        let state = state.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            let check = Duration::from_secs(state.settings.client.version_check_secs.max(1));
            let flush_every = state.settings.client.meter_flush_secs.max(1);
            let mut ticks: u64 = 0;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(check) => {}
                    _ = shutdown.changed() => break,
                }
                if let Err(e) = check_versions(&state).await {
                    tracing::warn!(error = %e, "client cache version check failed");
                }
                ticks += check.as_secs();
                if ticks >= flush_every {
                    ticks = 0;
                    if let Err(e) = state
                        .meter
                        .flush(&state.db, shanghai_date(state.clock.now()))
                        .await
                    {
                        tracing::warn!(error = %e, "meter flush failed");
                    }
                }
            }
            // Keep what was counted.
            let _ = state
                .meter
                .flush(&state.db, shanghai_date(state.clock.now()))
                .await;
        })
    };
    tasks.push(periodic);
    if state.db.get_database_backend() == DatabaseBackend::Postgres {
        let mut shutdown = shutdown.clone();
        tasks.push(tokio::spawn(async move {
            let pool = state.db.get_postgres_connection_pool().clone();
            loop {
                let mut listener = match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::warn!(error = %e, "client cache listener cannot connect; retrying");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(2)) => continue,
                            _ = shutdown.changed() => return,
                        }
                    }
                };
                if let Err(e) = listener.listen(NOTIFY_CHANNEL).await {
                    tracing::warn!(error = %e, "LISTEN failed; retrying");
                    continue;
                }
                // Anything may have changed while we were not listening.
                state.client_cache.clear();
                loop {
                    tokio::select! {
                        message = listener.try_recv() => match message {
                            Ok(Some(n)) => {
                                // One tenant id, or several separated by commas
                                // (set-based changes such as the freeze).
                                for item in n.payload().split(',') {
                                    let (id, origin) = item.split_once('@').unwrap_or((item, ""));
                                    if origin == &*state.instance_id {
                                        // Its writer refreshed this instance already.
                                        continue;
                                    }
                                    if let Ok(id) = uuid::Uuid::parse_str(id) {
                                        // Account checks go now; the client API's
                                        // entry is reloaded in place, phones meanwhile
                                        // answered from the current copy.
                                        state.principals.invalidate_tenant(TenantId(id));
                                        state.client_cache.refresh_soon(&state, TenantId(id));
                                    }
                                }
                            }
                            // The connection dropped: notifications may be lost.
                            Ok(None) => state.client_cache.clear(),
                            Err(e) => {
                                tracing::warn!(error = %e, "client cache listener failed; reconnecting");
                                break;
                            }
                        },
                        _ = shutdown.changed() => return,
                    }
                }
            }
        }));
    }
    tasks
}
