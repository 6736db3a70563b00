//! The client API's memory: rendered documents per appid with precomputed ETags, negative
//! entries for unknown appids, a limiter in front of the database on misses, and each
//! tenant's token bucket. A cache hit touches no database.

use crate::domain::ids::TenantId;
use crate::domain::tenant::{HoldKind, TenantState, TenantStatus};
use crate::error::AppResult;
use crate::state::AppState;
use actix_web::http::header::HeaderValue;
use actix_web::web::Bytes;
use entity::{page_versions, pages, plan_versions, tenant_holds, tenant_settings, tenants};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, TransactionTrait,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// A rendered document ready to send.
#[derive(Clone, Debug)]
pub struct Cached {
    /// The page slug it was served under (metering key), for pages.
    pub slug: Option<Arc<str>>,
    /// The body.
    pub bytes: Bytes,
    /// Its ETag header value.
    pub etag: HeaderValue,
}

impl Cached {
    fn new(bytes: Vec<u8>, etag: &str) -> Self {
        Self {
            slug: None,
            bytes: Bytes::from(bytes),
            etag: HeaderValue::from_str(etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\"")),
        }
    }

    /// A document built here (not rendered): served like rendered ones, with U+2028 and
    /// U+2029 escaped (a business name may hold them).
    fn json(value: &serde_json::Value) -> Self {
        let bytes = crate::render::renderer::escape_line_separators(
            serde_json::to_vec(value).expect("values serialize"),
        );
        let etag = format!(
            "\"{}\"",
            &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))[..20]
        );
        Self::new(bytes, &etag)
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A tenant's token bucket. It belongs to the tenant, not to a loaded entry: a reload
/// after a publish, or two workers loading the same tenant at once, must not hand out a
/// fresh full bucket.
pub struct RateLimiter {
    rps: f64,
    /// Tokens a worker takes from the bucket at a time (see `admit`).
    batch: u32,
    /// Unique per limiter: keys the workers' pockets.
    seq: u64,
    bucket: Mutex<Bucket>,
}

/// One tenant as the client API serves it.
pub struct TenantEntry {
    /// The tenant.
    pub tenant: TenantId,
    /// Content version when loaded (compared by the periodic check).
    pub content_version: i64,
    /// The tenant's `status_changed_at` when loaded (compared by the periodic check, so a
    /// state change reaches instances that missed its `NOTIFY`).
    pub status_changed_at: chrono::DateTime<chrono::Utc>,
    /// `Some` while the tenant is pending, held or frozen: the suspended payload.
    pub suspended: Option<Cached>,
    /// The app config.
    pub app: Cached,
    /// The tiny version document.
    pub version_doc: Cached,
    pages: RwLock<HashMap<String, Option<Cached>>>,
    /// The pages the entry this one replaced had cached: answered while the page's own
    /// load is in flight, so a publish never makes phones wait (see `ClientCache::stale`).
    fallback_pages: HashMap<String, Option<Cached>>,
    limiter: Arc<RateLimiter>,
    /// Asset ids phones may load: those of live published pages and the tab bar. An asset
    /// used only by drafts or taken-down pages is not served.
    live_assets: std::collections::HashSet<String>,
    asset_limiter: Arc<RateLimiter>,
    loaded_at: Instant,
}

/// Which of a tenant's request budgets a limiter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Budget {
    /// App config, pages and the version document: the plan's `client_rps`.
    Documents,
    /// Images and videos: `client_rps × client.asset_rps_multiplier`.
    Assets,
}

/// Tokens a worker thread took from a tenant's bucket and has not used yet.
struct Pocket {
    tokens: u32,
    at: Instant,
}

thread_local! {
    /// This thread's pockets by limiter (`RateLimiter::seq`).
    static POCKETS: std::cell::RefCell<HashMap<u64, Pocket>> = std::cell::RefCell::new(HashMap::new());
}

/// Tokens a pocket may hold for at most this long: a worker cannot sit on a tenant's
/// tokens.
const POCKET_TTL: Duration = Duration::from_millis(250);

impl TenantEntry {
    /// Takes one token from the tenant's limiter; `false` when the tenant is over its rate.
    pub fn admit(&self) -> bool {
        self.limiter.admit()
    }

    /// Takes one token from the tenant's asset budget.
    pub fn admit_asset(&self) -> bool {
        self.asset_limiter.admit()
    }

    /// Whether phones may load asset `id`: the tenant is not suspended and a live page or
    /// the tab bar uses it.
    pub fn serves_asset(&self, id: &str) -> bool {
        self.suspended.is_none() && self.live_assets.contains(id)
    }
}

impl RateLimiter {
    fn new(rps: f64) -> Self {
        let rps = rps.max(0.01);
        Self {
            rps,
            batch: if rps > 100.0 {
                ((rps / 50.0) as u32).clamp(1, 64)
            } else {
                1
            },
            seq: LIMITER_SEQ.fetch_add(1, Ordering::Relaxed),
            bucket: Mutex::new(Bucket {
                tokens: rps.max(1.0),
                at: Instant::now(),
            }),
        }
    }

    /// Takes one token; `false` when the tenant is over its rate. A plan of more than 100
    /// requests/s lets each worker thread take up to rps ÷ 50 tokens at a time (at most 64)
    /// and use them without touching the shared bucket: the bucket never hands out more
    /// than its rate, a worker at most holds a few milliseconds' worth for a quarter
    /// second, and the hot path mostly stays off the lock the workers would share.
    pub fn admit(&self) -> bool {
        let now = Instant::now();
        if self.batch <= 1 {
            return self.take(1, now) == 1;
        }
        POCKETS.with_borrow_mut(|pockets| {
            if pockets.len() > 4096 {
                pockets.clear();
            }
            let pocket = pockets
                .entry(self.seq)
                .or_insert(Pocket { tokens: 0, at: now });
            if pocket.tokens > 0 && now.duration_since(pocket.at) < POCKET_TTL {
                pocket.tokens -= 1;
                return true;
            }
            let got = self.take(self.batch, now);
            pocket.tokens = got.saturating_sub(1);
            pocket.at = now;
            got > 0
        })
    }

    /// Takes up to `want` whole tokens from the shared bucket.
    fn take(&self, want: u32, now: Instant) -> u32 {
        let mut b = self.bucket.lock().expect("bucket lock");
        b.tokens =
            (b.tokens + now.duration_since(b.at).as_secs_f64() * self.rps).min(self.rps.max(1.0));
        b.at = now;
        let n = (b.tokens.floor() as u32).min(want);
        b.tokens -= f64::from(n);
        n
    }
}

/// Numbers limiters, so a worker's pocket never outlives its limiter's identity.
static LIMITER_SEQ: AtomicU64 = AtomicU64::new(1);

enum Entry {
    Unknown(Instant),
    Tenant(Arc<TenantEntry>),
}

/// See the module documentation.
pub struct ClientCache {
    entries: RwLock<HashMap<String, Entry>>,
    /// Entries invalidated since their last load, by appid: answered to the requests that
    /// arrive while one request reloads the tenant, instead of making them wait for it. The
    /// request that loads always answers from the database, so a read after a change
    /// returns sees the change; only reads concurrent with the reload get the previous copy.
    stale: RwLock<HashMap<String, Arc<TenantEntry>>>,
    appids: RwLock<HashMap<TenantId, String>>,
    /// Rate limiters by tenant; kept across reloads and invalidations.
    limiters: Mutex<HashMap<(TenantId, Budget), Arc<RateLimiter>>>,
    bytes: AtomicUsize,
    max_bytes: usize,
    misses: Semaphore,
    /// One load at a time per key (appid, or tenant and slug): a cold flood for one
    /// tenant waits for the first load instead of repeating it.
    loading: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Database loads so far (tests read it to prove hits touch no database).
    pub loads: AtomicU64,
    /// The `Cache-Control` of client answers, built once.
    pub cache_control: HeaderValue,
    /// Bumped by every invalidation: the workers' own copies of documents
    /// (`http::client`) are dropped when it moves.
    generation: AtomicU64,
    /// The generation of each tenant's (`t:<id>`) and appid's (`a:<appid>`) last
    /// invalidation, and of the last `clear`: a load that an invalidation overtook answers
    /// its request but is not kept.
    invalidated: Mutex<HashMap<String, u64>>,
    cleared: AtomicU64,
    /// Tenants with a background refresh in flight, and whether another was asked for
    /// meanwhile.
    refreshing: Mutex<HashMap<TenantId, bool>>,
    /// The start generation of the refresh whose copy each tenant's entry holds.
    installed: Mutex<HashMap<TenantId, u64>>,
}

const NEGATIVE_TTL: Duration = Duration::from_secs(30);

/// Most invalidated entries kept for concurrent reads (see `ClientCache::stale`).
const MAX_STALE_ENTRIES: usize = 1024;

/// What a lookup found.
pub enum Lookup {
    /// No tenant has this appid.
    Unknown,
    /// The tenant.
    Tenant(Arc<TenantEntry>),
}

impl ClientCache {
    /// An empty cache holding at most `max_bytes` of documents.
    pub fn new(max_bytes: usize, miss_concurrency: usize, cache_control: HeaderValue) -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
            stale: RwLock::new(HashMap::new()),
            appids: RwLock::new(HashMap::new()),
            limiters: Mutex::new(HashMap::new()),
            bytes: AtomicUsize::new(0),
            max_bytes,
            misses: Semaphore::new(miss_concurrency.max(1)),
            loading: Mutex::new(HashMap::new()),
            loads: AtomicU64::new(0),
            cache_control,
            generation: AtomicU64::new(0),
            invalidated: Mutex::new(HashMap::new()),
            cleared: AtomicU64::new(0),
            refreshing: Mutex::new(HashMap::new()),
            installed: Mutex::new(HashMap::new()),
        }
    }

    /// Whether the tenant or the appid was invalidated (or the cache cleared) after
    /// generation `since`.
    fn invalidated_since(&self, since: u64, tenant: Option<TenantId>, appid: &str) -> bool {
        if self.cleared.load(Ordering::Acquire) > since {
            return true;
        }
        let marks = self.invalidated.lock().expect("invalidation lock");
        let after = |key: String| marks.get(&key).is_some_and(|g| *g > since);
        tenant.is_some_and(|t| after(format!("t:{}", t.0)) || after(format!("r:{}", t.0)))
            || (!appid.is_empty() && after(format!("a:{appid}")))
    }

    /// Like `invalidated_since`, but a refresh started since does not count: for a refresh,
    /// a later refresh only means a newer copy may follow (see `refresh_tenant`).
    fn dropped_since(&self, since: u64, tenant: TenantId, appid: &str) -> bool {
        if self.cleared.load(Ordering::Acquire) > since {
            return true;
        }
        let marks = self.invalidated.lock().expect("invalidation lock");
        let after = |key: String| marks.get(&key).is_some_and(|g| *g > since);
        after(format!("t:{}", tenant.0)) || after(format!("a:{appid}"))
    }

    fn mark_invalidated(&self, key: String) {
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.invalidated
            .lock()
            .expect("invalidation lock")
            .insert(key, generation);
    }

    /// The invalidation generation (see the field).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The tenant behind `appid`, from memory or (once) from the database.
    pub async fn tenant(&self, state: &AppState, appid: &str) -> AppResult<Lookup> {
        if let Some(hit) = self.peek(appid) {
            return Ok(hit);
        }
        let _loading = match self.try_load_gate(appid).await {
            Some(gate) => gate,
            None => {
                // Another request is reloading this tenant: answer from the copy it replaces.
                let previous = self.stale.read().expect("cache lock").get(appid).cloned();
                if let Some(previous) = previous {
                    return Ok(Lookup::Tenant(previous));
                }
                self.load_gate(appid).await
            }
        };
        if let Some(hit) = self.peek(appid) {
            return Ok(hit);
        }
        self.loads.fetch_add(1, Ordering::Relaxed);
        let since = self.generation();
        let mut loaded = load_tenant(state, appid).await?;
        if let Some(entry) = loaded.as_mut() {
            let previous = self.stale.read().expect("cache lock").get(appid).cloned();
            if let Some(previous) = previous {
                entry.fallback_pages = previous.pages.read().expect("cache lock").clone();
            }
        }
        state.faults.pause("client_cache.tenant_loaded").await;
        let overtaken = self.invalidated_since(since, loaded.as_ref().map(|e| e.tenant), appid);
        if overtaken {
            // An invalidation came while this load read the database: the copy may be
            // older than it. Answer this request with it, keep nothing.
            return Ok(match loaded {
                None => Lookup::Unknown,
                Some(entry) => Lookup::Tenant(Arc::new(entry)),
            });
        }
        let mut entries = self.entries.write().expect("cache lock");
        match loaded {
            None => {
                entries.insert(appid.to_owned(), Entry::Unknown(Instant::now()));
                Ok(Lookup::Unknown)
            }
            Some(entry) => {
                let entry = Arc::new(entry);
                let size = entry.app.bytes.len() + entry.version_doc.bytes.len();
                self.bytes.fetch_add(size, Ordering::Relaxed);
                self.appids
                    .write()
                    .expect("cache lock")
                    .insert(entry.tenant, appid.to_owned());
                entries.insert(appid.to_owned(), Entry::Tenant(entry.clone()));
                drop(entries);
                self.stale.write().expect("cache lock").remove(appid);
                self.enforce_budget();
                Ok(Lookup::Tenant(entry))
            }
        }
    }

    /// The right to load `key` if no other load of it is in flight (then waits for a permit
    /// of the global miss limiter); `None` while one is.
    async fn try_load_gate(&self, key: &str) -> Option<LoadGate<'_>> {
        let gate = self
            .loading
            .lock()
            .expect("loading lock")
            .entry(key.to_owned())
            .or_default()
            .clone();
        let held = match gate.clone().try_lock_owned() {
            Ok(held) => held,
            Err(_) => {
                // Not ours: let the gate's bookkeeping forget it when the loader is done.
                drop(gate);
                return None;
            }
        };
        let permit = self
            .misses
            .acquire()
            .await
            .expect("semaphore is never closed");
        Some(LoadGate {
            cache: self,
            key: key.to_owned(),
            gate,
            _held: held,
            _permit: permit,
        })
    }

    /// Waits for the right to load `key`: no other load of it in flight, and a permit of
    /// the global miss limiter, so a flood of misses queues here, not in the database.
    async fn load_gate(&self, key: &str) -> LoadGate<'_> {
        let gate = self
            .loading
            .lock()
            .expect("loading lock")
            .entry(key.to_owned())
            .or_default()
            .clone();
        let held = gate.clone().lock_owned().await;
        let permit = self
            .misses
            .acquire()
            .await
            .expect("semaphore is never closed");
        LoadGate {
            cache: self,
            key: key.to_owned(),
            gate,
            _held: held,
            _permit: permit,
        }
    }

    /// The tenant's limiter at `rps`: the existing one, unless the plan's rate changed.
    fn limiter(&self, tenant: TenantId, budget: Budget, rps: f64) -> Arc<RateLimiter> {
        let mut limiters = self.limiters.lock().expect("limiter lock");
        match limiters.get(&(tenant, budget)) {
            Some(l) if l.rps == rps.max(0.01) => l.clone(),
            _ => {
                let l = Arc::new(RateLimiter::new(rps));
                limiters.insert((tenant, budget), l.clone());
                l
            }
        }
    }

    fn peek(&self, appid: &str) -> Option<Lookup> {
        let entries = self.entries.read().expect("cache lock");
        match entries.get(appid)? {
            Entry::Unknown(at) if at.elapsed() < NEGATIVE_TTL => Some(Lookup::Unknown),
            Entry::Unknown(_) => None,
            Entry::Tenant(t) => Some(Lookup::Tenant(t.clone())),
        }
    }

    /// The published page `slug` of a cached tenant (`None`: 404).
    pub async fn page(
        &self,
        state: &AppState,
        entry: &TenantEntry,
        slug: &str,
    ) -> AppResult<Option<Cached>> {
        if let Some(hit) = entry.pages.read().expect("cache lock").get(slug) {
            return Ok(hit.clone());
        }
        let key = format!("{}/{slug}", entry.tenant.0);
        let _loading = match self.try_load_gate(&key).await {
            Some(gate) => gate,
            None => {
                // Another request is loading this page: answer the previous copy if any.
                if let Some(previous) = entry.fallback_pages.get(slug) {
                    return Ok(previous.clone());
                }
                self.load_gate(&key).await
            }
        };
        if let Some(hit) = entry.pages.read().expect("cache lock").get(slug) {
            return Ok(hit.clone());
        }
        self.loads.fetch_add(1, Ordering::Relaxed);
        let since = self.generation();
        let page = pages::Entity::find()
            .filter(pages::Column::TenantId.eq(entry.tenant.0))
            .filter(pages::Column::Slug.eq(slug))
            .filter(pages::Column::IsPublished.eq(true))
            .filter(pages::Column::TakenDownAt.is_null())
            .one(&state.read_db)
            .await?;
        let cached = match page.and_then(|p| p.published_version.map(|v| (p.id, v))) {
            None => None,
            Some((id, v)) => page_versions::Entity::find()
                .filter(page_versions::Column::PageId.eq(id))
                .filter(page_versions::Column::Version.eq(v))
                .one(&state.read_db)
                .await?
                .and_then(|v| Some(Cached::new(v.rendered?.into_bytes(), &v.rendered_etag?)))
                .map(|c| Cached {
                    slug: Some(Arc::from(slug)),
                    ..c
                }),
        };
        if self.invalidated_since(since, Some(entry.tenant), "") {
            return Ok(cached);
        }
        let size = cached.as_ref().map_or(64, |c| c.bytes.len());
        // Only remember slugs the tenant has (or a bounded number of misses).
        let mut pages = entry.pages.write().expect("cache lock");
        if cached.is_some() || pages.len() < 1024 {
            pages.insert(slug.to_owned(), cached.clone());
            self.bytes.fetch_add(size, Ordering::Relaxed);
        }
        drop(pages);
        self.enforce_budget();
        Ok(cached)
    }

    /// Reloads a cached tenant's entry in place after a change: readers keep the current
    /// copy until the new one — with the pages readers had asked for, read in the same
    /// transaction — replaces it, so no phone request waits for a load. A publish awaits it
    /// before answering (a read after the publish returns sees the change); another
    /// instance's notification runs it in the background ([`ClientCache::refresh_soon`]).
    /// A tenant not cached here is only invalidated. Overlapping refreshes keep the copy of
    /// the one that started last; a drop (`invalidate_tenant`, `clear`) while one reads
    /// wins over it.
    pub async fn refresh_tenant(&self, state: &AppState, tenant: TenantId) -> AppResult<()> {
        let appid = self
            .appids
            .read()
            .expect("cache lock")
            .get(&tenant)
            .cloned();
        let current =
            appid
                .as_ref()
                .and_then(|a| match self.entries.read().expect("cache lock").get(a) {
                    Some(Entry::Tenant(t)) => Some(t.clone()),
                    _ => None,
                });
        let (Some(appid), Some(current)) = (appid, current) else {
            self.invalidate_tenant(tenant);
            return Ok(());
        };
        // Phone loads that started before this change must not be kept.
        self.mark_invalidated(format!("r:{}", tenant.0));
        let since = self.generation();
        let hot: Vec<String> = current
            .pages
            .read()
            .expect("cache lock")
            .keys()
            .cloned()
            .collect();
        self.loads.fetch_add(1, Ordering::Relaxed);
        let loaded = load_tenant_with_pages(state, &appid, &hot).await;
        state.faults.pause("client_cache.refresh_loaded").await;
        let loaded = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                self.invalidate_tenant(tenant);
                return Err(e);
            }
        };
        if self.dropped_since(since, tenant, &appid) {
            // The entry was dropped meanwhile (another kind of change): the next request
            // reloads it.
            return Ok(());
        }
        match loaded {
            // The appid moved or the tenant went: the next request finds out.
            Some(entry) if entry.tenant == tenant => {
                // Refreshes of one tenant may overlap (a publish's own and its NOTIFY's):
                // each copy was read after its change, so the one that started last is
                // the newest, and an older one never replaces it.
                let mut installed = self.installed.lock().expect("installed lock");
                if installed.get(&tenant).is_some_and(|newer| *newer > since) {
                    return Ok(());
                }
                installed.insert(tenant, since);
                let pages: usize = entry
                    .pages
                    .read()
                    .expect("cache lock")
                    .values()
                    .map(|d| d.as_ref().map_or(64, |c| c.bytes.len()))
                    .sum();
                let entry = Arc::new(entry);
                self.bytes.fetch_add(
                    entry.app.bytes.len() + entry.version_doc.bytes.len() + pages,
                    Ordering::Relaxed,
                );
                self.entries
                    .write()
                    .expect("cache lock")
                    .insert(appid.clone(), Entry::Tenant(entry));
                drop(installed);
                self.stale.write().expect("cache lock").remove(&appid);
                // Workers' own copies of documents from the old entry go.
                self.bump();
                self.enforce_budget();
            }
            _ => self.invalidate_tenant(tenant),
        }
        Ok(())
    }

    /// Runs [`ClientCache::refresh_tenant`] in the background; notifications arriving while
    /// a refresh of the tenant runs make it run once more after it, not once each.
    pub fn refresh_soon(self: &Arc<Self>, state: &AppState, tenant: TenantId) {
        {
            let mut refreshing = self.refreshing.lock().expect("refresh lock");
            if let Some(again) = refreshing.get_mut(&tenant) {
                *again = true;
                return;
            }
            refreshing.insert(tenant, false);
        }
        let cache = self.clone();
        let state = state.clone();
        tokio::spawn(async move {
            loop {
                if let Err(e) = cache.refresh_tenant(&state, tenant).await {
                    tracing::warn!(error = %e, tenant.id = %tenant, "refreshing a cached tenant failed; it reloads on the next request");
                }
                let mut refreshing = cache.refreshing.lock().expect("refresh lock");
                match refreshing.get_mut(&tenant) {
                    Some(again) if *again => *again = false,
                    _ => {
                        refreshing.remove(&tenant);
                        return;
                    }
                }
            }
        });
    }

    /// Forgets a tenant (after a change); the next request reloads it.
    pub fn invalidate_tenant(&self, tenant: TenantId) {
        // Marked first: a load finishing from here on will not keep its copy.
        self.mark_invalidated(format!("t:{}", tenant.0));
        let appid = self.appids.write().expect("cache lock").remove(&tenant);
        if let Some(appid) = appid {
            let removed = self.entries.write().expect("cache lock").remove(&appid);
            self.keep_stale(appid, removed);
        }
        self.bump();
    }

    /// Keeps an invalidated tenant entry for the reads concurrent with its reload.
    fn keep_stale(&self, appid: String, removed: Option<Entry>) {
        if let Some(Entry::Tenant(entry)) = removed {
            let mut stale = self.stale.write().expect("cache lock");
            // Copies of tenants nobody asks for again would stay: bound them.
            if stale.len() >= MAX_STALE_ENTRIES {
                stale.clear();
            }
            stale.insert(appid, entry);
        }
    }

    /// Forgets a (possibly negative) appid entry.
    pub fn invalidate_appid(&self, appid: &str) {
        self.mark_invalidated(format!("a:{appid}"));
        let removed = self.entries.write().expect("cache lock").remove(appid);
        self.keep_stale(appid.to_owned(), removed);
        self.bump();
    }

    /// Forgets everything (after a lost invalidation channel).
    pub fn clear(&self) {
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        self.cleared.store(generation, Ordering::Release);
        self.entries.write().expect("cache lock").clear();
        // After a lost invalidation channel nobody knows how old a copy is: none is kept.
        self.stale.write().expect("cache lock").clear();
        self.appids.write().expect("cache lock").clear();
        self.bytes.store(0, Ordering::Relaxed);
        self.bump();
    }

    /// Cached tenants with the content version and status time they were loaded at.
    pub fn cached_versions(&self) -> Vec<(TenantId, i64, chrono::DateTime<chrono::Utc>)> {
        self.entries
            .read()
            .expect("cache lock")
            .values()
            .filter_map(|e| match e {
                Entry::Tenant(t) => Some((t.tenant, t.content_version, t.status_changed_at)),
                Entry::Unknown(_) => None,
            })
            .collect()
    }

    fn enforce_budget(&self) {
        if self.bytes.load(Ordering::Relaxed) <= self.max_bytes {
            return;
        }
        // Over budget: drop the oldest half of the tenants (coarse, but rare and cheap).
        let mut entries = self.entries.write().expect("cache lock");
        let mut tenants: Vec<(String, Instant)> = entries
            .iter()
            .filter_map(|(k, e)| match e {
                Entry::Tenant(t) => Some((k.clone(), t.loaded_at)),
                Entry::Unknown(_) => None,
            })
            .collect();
        tenants.sort_by_key(|(_, at)| *at);
        for (appid, _) in tenants.iter().take(tenants.len() / 2 + 1) {
            entries.remove(appid);
        }
        entries.retain(|_, e| !matches!(e, Entry::Unknown(_)));
        self.bytes.store(self.max_bytes / 2, Ordering::Relaxed);
        self.bump();
    }
}

/// The right to load one key (see [`ClientCache::load_gate`]); forgets the key's gate
/// when the last waiter is done with it.
struct LoadGate<'a> {
    cache: &'a ClientCache,
    key: String,
    gate: Arc<tokio::sync::Mutex<()>>,
    _held: tokio::sync::OwnedMutexGuard<()>,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Drop for LoadGate<'_> {
    fn drop(&mut self) {
        let mut loading = self.cache.loading.lock().expect("loading lock");
        // Ours, the map's and the guard's references: nobody else waits on this gate.
        if Arc::strong_count(&self.gate) <= 3 {
            loading.remove(&self.key);
        }
    }
}

/// Why a tenant is suspended, for the payload.
fn suspension(state: &TenantState) -> Option<&'static str> {
    match state.status {
        TenantStatus::Pending => Some("pending"),
        TenantStatus::Frozen => Some("frozen"),
        TenantStatus::Active if state.holds.contains(&HoldKind::Takedown) => Some("takedown"),
        TenantStatus::Active if !state.holds.is_empty() => Some("on_hold"),
        _ => None,
    }
}

/// What phones get instead of content while the tenant is suspended.
pub fn suspended_payload(
    reason: &str,
    name: &str,
    contact: &serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "suspended": true,
        "reason": reason,
        "name": name,
        "message": {
            "zh-CN": "该小程序暂停服务，请稍后再来。",
            "en": "This mini-program is temporarily unavailable."
        },
        "contact": contact,
    })
}

/// The assets phones may load: those the live version of a published page that is not
/// taken down references, and the tab bar's icons.
async fn live_assets(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    tab_bar: Option<&serde_json::Value>,
) -> AppResult<std::collections::HashSet<String>> {
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            "SELECT DISTINCT r.asset_id AS asset_id FROM page_asset_refs r \
             JOIN pages p ON p.id = r.page_id AND r.version = p.published_version \
             WHERE r.tenant_id = $1 AND p.is_published AND p.taken_down_at IS NULL",
            [tenant.0.into()],
        ))
        .await?;
    let mut live = std::collections::HashSet::with_capacity(rows.len());
    for row in rows {
        live.insert(row.try_get::<String>("", "asset_id")?);
    }
    // Tab bar icons are asset ids among its string values.
    fn strings(value: &serde_json::Value, out: &mut std::collections::HashSet<String>) {
        match value {
            serde_json::Value::String(s) if uuid::Uuid::parse_str(s).is_ok() => {
                out.insert(s.clone());
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    if let Some(tab_bar) = tab_bar {
        strings(tab_bar, &mut live);
    }
    Ok(live)
}

/// Loads a tenant's entry in one read transaction on the read pool: a consistent copy
/// (its state, settings and live assets from the same moment), and on SQLite never queued
/// behind writers.
async fn load_tenant(state: &AppState, appid: &str) -> AppResult<Option<TenantEntry>> {
    let txn = state.read_db.begin().await?;
    let loaded = load_tenant_in(&txn, state, appid).await;
    // Only read: ending it either way releases the snapshot.
    txn.rollback().await?;
    loaded
}

/// [`load_tenant`] with the published documents of `slugs` (those readers had asked for)
/// read in the same transaction; a slug without a live page is remembered as a 404.
async fn load_tenant_with_pages(
    state: &AppState,
    appid: &str,
    slugs: &[String],
) -> AppResult<Option<TenantEntry>> {
    let txn = state.read_db.begin().await?;
    let loaded = async {
        let Some(entry) = load_tenant_in(&txn, state, appid).await? else {
            return Ok(None);
        };
        if !slugs.is_empty() {
            let live = pages::Entity::find()
                .filter(pages::Column::TenantId.eq(entry.tenant.0))
                .filter(pages::Column::Slug.is_in(slugs.iter().cloned()))
                .filter(pages::Column::IsPublished.eq(true))
                .filter(pages::Column::TakenDownAt.is_null())
                .all(&txn)
                .await?;
            let mut wanted = sea_orm::Condition::any();
            let mut slug_of = HashMap::new();
            for page in &live {
                if let Some(v) = page.published_version {
                    wanted = wanted.add(
                        sea_orm::Condition::all()
                            .add(page_versions::Column::PageId.eq(page.id))
                            .add(page_versions::Column::Version.eq(v)),
                    );
                    slug_of.insert(page.id, page.slug.clone());
                }
            }
            let mut documents: HashMap<String, Option<Cached>> =
                slugs.iter().map(|s| (s.clone(), None)).collect();
            if !slug_of.is_empty() {
                for version in page_versions::Entity::find()
                    .filter(wanted)
                    .all(&txn)
                    .await?
                {
                    let (Some(slug), Some(body), Some(etag)) = (
                        slug_of.get(&version.page_id),
                        version.rendered,
                        version.rendered_etag,
                    ) else {
                        continue;
                    };
                    let cached = Cached {
                        slug: Some(Arc::from(slug.as_str())),
                        ..Cached::new(body.into_bytes(), &etag)
                    };
                    documents.insert(slug.clone(), Some(cached));
                }
            }
            *entry.pages.write().expect("cache lock") = documents;
        }
        Ok(Some(entry))
    }
    .await;
    txn.rollback().await?;
    loaded
}

async fn load_tenant_in(
    conn: &impl ConnectionTrait,
    state: &AppState,
    appid: &str,
) -> AppResult<Option<TenantEntry>> {
    let Some(row) = tenants::Entity::find()
        .filter(tenants::Column::Appid.eq(appid))
        .filter(tenants::Column::Status.ne(TenantStatus::Deleted.as_str()))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let tenant = TenantId(row.id);
    let holds = tenant_holds::Entity::find()
        .filter(tenant_holds::Column::TenantId.eq(row.id))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|h| h.kind.parse().ok())
        .collect();
    let status: TenantStatus = row.status.parse().unwrap_or(TenantStatus::Pending);
    let tenant_state = TenantState { status, holds };
    let settings = tenant_settings::Entity::find_by_id(row.id)
        .one(conn)
        .await?;
    let content_version = settings.as_ref().map(|s| s.content_version).unwrap_or(0);
    let tab_bar = settings.as_ref().map(|s| s.tab_bar.clone());
    let app = match settings.and_then(|s| Some((s.app_config?, s.app_config_etag?))) {
        Some((body, etag)) => Cached::new(body.into_bytes(), &etag),
        None => {
            let r = crate::services::client_content::render_app_config(
                conn,
                state,
                tenant,
                content_version,
            )
            .await?;
            Cached::new(r.bytes, &r.etag)
        }
    };
    let rps = match row.plan_version_id {
        Some(v) => plan_versions::Entity::find_by_id(v)
            .one(conn)
            .await?
            .map(|p| p.client_rps)
            .unwrap_or(10),
        None => 10,
    } as f64
        / state.settings.client.instances.max(1) as f64;
    let suspended = suspension(&tenant_state).map(|reason| {
        Cached::json(&suspended_payload(
            reason,
            &row.business_name,
            &serde_json::json!(state.settings.client.support_contact),
        ))
    });
    Ok(Some(TenantEntry {
        tenant,
        content_version,
        status_changed_at: row.status_changed_at,
        suspended,
        app,
        version_doc: Cached::json(&serde_json::json!({ "content_version": content_version })),
        pages: RwLock::new(HashMap::new()),
        fallback_pages: HashMap::new(),
        limiter: state.client_cache.limiter(tenant, Budget::Documents, rps),
        live_assets: live_assets(conn, tenant, tab_bar.as_ref()).await?,
        asset_limiter: state.client_cache.limiter(
            tenant,
            Budget::Assets,
            rps * f64::from(state.settings.client.asset_rps_multiplier.max(1)),
        ),
        loaded_at: Instant::now(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> ClientCache {
        ClientCache::new(1 << 20, 4, HeaderValue::from_static("max-age=1"))
    }

    #[test]
    fn a_suspended_document_keeps_line_separators_escaped() {
        let doc = Cached::json(&suspended_payload(
            "frozen",
            "好味\u{2028}小馆\u{2029}",
            &serde_json::json!(null),
        ));
        let text = std::str::from_utf8(&doc.bytes).unwrap();
        assert!(
            text.contains("好味\\u2028小馆\\u2029"),
            "served raw, they end a JavaScript string: {text}"
        );
        assert!(!text.contains('\u{2028}') && !text.contains('\u{2029}'));
    }

    #[test]
    fn a_reload_keeps_the_tenants_bucket_and_a_new_rate_replaces_it() {
        let cache = cache();
        let tenant = TenantId(uuid::Uuid::nil());
        let first = cache.limiter(tenant, Budget::Documents, 3.0);
        assert!((0..3).all(|_| first.admit()), "the bucket starts full");
        assert!(!first.admit());
        // Two loads of the same tenant (a publish, or two workers at once) share it.
        let reloaded = cache.limiter(tenant, Budget::Documents, 3.0);
        assert!(Arc::ptr_eq(&first, &reloaded));
        assert!(!reloaded.admit(), "a reload hands out no fresh tokens");
        // Images have a bucket of their own: an empty document budget leaves it full.
        let assets = cache.limiter(tenant, Budget::Assets, 3.0);
        assert!(!Arc::ptr_eq(&first, &assets));
        assert!((0..3).all(|_| assets.admit()));
        cache.clear();
        assert!(Arc::ptr_eq(
            &first,
            &cache.limiter(tenant, Budget::Documents, 3.0)
        ));
        // A plan change takes effect at the next load.
        let faster = cache.limiter(tenant, Budget::Documents, 5.0);
        assert!(!Arc::ptr_eq(&first, &faster));
        assert!((0..5).all(|_| faster.admit()));
    }

    #[test]
    fn batched_tokens_never_exceed_the_rate() {
        let limiter = RateLimiter::new(200.0);
        assert_eq!(limiter.batch, 4);
        let started = Instant::now();
        let admitted = (0..1000).filter(|_| limiter.admit()).count() as f64;
        let ceiling = 200.0 + 200.0 * started.elapsed().as_secs_f64() + 1.0;
        assert!(admitted >= 200.0 && admitted <= ceiling, "{admitted}");
    }
}
