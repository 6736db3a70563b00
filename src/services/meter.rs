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
}

const SHARDS: usize = 16;

/// Counters of one shard, by tenant and page slug (`None`: tenant-wide).
type Shard = Mutex<HashMap<(TenantId, Option<Arc<str>>), Counts>>;

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
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

fn shard_index() -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::thread::current().id().hash(&mut h);
    (h.finish() as usize) % SHARDS
}

impl Meter {
    /// Counts one request; `page` is the slug for page views.
    pub fn record(&self, tenant: TenantId, page: Option<&Arc<str>>, outcome: Outcome) {
        let mut shard = self.shards[shard_index()].lock().expect("meter lock");
        let c = shard.entry((tenant, None)).or_default();
        c.requests += 1;
        match outcome {
            Outcome::Throttled => c.throttled += 1,
            Outcome::NotModified => c.not_modified += 1,
            Outcome::Served => {}
        }
        if let (Some(slug), Outcome::Served | Outcome::NotModified) = (page, outcome) {
            shard
                .entry((tenant, Some(slug.clone())))
                .or_default()
                .page_views += 1;
        }
    }

    /// Adds everything counted so far to `day` in `usage_daily` and resets the counters.
    pub async fn flush(&self, db: &DatabaseConnection, day: NaiveDate) -> Result<(), DbErr> {
        let mut merged: HashMap<(TenantId, Option<Arc<str>>), Counts> = HashMap::new();
        for shard in &self.shards {
            for (k, c) in std::mem::take(&mut *shard.lock().expect("meter lock")) {
                let m = merged.entry(k).or_default();
                m.requests += c.requests;
                m.throttled += c.throttled;
                m.not_modified += c.not_modified;
                m.page_views += c.page_views;
            }
        }
        let backend = db.get_database_backend();
        for ((tenant, slug), c) in merged {
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                // Counts of a tenant purged meanwhile are dropped, not written back.
                "INSERT INTO usage_daily (tenant_id, day, page_slug, requests, throttled, not_modified, page_views) \
                 SELECT $1, $2, $3, $4, $5, $6, $7 \
                 WHERE EXISTS (SELECT 1 FROM tenants WHERE id = $1 AND status <> 'deleted') \
                 ON CONFLICT (tenant_id, day, page_slug) DO UPDATE SET \
                   requests = usage_daily.requests + excluded.requests, \
                   throttled = usage_daily.throttled + excluded.throttled, \
                   not_modified = usage_daily.not_modified + excluded.not_modified, \
                   page_views = usage_daily.page_views + excluded.page_views",
                [
                    tenant.0.into(),
                    day.into(),
                    slug.map(|s| s.to_string()).unwrap_or_default().into(),
                    c.requests.into(),
                    c.throttled.into(),
                    c.not_modified.into(),
                    c.page_views.into(),
                ],
            ))
            .await?;
        }
        Ok(())
    }
}
