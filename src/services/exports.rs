//! Tenant exports: everything a tenant owns, as a zip — one JSON file per table with a
//! `tenant_id` column (found from the catalog, the same way the purge finds them) and every
//! object under the tenant's prefix — built by a job, stored under the tenant's prefix and
//! downloadable for `lifecycle.export_link_hours`.

use crate::db;
use crate::domain::ids::TenantId;
use crate::domain::tenant::TenantStatus;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use crate::lifecycle::tenant_data::tables_with_tenant_id;
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use crate::storage::{tenant_key, tenant_prefix};
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
    /// Why it failed.
    pub error: Option<String>,
}

fn view(state: &AppState, row: exports::Model) -> ExportView {
    let ttl = Duration::hours(state.settings.lifecycle.export_link_hours);
    let expires_at = row.finished_at.map(|f| f + ttl);
    let expired = expires_at.is_some_and(|e| state.clock.now() >= e);
    let status = if row.status == "ready" && expired {
        "expired".to_owned()
    } else {
        row.status.clone()
    };
    ExportView {
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
    }
}

/// Requests an export of `tenant` (any state but deleted). Audited.
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
    Ok(view(state, export))
}

/// The tenant's exports, newest first.
pub async fn list(state: &AppState, tenant: TenantId) -> AppResult<Vec<ExportView>> {
    Ok(exports::Entity::find()
        .filter(exports::Column::TenantId.eq(tenant.0))
        .order_by_desc(exports::Column::CreatedAt)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| view(state, r))
        .collect())
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
    let shown = view(state, row.clone());
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

/// Builds the zip of export `id` and stores it. Idempotent: a ready export is left alone.
pub async fn build(state: &AppState, id: Uuid) -> AppResult<()> {
    let Some(row) = exports::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(()); // purged with its tenant meanwhile
    };
    if row.status != "queued" {
        return Ok(());
    }
    let tenant = TenantId(row.tenant_id);
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut manifest = serde_json::Map::new();
    let tenant_rows = rows_as_json(&state.db, "tenants", tenant, "id").await?;
    let add_json = |zip: &mut zip::ZipWriter<std::io::Cursor<Vec<u8>>>,
                    name: String,
                    value: &serde_json::Value| {
        zip.start_file(name, options).map_err(AppError::internal)?;
        zip.write_all(&serde_json::to_vec_pretty(value).map_err(AppError::internal)?)
            .map_err(AppError::internal)?;
        Ok::<_, AppError>(())
    };
    add_json(
        &mut zip,
        "data/tenants.json".into(),
        &serde_json::json!(tenant_rows),
    )?;
    for table in tables_with_tenant_id(&state.db).await? {
        if NOT_EXPORTED.contains(&table.as_str()) {
            continue;
        }
        let rows = rows_as_json(&state.db, &table, tenant, "tenant_id").await?;
        manifest.insert(table.clone(), rows.len().into());
        add_json(
            &mut zip,
            format!("data/{table}.json"),
            &serde_json::json!(rows),
        )?;
    }
    let prefix = tenant_prefix(tenant.0);
    let exports_prefix = format!("{prefix}exports/");
    let mut after: Option<String> = None;
    let mut objects = 0usize;
    loop {
        let keys = state
            .store
            .list(&prefix, after.as_deref(), 500)
            .await
            .map_err(AppError::internal)?;
        let Some(last) = keys.last().cloned() else {
            break;
        };
        for key in keys.iter().filter(|k| !k.starts_with(&exports_prefix)) {
            if let Some(bytes) = state.store.get(key).await.map_err(AppError::internal)? {
                zip.start_file(
                    format!("objects/{}", key.trim_start_matches(&prefix)),
                    options,
                )
                .map_err(AppError::internal)?;
                zip.write_all(&bytes).map_err(AppError::internal)?;
                objects += 1;
            }
        }
        after = Some(last);
    }
    manifest.insert("objects".into(), objects.into());
    add_json(
        &mut zip,
        "manifest.json".into(),
        &serde_json::json!({
            "tenant_id": tenant,
            "exported_at": state.clock.now(),
            "counts": manifest,
        }),
    )?;
    let bytes = zip.finish().map_err(AppError::internal)?.into_inner();
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
            build(state, id)
                .await
                .map_err(|e| JobError::Retry(anyhow::anyhow!("{e:?}")))?;
            Ok(())
        })
    }
}
