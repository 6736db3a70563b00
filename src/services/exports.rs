//! Tenant exports: everything a tenant owns, as a zip a merchant can read — an index, each
//! page as JSON, the settings, each asset under its own name — plus the raw rows of every
//! table with a `tenant_id` column (found from the catalog, the same way the purge finds
//! them) and any other object under the tenant's prefix; built by a job, stored under the
//! tenant's prefix and downloadable for `lifecycle.export_link_hours`.

use crate::db;
use crate::domain::ids::TenantId;
use crate::domain::tenant::TenantStatus;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use crate::lifecycle::tenant_data::tables_with_tenant_id;
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::services::signed_links::{self, Linked, SignedLink};
use crate::state::AppState;
use crate::storage::tenant_key;
use chrono::{DateTime, Duration, Utc};
use entity::{exports, tenants};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder, Statement,
};
use serde::Serialize;
use std::io::Write;
use uuid::Uuid;

/// Job kind that builds one export.
pub const EXPORT_JOB: &str = "tenant.export";

/// Pause point: the zip is built, not yet stored (purge race tests).
pub const EXPORT_BEFORE_STORE: &str = "export.before_store";

/// Block point inside the compression (tests that it runs off the async workers).
pub const EXPORT_COMPRESSING: &str = "export.compressing";

/// Tables left out of an export: the job queue (internal), sessions and refresh tokens
/// (credentials), and earlier exports.
const NOT_EXPORTED: &[&str] = &["jobs", "sessions", "refresh_tokens", "exports"];

/// Columns never exported (secrets, even hashed).
const SECRET_COLUMNS: &[&str] = &[
    "password_hash",
    "token_hash",
    "refresh_token_enc",
    "access_token_enc",
    "pre_auth_code_hash",
];

/// An export as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ExportView {
    /// Id.
    pub id: Uuid,
    /// The tenant.
    pub tenant_id: Uuid,
    /// `queued`, `ready`, `failed` or `expired`.
    pub status: String,
    /// Zip size in bytes, when ready.
    pub size_bytes: Option<i64>,
    /// Requested at.
    pub created_at: DateTime<Utc>,
    /// Built at.
    pub finished_at: Option<DateTime<Utc>>,
    /// The download link stops working at this time.
    pub expires_at: Option<DateTime<Utc>>,
    /// Where to download it (with the same bearer token), while valid.
    pub download_path: Option<String>,
    /// A signed link to the zip that needs no bearer header (for a plain browser link),
    /// while valid; each answer signs a fresh one.
    pub download_url: Option<SignedLink>,
    /// Why it failed.
    pub error: Option<String>,
}

fn view(state: &AppState, row: exports::Model) -> AppResult<ExportView> {
    let ttl = Duration::hours(state.settings.lifecycle.export_link_hours);
    let expires_at = row.finished_at.map(|f| f + ttl);
    let expired = expires_at.is_some_and(|e| state.clock.now() >= e);
    let status = if row.status == "ready" && expired {
        "expired".to_owned()
    } else {
        row.status.clone()
    };
    let download_url = if status == "ready" {
        Some(signed_links::sign(
            state,
            TenantId(row.tenant_id),
            Linked::Export,
            row.id,
            expires_at,
        )?)
    } else {
        None
    };
    Ok(ExportView {
        download_url,
        download_path: (status == "ready").then(|| {
            format!(
                "/api/v1/tenants/{}/exports/{}/download",
                row.tenant_id, row.id
            )
        }),
        id: row.id,
        tenant_id: row.tenant_id,
        status,
        size_bytes: row.size_bytes,
        created_at: row.created_at,
        finished_at: row.finished_at,
        expires_at,
        error: row.error,
    })
}

/// Requests an export of `tenant` (any state until its deletion is due: then 409
/// `tenant_deletion_due`). Audited.
pub async fn request(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
) -> AppResult<ExportView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let row = tenants::Entity::find_by_id(tenant.0)
        .one(&txn)
        .await?
        .filter(|t| t.status != TenantStatus::Deleted.as_str())
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if crate::lifecycle::purge::deletion_due(&row, now) {
        return Err(AppError::new(ErrorCode::TenantDeletionDue)
            .with_details(serde_json::json!({ "delete_after": row.delete_after })));
    }
    let export = exports::Model {
        id: Uuid::now_v7(),
        tenant_id: row.id,
        requested_by: Some(actor.id.0),
        status: "queued".into(),
        object_key: None,
        size_bytes: None,
        error: None,
        created_at: now,
        finished_at: None,
    };
    exports::Entity::insert(exports::ActiveModel::from(export.clone()))
        .exec_without_returning(&txn)
        .await?;
    state
        .jobs
        .enqueue(
            &txn,
            NewJob::new(EXPORT_JOB, serde_json::json!({ "export_id": export.id })).tenant(tenant),
        )
        .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: "tenant.export_requested",
            subject_type: "export",
            subject_id: Some(export.id.to_string()),
            summary: serde_json::json!({}),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    view(state, export)
}

/// The tenant's exports, newest first.
pub async fn list(state: &AppState, tenant: TenantId) -> AppResult<Vec<ExportView>> {
    exports::Entity::find()
        .filter(exports::Column::TenantId.eq(tenant.0))
        .order_by_desc(exports::Column::CreatedAt)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| view(state, r))
        .collect()
}

/// What a download answers.
pub enum Download {
    /// Redirect to the object store's own short-lived URL (S3).
    Redirect(String),
    /// The bytes, served by this service (local folder).
    Bytes(Vec<u8>),
}

/// The zip of a ready export, while its link is valid: 404 if unknown, 409 `export_not_ready`
/// while building, 410 `export_expired` after the validity.
pub async fn download(state: &AppState, tenant: TenantId, id: Uuid) -> AppResult<Download> {
    let row = exports::Entity::find_by_id(id)
        .filter(exports::Column::TenantId.eq(tenant.0))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let shown = view(state, row.clone())?;
    match shown.status.as_str() {
        "ready" => {}
        "expired" => return Err(AppError::new(ErrorCode::ExportExpired)),
        _ => return Err(AppError::new(ErrorCode::ExportNotReady)),
    }
    let key = row
        .object_key
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("ready export without a key")))?;
    let left = shown
        .expires_at
        .map(|e| (e - state.clock.now()).to_std().unwrap_or_default())
        .unwrap_or_default();
    if let Some(url) = state
        .store
        .presigned_get(&key, left.min(std::time::Duration::from_secs(3600)))
        .await
        .map_err(AppError::internal)?
    {
        return Ok(Download::Redirect(url));
    }
    let bytes = state
        .store
        .get(&key)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    Ok(Download::Bytes(bytes))
}

/// Every row of `table` that belongs to `tenant`, as JSON objects (secret columns left out).
async fn rows_as_json(
    conn: &impl ConnectionTrait,
    table: &str,
    tenant: TenantId,
    id_column: &str,
) -> AppResult<Vec<serde_json::Value>> {
    let backend = conn.get_database_backend();
    let columns: Vec<String> = match backend {
        DatabaseBackend::Postgres => conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT column_name::text AS name FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                [table.into()],
            ))
            .await?
            .into_iter()
            .map(|r| r.try_get::<String>("", "name"))
            .collect::<Result<_, _>>()?,
        _ => conn
            .query_all_raw(Statement::from_sql_and_values(
                backend,
                "SELECT name FROM pragma_table_info($1)",
                [table.into()],
            ))
            .await?
            .into_iter()
            .map(|r| r.try_get::<String>("", "name"))
            .collect::<Result<_, _>>()?,
    };
    let pairs: Vec<String> = columns
        .iter()
        .filter(|c| !SECRET_COLUMNS.contains(&c.as_str()))
        .map(|c| match backend {
            DatabaseBackend::Postgres => format!("'{c}', \"{c}\""),
            // SQLite keeps UUIDs as 16-byte blobs, which JSON cannot hold: spell them out.
            _ => format!(
                "'{c}', CASE WHEN typeof(\"{c}\") = 'blob' AND length(\"{c}\") = 16 THEN \
                 lower(substr(hex(\"{c}\"), 1, 8) || '-' || substr(hex(\"{c}\"), 9, 4) || '-' || \
                 substr(hex(\"{c}\"), 13, 4) || '-' || substr(hex(\"{c}\"), 17, 4) || '-' || \
                 substr(hex(\"{c}\"), 21)) \
                 WHEN typeof(\"{c}\") = 'blob' THEN lower(hex(\"{c}\")) ELSE \"{c}\" END"
            ),
        })
        .collect();
    let object = match backend {
        DatabaseBackend::Postgres => format!("json_build_object({})::text", pairs.join(", ")),
        _ => format!("json_object({})", pairs.join(", ")),
    };
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT {object} AS exported FROM \"{table}\" WHERE \"{id_column}\" = $1"),
            [tenant.0.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            let text: String = r.try_get("", "exported")?;
            serde_json::from_str(&text).map_err(AppError::internal)
        })
        .collect()
}

/// The export being written: entries go to a zip built in memory on a blocking thread, so
/// deflating hundreds of megabytes never holds an async worker (the scheduler and other
/// jobs share them).
struct ExportZip {
    entries: Option<tokio::sync::mpsc::Sender<(String, Vec<u8>)>>,
    writer: tokio::task::JoinHandle<AppResult<Vec<u8>>>,
}

impl ExportZip {
    fn start(faults: std::sync::Arc<crate::services::faults::FaultPoints>) -> Self {
        // A few entries in flight: reading the next object overlaps compressing this one.
        let (entries, mut received) = tokio::sync::mpsc::channel::<(String, Vec<u8>)>(4);
        let writer = tokio::task::spawn_blocking(move || {
            let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            while let Some((name, bytes)) = received.blocking_recv() {
                faults.block(EXPORT_COMPRESSING);
                zip.start_file(name, options).map_err(AppError::internal)?;
                zip.write_all(&bytes).map_err(AppError::internal)?;
            }
            Ok(zip.finish().map_err(AppError::internal)?.into_inner())
        });
        Self {
            entries: Some(entries),
            writer,
        }
    }

    async fn bytes(&mut self, name: &str, bytes: Vec<u8>) -> AppResult<()> {
        let sent = match &self.entries {
            Some(entries) => entries.send((name.to_owned(), bytes)).await.is_ok(),
            None => false,
        };
        if sent {
            return Ok(());
        }
        // The writer stopped: its own error says why.
        self.entries = None;
        match (&mut self.writer).await.map_err(AppError::internal)? {
            Err(e) => Err(e),
            Ok(_) => Err(AppError::internal(anyhow::anyhow!(
                "the zip writer stopped"
            ))),
        }
    }

    async fn json(&mut self, name: &str, value: &serde_json::Value) -> AppResult<()> {
        let text = serde_json::to_vec_pretty(value).map_err(AppError::internal)?;
        self.bytes(name, text).await
    }

    async fn finish(mut self) -> AppResult<Vec<u8>> {
        self.entries = None;
        self.writer.await.map_err(AppError::internal)?
    }
}

/// Refuses (409 `tenant_deletion_due`) once the tenant's deletion is due: from then on the
/// purge owns the tenant's data and an export neither starts nor stores.
async fn ensure_not_deleting(state: &AppState, tenant: TenantId) -> AppResult<()> {
    let row = tenants::Entity::find_by_id(tenant.0).one(&state.db).await?;
    match row {
        Some(row) if !crate::lifecycle::purge::deletion_due(&row, state.clock.now()) => Ok(()),
        _ => Err(AppError::new(ErrorCode::TenantDeletionDue)),
    }
}

/// What `README.md` at the top of every export says, in both languages.
const README: &str = include_str!("export_readme.md");

/// Builds the zip of export `id` and stores it. Idempotent: a ready export is left alone.
///
/// The zip is meant to be read by the merchant: `index.json` lists the contents, each page
/// is one JSON file with its layouts and rendering as real JSON, each asset keeps its name
/// and gets its file extension; the raw rows of every table are under `data/` and any other
/// stored object under `objects/`.
pub async fn build(state: &AppState, id: Uuid) -> AppResult<()> {
    let Some(row) = exports::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(()); // purged with its tenant meanwhile
    };
    if row.status != "queued" {
        return Ok(());
    }
    let tenant = TenantId(row.tenant_id);
    let Some(tenant_row) = tenants::Entity::find_by_id(tenant.0).one(&state.db).await? else {
        return Ok(());
    };
    ensure_not_deleting(state, tenant).await?;
    let mut out = ExportZip::start(state.faults.clone());
    out.bytes("README.md", README.as_bytes().to_vec()).await?;

    let mut tables = serde_json::Map::new();
    let tenant_rows = rows_as_json(&state.db, "tenants", tenant, "id").await?;
    out.json("data/tenants.json", &serde_json::json!(tenant_rows))
        .await?;
    for table in tables_with_tenant_id(&state.db).await? {
        if NOT_EXPORTED.contains(&table.as_str()) {
            continue;
        }
        let rows = rows_as_json(&state.db, &table, tenant, "tenant_id").await?;
        tables.insert(table.clone(), rows.len().into());
        out.json(&format!("data/{table}.json"), &serde_json::json!(rows))
            .await?;
    }

    let pages = readable::pages(state, tenant, &mut out).await?;
    let settings = readable::settings(state, tenant, &mut out).await?;
    let (assets, objects) = readable::objects(state, tenant, &mut out).await?;
    out.json(
        "index.json",
        &serde_json::json!({
            "format": "weapp-builder export, version 2",
            "tenant": {
                "id": tenant,
                "business_name": tenant_row.business_name,
                "status": tenant_row.status,
                "appid": tenant_row.appid,
            },
            "exported_at": state.clock.now(),
            "pages": pages,
            "settings": settings,
            "assets": assets,
            "other_objects": objects,
            "tables": tables,
        }),
    )
    .await?;
    let bytes = out.finish().await?;
    state.faults.pause(EXPORT_BEFORE_STORE).await;
    // The purge waits for this job while it runs; from the deletion time on it stores
    // nothing, so whatever it stored before is swept with the rest.
    ensure_not_deleting(state, tenant).await?;
    let key = tenant_key(tenant.0, "exports", &format!("{id}.zip"));
    let size = bytes.len() as i64;
    state
        .store
        .put(&key, bytes, "application/zip")
        .await
        .map_err(AppError::internal)?;
    let now = state.clock.now();
    exports::Entity::update_many()
        .col_expr(exports::Column::Status, Expr::value("ready"))
        .col_expr(exports::Column::ObjectKey, Expr::value(Some(key)))
        .col_expr(exports::Column::SizeBytes, Expr::value(Some(size)))
        .col_expr(exports::Column::FinishedAt, Expr::value(Some(now)))
        .filter(exports::Column::Id.eq(id))
        .filter(exports::Column::Status.eq("queued"))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// The readable part of an export: pages, settings and named assets.
mod readable {
    use super::ExportZip;
    use crate::domain::ids::TenantId;
    use crate::error::{AppError, AppResult};
    use crate::state::AppState;
    use crate::storage::tenant_prefix;
    use entity::{assets, page_versions, pages, tenant_settings};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    use serde_json::{Value, json};
    use std::collections::HashMap;

    /// A stored rendering as JSON (it is JSON text); a text that does not parse stays text.
    fn rendered(text: Option<String>) -> Value {
        text.map_or(Value::Null, |t| {
            serde_json::from_str(&t).unwrap_or(Value::String(t))
        })
    }

    /// A file-name-safe form of `text`: path separators, control and reserved characters
    /// become `_`, at most 60 characters.
    fn file_safe(text: &str) -> String {
        let cleaned: String = text
            .chars()
            .map(|c| {
                if c.is_control() || "/\\:*?\"<>|".contains(c) {
                    '_'
                } else {
                    c
                }
            })
            .take(60)
            .collect();
        let trimmed = cleaned.trim().trim_matches('.');
        if trimmed.is_empty() {
            "file".to_owned()
        } else {
            trimmed.to_owned()
        }
    }

    /// The file extension of a stored content type.
    fn extension(content_type: &str) -> &'static str {
        match content_type {
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "image/gif" => "gif",
            "image/webp" => "webp",
            "video/mp4" => "mp4",
            _ => "bin",
        }
    }

    /// `assets/<name without extension>-<first 8 of the id>.<extension>`: the merchant's
    /// own name, unique by the id, with the extension of what the file really is.
    pub(super) fn asset_file(original_name: &str, id: uuid::Uuid, content_type: &str) -> String {
        let stem = original_name
            .rsplit_once('.')
            .map_or(original_name, |(stem, _)| stem);
        let short = &id.simple().to_string()[..8];
        format!(
            "assets/{}-{short}.{}",
            file_safe(stem),
            extension(content_type)
        )
    }

    /// One `pages/<slug>.json` per page; the index entries.
    pub(super) async fn pages(
        state: &AppState,
        tenant: TenantId,
        out: &mut ExportZip,
    ) -> AppResult<Vec<Value>> {
        let rows = pages::Entity::find()
            .filter(pages::Column::TenantId.eq(tenant.0))
            .order_by_asc(pages::Column::Slug)
            .all(&state.db)
            .await?;
        let mut versions: HashMap<uuid::Uuid, Vec<page_versions::Model>> = HashMap::new();
        for v in page_versions::Entity::find()
            .filter(page_versions::Column::TenantId.eq(tenant.0))
            .order_by_desc(page_versions::Column::Version)
            .all(&state.db)
            .await?
        {
            versions.entry(v.page_id).or_default().push(v);
        }
        let mut index = Vec::with_capacity(rows.len());
        for page in rows {
            let file = format!("pages/{}.json", file_safe(&page.slug));
            let mut published = Value::Null;
            let mut earlier = Vec::new();
            for v in versions.remove(&page.id).unwrap_or_default() {
                let live = page.is_published && page.published_version == Some(v.version);
                let entry = json!({
                    "version": v.version,
                    "title": v.title,
                    "published_at": v.published_at,
                    "navigation_bar": v.navigation_bar,
                    "layout": v.layout,
                    "rendered": rendered(v.rendered),
                });
                if live {
                    published = entry;
                } else {
                    earlier.push(entry);
                }
            }
            let status = if page.taken_down_at.is_some() {
                "taken_down"
            } else if page.is_published {
                "published"
            } else {
                "draft"
            };
            out.json(
                &file,
                &json!({
                    "id": page.id,
                    "slug": page.slug,
                    "title": page.title,
                    "status": status,
                    "takedown_reason": page.takedown_reason,
                    "updated_at": page.updated_at,
                    "draft": {
                        "revision": page.revision,
                        "navigation_bar": page.navigation_bar,
                        "layout": page.draft_layout,
                    },
                    "published": published,
                    "earlier_versions": earlier,
                }),
            )
            .await?;
            index.push(json!({
                "slug": page.slug,
                "title": page.title,
                "status": status,
                "file": file,
            }));
        }
        Ok(index)
    }

    /// `settings.json`: the tab bar, the theme and the app config phones are served.
    pub(super) async fn settings(
        state: &AppState,
        tenant: TenantId,
        out: &mut ExportZip,
    ) -> AppResult<Option<&'static str>> {
        let Some(row) = tenant_settings::Entity::find_by_id(tenant.0)
            .one(&state.db)
            .await?
        else {
            return Ok(None);
        };
        out.json(
            "settings.json",
            &json!({
                "tab_bar": row.tab_bar,
                "theme": row.theme,
                "app_config": rendered(row.app_config),
                "updated_at": row.updated_at,
            }),
        )
        .await?;
        Ok(Some("settings.json"))
    }

    /// Every stored object of the tenant but its exports: assets under `assets/` by name,
    /// anything else under `objects/` by its key. The asset index entries and the count of
    /// other objects.
    pub(super) async fn objects(
        state: &AppState,
        tenant: TenantId,
        out: &mut ExportZip,
    ) -> AppResult<(Vec<Value>, usize)> {
        let named: HashMap<String, assets::Model> = assets::Entity::find()
            .filter(assets::Column::TenantId.eq(tenant.0))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|a| (a.storage_key.clone(), a))
            .collect();
        let prefix = tenant_prefix(tenant.0);
        let exports_prefix = format!("{prefix}exports/");
        let mut after: Option<String> = None;
        let mut index = Vec::new();
        let mut others = 0usize;
        loop {
            let keys = state
                .store
                .list(&prefix, after.as_deref(), 500)
                .await
                .map_err(AppError::internal)?;
            let Some(last) = keys.last().cloned() else {
                break;
            };
            // A long read stops as soon as the tenant's deletion comes due.
            super::ensure_not_deleting(state, tenant).await?;
            for key in keys.iter().filter(|k| !k.starts_with(&exports_prefix)) {
                let Some(bytes) = state.store.get(key).await.map_err(AppError::internal)? else {
                    continue;
                };
                if let Some(asset) = named.get(key) {
                    let file = asset_file(&asset.original_name, asset.id, &asset.content_type);
                    out.bytes(&file, bytes).await?;
                    index.push(json!({
                        "id": asset.id,
                        "name": asset.original_name,
                        "file": file,
                        "kind": asset.kind,
                        "content_type": asset.content_type,
                        "size_bytes": asset.size_bytes,
                        "width": asset.width,
                        "height": asset.height,
                        "sha256": asset.sha256,
                        "uploaded_at": asset.created_at,
                    }));
                } else {
                    out.bytes(
                        &format!("objects/{}", key.trim_start_matches(&prefix)),
                        bytes,
                    )
                    .await?;
                    others += 1;
                }
            }
            after = Some(last);
        }
        Ok((index, others))
    }

    #[cfg(test)]
    mod tests {
        use super::asset_file;

        #[test]
        fn an_asset_keeps_its_name_and_gets_the_extension_of_what_it_is() {
            let id = uuid::Uuid::parse_str("0192aabb-ccdd-7eee-8fff-000000000001").unwrap();
            assert_eq!(
                asset_file("门店横幅.final.PNG", id, "image/png"),
                "assets/门店横幅.final-0192aabb.png"
            );
            assert_eq!(
                asset_file("photo", id, "image/jpeg"),
                "assets/photo-0192aabb.jpg"
            );
            assert_eq!(
                asset_file("../../etc/passwd.gif", id, "image/gif"),
                "assets/_.._etc_passwd-0192aabb.gif"
            );
            assert_eq!(
                asset_file(".png", id, "image/png"),
                "assets/file-0192aabb.png"
            );
        }
    }
}

/// Runs [`EXPORT_JOB`].
pub struct ExportHandler;

impl JobHandler for ExportHandler {
    fn kind(&self) -> &'static str {
        EXPORT_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let id = job.payload_uuid("export_id")?;
            match build(state, id).await {
                Ok(()) => Ok(()),
                // The purge owns the tenant now: the export ends without writing anything.
                Err(e) if e.code() == ErrorCode::TenantDeletionDue => {
                    tracing::info!(export.id = %id, "export stopped: the tenant's deletion is due");
                    Ok(())
                }
                Err(e) => Err(JobError::Retry(anyhow::anyhow!("{e:?}"))),
            }
        })
    }
}
