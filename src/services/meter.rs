//! Client traffic metering in memory, flushed to `usage_daily` in batches — never one
//! database write per request. Counters are sharded by thread to keep the hot path off a
//! shared lock.

use crate::domain::ids::TenantId;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, Statement};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, Default, Debug)]
struct Counts {
    requests: i64,
    throttled: i64,
    not_modified: i64,
    page_views: i64,
    asset_requests: i64,
    asset_throttled: i64,
}

const SHARDS: usize = 64;

/// One tenant's counts in one shard: tenant-wide and page views by slug.
#[derive(Default)]
struct TenantCounts {
    total: Counts,
    page_views: HashMap<Arc<str>, i64>,
}

/// Counters of one shard, by tenant. Aligned to its own cache lines so two threads'
/// shards never share one (false sharing costs a cross-core transfer per request).
#[repr(align(128))]
#[derive(Default)]
struct Shard(Mutex<HashMap<TenantId, TenantCounts>>);

/// The meter of one instance.
pub struct Meter {
    shards: Vec<Shard>,
}

/// What happened to one request.
#[derive(Clone, Copy, Debug)]
pub enum Outcome {
    /// Answered with a body.
    Served,
    /// Answered 304.
    NotModified,
    /// Refused for rate.
    Throttled,
}

impl Default for Meter {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Shard::default()).collect(),
        }
    }
}

/// This thread's shard: threads take shards in turn, so the workers of an instance each
/// have their own and its lock is never contended on the hot path.
fn shard_index() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    INDEX.with(|i| *i)
}

impl Meter {
    /// Counts one request; `page` is the slug for page views.
    pub fn record(&self, tenant: TenantId, page: Option<&Arc<str>>, outcome: Outcome) {
        let mut shard = self.shards[shard_index()].0.lock().expect("meter lock");
        let t = shard.entry(tenant).or_default();
        t.total.requests += 1;
        match outcome {
            Outcome::Throttled => t.total.throttled += 1,
            Outcome::NotModified => t.total.not_modified += 1,
            Outcome::Served => {}
        }
        if let (Some(slug), Outcome::Served | Outcome::NotModified) = (page, outcome) {
            // Looked up by `&str`: the slug's `Arc` is cloned only the first time.
            match t.page_views.get_mut(&**slug) {
                Some(n) => *n += 1,
                None => {
                    t.page_views.insert(slug.clone(), 1);
                }
            }
        }
    }

    /// Counts one phone-facing asset request, apart from the document figures.
    pub fn record_asset(&self, tenant: TenantId, throttled: bool) {
        let mut shard = self.shards[shard_index()].0.lock().expect("meter lock");
        let t = shard.entry(tenant).or_default();
        t.total.asset_requests += 1;
        if throttled {
            t.total.asset_throttled += 1;
        }
    }

    /// Adds everything counted so far to `day` in `usage_daily` and resets the counters.
    pub async fn flush(&self, db: &DatabaseConnection, day: NaiveDate) -> Result<(), DbErr> {
        let mut merged: HashMap<(TenantId, Option<Arc<str>>), Counts> = HashMap::new();
        for shard in &self.shards {
            for (tenant, t) in std::mem::take(&mut *shard.0.lock().expect("meter lock")) {
                let m = merged.entry((tenant, None)).or_default();
                m.requests += t.total.requests;
                m.throttled += t.total.throttled;
                m.not_modified += t.total.not_modified;
                m.asset_requests += t.total.asset_requests;
                m.asset_throttled += t.total.asset_throttled;
                for (slug, views) in t.page_views {
                    merged.entry((tenant, Some(slug))).or_default().page_views += views;
                }
            }
        }
        let backend = db.get_database_backend();
        // Counts of a tenant purged meanwhile are dropped, not written back. On PostgreSQL
        // the tenant row is read under a share lock: a purge in progress holds it, and the
        // check then sees the tenant deleted.
        let share = if backend == sea_orm::DatabaseBackend::Postgres {
            " FOR SHARE"
        } else {
            ""
        };
        for ((tenant, slug), c) in merged {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!("INSERT INTO usage_daily (tenant_id, day, page_slug, requests, throttled, not_modified, page_views, asset_requests, asset_throttled) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9 \
                 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1 AND status <> 'deleted'{share}) \
                 ON CONFLICT (tenant_id, day, page_slug) DO UPDATE SET \
                   requests = usage_daily.requests + excluded.requests, \
                   throttled = usage_daily.throttled + excluded.throttled, \
                   not_modified = usage_daily.not_modified + excluded.not_modified, \
                   page_views = usage_daily.page_views + excluded.page_views, \
                   asset_requests = usage_daily.asset_requests + excluded.asset_requests, \
                   asset_throttled = usage_daily.asset_throttled + excluded.asset_throttled"),
                [
                    tenant.0.into(),
                    day.into(),
                    slug.map(|s| s.to_string()).unwrap_or_default().into(),
                    c.requests.into(),
                    c.throttled.into(),
                    c.not_modified.into(),
                    c.page_views.into(),
                    c.asset_requests.into(),
                    c.asset_throttled.into(),
                ],
            ))
            .await?;
        }
        Ok(())
    }
}
