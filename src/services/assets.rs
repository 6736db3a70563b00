//! Uploaded assets: stored under `tenants/<tenant_id>/assets/<asset_id>`, recognised by
//! content, limited per kind and by the plan's storage quota; referenced by id from
//! layouts and the tab bar, and never deleted while referenced.

use crate::db;
use crate::domain::ids::TenantId;
use crate::domain::media::{MediaKind, is_whole, sniff};
use crate::domain::schema::{AssetKind, AssetRef, Fault};
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::services::tenant_state::lock_snapshot;
use crate::state::AppState;
use crate::storage::tenant_key;
use chrono::{DateTime, Utc};
use entity::{assets, page_asset_refs, pages, plan_versions, tenant_settings, tenants};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use uuid::Uuid;

/// An asset as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AssetView {
    /// Asset id (what layouts reference).
    pub id: Uuid,
    /// `image` or `video`.
    pub kind: String,
    /// Detected content type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// Pixel width (images).
    pub width: Option<i32>,
    /// Pixel height (images).
    pub height: Option<i32>,
    /// Name of the uploaded file (informational only).
    pub original_name: String,
    /// Uploaded at.
    pub created_at: DateTime<Utc>,
    /// Where it is used (it cannot be deleted while it is).
    pub used_by: AssetUsage,
}

/// Where an asset is used: page drafts and kept versions, and the tab bar.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct AssetUsage {
    /// Pages whose draft or kept versions reference it.
    pub pages: Vec<PageUsage>,
    /// The tab bar shows it as an icon.
    pub tab_bar: bool,
}

impl AssetUsage {
    /// Nothing references the asset.
    pub fn is_unused(&self) -> bool {
        self.pages.is_empty() && !self.tab_bar
    }
}

/// One page that uses an asset.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PageUsage {
    /// Page id.
    pub page_id: Uuid,
    /// Page slug.
    pub slug: String,
    /// Page title.
    pub title: String,
    /// The draft uses it.
    pub draft: bool,
    /// Kept versions that use it, oldest first.
    pub versions: Vec<i32>,
}

impl AssetView {
    fn new(a: assets::Model, used_by: AssetUsage) -> Self {
        Self {
            id: a.id,
            kind: a.kind,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            width: a.width,
            height: a.height,
            original_name: a.original_name,
            created_at: a.created_at,
            used_by,
        }
    }
}

/// The plan version in force for `tenant`.
pub async fn tenant_plan(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> AppResult<plan_versions::Model> {
    let row = tenants::Entity::find_by_id(tenant.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let version = row
        .plan_version_id
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("tenant {tenant} has no plan")))?;
    plan_versions::Entity::find_by_id(version)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("plan version {version} is missing")))
}

/// Apps of the tenant's plan.
pub async fn plan_apps(conn: &impl ConnectionTrait, tenant: TenantId) -> AppResult<Vec<String>> {
    Ok(serde_json::from_value(tenant_plan(conn, tenant).await?.apps).unwrap_or_default())
}

/// Bytes of assets the tenant stores.
pub async fn storage_used(conn: &impl ConnectionTrait, tenant: TenantId) -> AppResult<i64> {
    // SUM(bigint) is numeric on PostgreSQL: cast back to a 64-bit integer on both backends.
    let sum: Option<i64> = assets::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT)"),
            "total",
        )
        .filter(assets::Column::TenantId.eq(tenant.0))
        .into_tuple()
        .one(conn)
        .await?;
    Ok(sum.unwrap_or(0))
}

/// 422 `quota_exceeded` with the numbers.
pub fn quota_exceeded(kind: &str, used: i64, limit: i64, requested: i64) -> AppError {
    AppError::new(ErrorCode::QuotaExceeded)
        .with_message(Localized::new(
            format!("超出套餐额度（{kind}）：已用 {used}，上限 {limit}，本次 {requested}"),
            format!("Over the plan's {kind} quota: {used} used of {limit}, {requested} requested"),
        ))
        .with_details(serde_json::json!({ "kind": kind, "used": used, "limit": limit, "requested": requested }))
}

/// Checks that every referenced asset exists for `tenant` (or is a system placeholder)
/// and is of the expected kind; the fault names the reference's pointer.
pub async fn check_refs(
    state: &AppState,
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    refs: &[AssetRef],
) -> Result<Vec<Fault>, AppError> {
    let mut faults = Vec::new();
    let ids: Vec<Uuid> = refs
        .iter()
        .filter_map(|r| Uuid::parse_str(&r.id).ok())
        .collect();
    let found = if ids.is_empty() {
        Vec::new()
    } else {
        assets::Entity::find()
            .filter(assets::Column::TenantId.eq(tenant.0))
            .filter(assets::Column::Id.is_in(ids))
            .all(conn)
            .await?
    };
    for r in refs {
        let kind = if let Some(sys) = state.catalog.system_asset(&r.id) {
            Some(sys.kind)
        } else {
            Uuid::parse_str(&r.id)
                .ok()
                .and_then(|id| found.iter().find(|a| a.id == id))
                .map(|a| {
                    if a.kind == "video" {
                        MediaKind::Video
                    } else {
                        MediaKind::Image
                    }
                })
        };
        let expected = match r.kind {
            AssetKind::Image => MediaKind::Image,
            AssetKind::Video => MediaKind::Video,
        };
        match kind {
            None => faults.push(Fault::new(
                &r.pointer,
                "素材不存在",
                "no such asset in this account",
            )),
            Some(k) if k != expected => {
                faults.push(Fault::new(
                    &r.pointer,
                    format!(
                        "此处须为{}素材",
                        if expected == MediaKind::Image {
                            "图片"
                        } else {
                            "视频"
                        }
                    ),
                    format!("must reference a {} asset", expected.as_str()),
                ));
            }
            _ => {}
        }
    }
    Ok(faults)
}

/// Replaces the recorded references of a page's draft (`version` 0) or a version.
pub async fn record_refs(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    page: Uuid,
    version: i32,
    refs: &[AssetRef],
) -> AppResult<()> {
    page_asset_refs::Entity::delete_many()
        .filter(page_asset_refs::Column::PageId.eq(page))
        .filter(page_asset_refs::Column::Version.eq(version))
        .exec(conn)
        .await?;
    let mut ids: Vec<&str> = refs.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    for id in ids {
        page_asset_refs::Entity::insert(page_asset_refs::ActiveModel {
            page_id: Set(page),
            version: Set(version),
            asset_id: Set(id.to_owned()),
            tenant_id: Set(tenant.0),
        })
        .exec_without_returning(conn)
        .await?;
    }
    Ok(())
}

/// Stores an upload: recognised by content, within the kind's size limit and the plan's
/// storage quota. The object is written first; the row is inserted under the tenant's lock
/// with the quota checked again, so concurrent uploads cannot overshoot it.
pub async fn upload(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    original_name: &str,
    bytes: Vec<u8>,
) -> AppResult<AssetView> {
    let media = sniff(&bytes).ok_or_else(|| AppError::new(ErrorCode::UnsupportedFileType))?;
    let size = bytes.len() as i64;
    let limit = match media.kind {
        MediaKind::Image => state.settings.storage.max_image_bytes,
        MediaKind::Video => state.settings.storage.max_video_bytes,
    } as i64;
    if size > limit {
        return Err(
            AppError::new(ErrorCode::PayloadTooLarge).with_details(serde_json::json!({
                "kind": media.kind.as_str(),
                "limit_bytes": limit,
                "size_bytes": size,
            })),
        );
    }
    if !is_whole(&bytes, media.content_type) {
        return Err(AppError::new(ErrorCode::FileNotWhole));
    }
    let quota = tenant_plan(&state.db, tenant).await?.storage_quota_bytes;
    let used = storage_used(&state.db, tenant).await?;
    if used + size > quota {
        return Err(quota_exceeded("storage", used, quota, size));
    }
    let id = Uuid::now_v7();
    let key = tenant_key(tenant.0, "assets", &id.to_string());
    let sha = hex::encode(Sha256::digest(&bytes));
    state
        .store
        .put(&key, bytes, media.content_type)
        .await
        .map_err(AppError::internal)?;
    let name: String = original_name
        .chars()
        .filter(|c| !crate::domain::text::is_disallowed_in_names(*c))
        .take(255)
        .collect();
    let now = state.clock.now();
    let inserted = async {
        let txn = db::begin_write(&state.db).await?;
        lock_snapshot(&txn, tenant).await?;
        let used = storage_used(&txn, tenant).await?;
        if used + size > quota {
            return Err(quota_exceeded("storage", used, quota, size));
        }
        let row = assets::Model {
            id,
            tenant_id: tenant.0,
            kind: media.kind.as_str().into(),
            content_type: media.content_type.into(),
            size_bytes: size,
            width: media.width.map(|w| w as i32),
            height: media.height.map(|h| h as i32),
            original_name: name,
            storage_key: key.clone(),
            sha256: sha,
            created_at: now,
            created_by: Some(actor.id.0),
        };
        assets::Entity::insert(assets::ActiveModel::from(row.clone()))
            .exec_without_returning(&txn)
            .await?;
        audit::record(
            &txn,
            now,
            AuditRecord {
                actor: actor.actor(),
                tenant_id: Some(tenant),
                action: "asset.uploaded",
                subject_type: "asset",
                subject_id: Some(id.to_string()),
                summary: serde_json::json!({ "kind": row.kind, "content_type": row.content_type, "size_bytes": size }),
                request_id: meta.request_id.clone(),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    }
    .await;
    match inserted {
        Ok(row) => Ok(AssetView::new(row, AssetUsage::default())),
        Err(e) => {
            // The row was not written: remove the object again (best effort; the tenant
            // purge removes any leftover under the tenant's prefix).
            if let Err(cleanup) = state.store.delete(&key).await {
                tracing::warn!(error = %cleanup, "removing the object of a refused upload failed");
            }
            Err(e)
        }
    }
}

/// The tenant's assets, newest first, with where each is used and the storage in use.
pub async fn list(state: &AppState, tenant: TenantId) -> AppResult<(Vec<AssetView>, i64, i64)> {
    let rows = assets::Entity::find()
        .filter(assets::Column::TenantId.eq(tenant.0))
        .order_by_desc(assets::Column::Id)
        .all(&state.db)
        .await?;
    let used = rows.iter().map(|a| a.size_bytes).sum();
    let quota = tenant_plan(&state.db, tenant).await?.storage_quota_bytes;
    let mut usage = usage_by_asset(&state.db, tenant, None).await?;
    let items = rows
        .into_iter()
        .map(|a| {
            let used_by = usage.remove(&a.id.to_string()).unwrap_or_default();
            AssetView::new(a, used_by)
        })
        .collect();
    Ok((items, used, quota))
}

/// One asset of the tenant.
pub async fn get(state: &AppState, tenant: TenantId, id: Uuid) -> AppResult<assets::Model> {
    assets::Entity::find_by_id(id)
        .filter(assets::Column::TenantId.eq(tenant.0))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

/// One asset of the tenant as shown, with where it is used.
pub async fn view(state: &AppState, tenant: TenantId, id: Uuid) -> AppResult<AssetView> {
    let row = get(state, tenant, id).await?;
    let used_by = usages(&state.db, tenant, &id.to_string()).await?;
    Ok(AssetView::new(row, used_by))
}

/// Where one asset is used.
pub async fn usages(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    id: &str,
) -> AppResult<AssetUsage> {
    Ok(usage_by_asset(conn, tenant, Some(id))
        .await?
        .remove(id)
        .unwrap_or_default())
}

/// Where the tenant's assets (or only `only`) are used, by asset id; unused assets are
/// absent.
async fn usage_by_asset(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    only: Option<&str>,
) -> AppResult<HashMap<String, AssetUsage>> {
    let mut query = page_asset_refs::Entity::find()
        .filter(page_asset_refs::Column::TenantId.eq(tenant.0))
        .order_by_asc(page_asset_refs::Column::Version);
    if let Some(id) = only {
        query = query.filter(page_asset_refs::Column::AssetId.eq(id));
    }
    let refs = query.all(conn).await?;
    let page_ids: Vec<Uuid> = refs.iter().map(|r| r.page_id).collect();
    let pages_by_id: HashMap<Uuid, pages::Model> = pages::Entity::find()
        .filter(pages::Column::TenantId.eq(tenant.0))
        .filter(pages::Column::Id.is_in(page_ids))
        .order_by_asc(pages::Column::Slug)
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut by_asset: HashMap<String, AssetUsage> = HashMap::new();
    for r in refs {
        let Some(page) = pages_by_id.get(&r.page_id) else {
            continue;
        };
        let usage = by_asset.entry(r.asset_id).or_default();
        let entry = match usage.pages.iter_mut().position(|p| p.page_id == page.id) {
            Some(i) => &mut usage.pages[i],
            None => {
                usage.pages.push(PageUsage {
                    page_id: page.id,
                    slug: page.slug.clone(),
                    title: page.title.clone(),
                    draft: false,
                    versions: Vec::new(),
                });
                usage.pages.last_mut().expect("just pushed")
            }
        };
        if r.version == 0 {
            entry.draft = true;
        } else {
            entry.versions.push(r.version);
        }
    }
    for usage in by_asset.values_mut() {
        usage.pages.sort_by(|a, b| a.slug.cmp(&b.slug));
    }
    if let Some(settings) = tenant_settings::Entity::find_by_id(tenant.0)
        .one(conn)
        .await?
    {
        let tab_bar = settings.tab_bar.to_string();
        let ids: Vec<String> = match only {
            Some(id) => vec![id.to_owned()],
            None => assets::Entity::find()
                .filter(assets::Column::TenantId.eq(tenant.0))
                .select_only()
                .column(assets::Column::Id)
                .into_tuple::<Uuid>()
                .all(conn)
                .await?
                .into_iter()
                .map(|id| id.to_string())
                .collect(),
        };
        for id in ids {
            if tab_bar.contains(&format!("\"{id}\"")) {
                by_asset.entry(id).or_default().tab_bar = true;
            }
        }
    }
    Ok(by_asset)
}

/// Deletes an asset no draft, version or tab bar references (else 409 `in_use` saying
/// where). The row goes in a transaction; then the object.
pub async fn delete(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    id: Uuid,
) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    lock_snapshot(&txn, tenant).await?;
    let row = assets::Entity::find_by_id(id)
        .filter(assets::Column::TenantId.eq(tenant.0))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let used = usages(&txn, tenant, &id.to_string()).await?;
    if !used.is_unused() {
        return Err(AppError::new(ErrorCode::InUse)
            .with_details(serde_json::to_value(used).map_err(AppError::internal)?));
    }
    assets::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        state.clock.now(),
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: "asset.deleted",
            subject_type: "asset",
            subject_id: Some(id.to_string()),
            summary: serde_json::json!({ "kind": row.kind, "size_bytes": row.size_bytes }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    if let Err(e) = state.store.delete(&row.storage_key).await {
        tracing::warn!(error = %e, "deleting an asset's object failed; the tenant purge removes it");
    }
    Ok(())
}

/// Turns a layout fault into the 422 answer.
pub fn layout_error(fault: Fault) -> AppError {
    layout_faults(vec![fault], &serde_json::Value::Null)
}

/// Turns a layout's faults (document order, at least one) into the 422 answer: the first
/// as `pointer` and `reason`, every one under `errors` with the id of the component it
/// lies in, so an editor marks them all at once.
pub fn layout_faults(faults: Vec<Fault>, layout: &serde_json::Value) -> AppError {
    let first = faults
        .first()
        .cloned()
        .unwrap_or_else(|| Fault::new("", "布局有误", "the layout is invalid"));
    let errors: Vec<serde_json::Value> = faults
        .iter()
        .map(|f| {
            serde_json::json!({
                "pointer": f.pointer,
                "component_id": crate::domain::layout::component_at(layout, &f.pointer),
                "reason": {"zh-CN": f.reason.zh, "en": f.reason.en},
            })
        })
        .collect();
    let more = if faults.len() > 1 {
        (
            format!("（共 {} 处）", faults.len()),
            format!(" ({} faults in all)", faults.len()),
        )
    } else {
        (String::new(), String::new())
    };
    AppError::new(ErrorCode::ValidationFailed)
        .with_message(Localized::new(
            format!(
                "布局 {} 处有误：{}{}",
                first.pointer, first.reason.zh, more.0
            ),
            format!(
                "The layout is invalid at {}: {}{}",
                first.pointer, first.reason.en, more.1
            ),
        ))
        .with_details(serde_json::json!({
            "field": "layout",
            "pointer": first.pointer,
            "reason": first.reason.en,
            "errors": errors,
        }))
}
