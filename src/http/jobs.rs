//! Job queue administration (agency admins): list jobs by status, retry a dead one.

use super::extract::AgencyAdmin;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode, Localized};
use crate::http::extract::Query;
use crate::jobs::queue::status;
use crate::services::RequestMeta;
use crate::services::audit::{self, Actor, AuditRecord};
use crate::state::AppState;
use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use entity::jobs;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the job administration routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_jobs).service(retry_job);
}

/// A job as operators see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JobView {
    /// Job id.
    pub id: uuid::Uuid,
    /// Kind.
    pub kind: String,
    /// `queued`, `running`, `done` or `dead`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// Attempt limit.
    pub max_attempts: i32,
    /// Next run (queued) or when it was scheduled.
    pub run_at: DateTime<Utc>,
    /// The last error, secrets stripped.
    pub last_error: Option<String>,
    /// Owning tenant.
    pub tenant_id: Option<uuid::Uuid>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Finished (done or dead) at.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<jobs::Model> for JobView {
    fn from(j: jobs::Model) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            status: j.status,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            last_error: j.last_error,
            tenant_id: j.tenant_id,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

/// Filters of the job list.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListJobsQuery {
    /// `queued`, `running`, `done` or `dead` (default `dead`).
    #[param(value_type = Option<String>, pattern = "^(queued|running|done|dead)$")]
    pub status: Option<String>,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<uuid::Uuid>,
}

/// A page of jobs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JobPage {
    /// Newest first.
    pub items: Vec<JobView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<uuid::Uuid>,
}

/// Lists jobs by status, newest first (dead jobs by default).
#[utoipa::path(
    tag = "operations",
    params(ListJobsQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "OK", body = JobPage), (status = 403, description = "Not allowed for this role or state", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody))
)]
#[get("/admin/jobs")]
async fn list_jobs(
    state: web::Data<AppState>,
    _admin: AgencyAdmin,
    query: Query<ListJobsQuery>,
) -> AppResult<web::Json<JobPage>> {
    let wanted = query.status.as_deref().unwrap_or(status::DEAD);
    if ![status::QUEUED, status::RUNNING, status::DONE, status::DEAD].contains(&wanted) {
        return Err(AppError::invalid_field(
            "status",
            Localized::new(
                "须为 queued、running、done 或 dead",
                "must be queued, running, done or dead",
            ),
        ));
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid_field(
            "limit",
            Localized::new("须在 1 到 200 之间", "must be between 1 and 200"),
        ));
    }
    let mut select = jobs::Entity::find().filter(jobs::Column::Status.eq(wanted));
    if let Some(cursor) = query.cursor {
        select = select.filter(jobs::Column::Id.lt(cursor));
    }
    let mut rows = select
        .order_by_desc(jobs::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|j| j.id)
    } else {
        None
    };
    Ok(web::Json(JobPage {
        items: rows.into_iter().map(JobView::from).collect(),
        next_cursor,
    }))
}

/// Puts a dead job back in the queue with fresh attempts; audited.
#[utoipa::path(
    tag = "operations",
    params(("id" = uuid::Uuid, Path, description = "Job id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = JobView),
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "`job_not_retryable`: the job is not dead", body = ErrorBody),
    )
)]
#[post("/admin/jobs/{id}/retry")]
async fn retry_job(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<JobView>> {
    let id = *id;
    let txn = crate::db::begin_write(&state.db).await?;
    let job = jobs::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if !state.jobs.retry_dead(&txn, id).await? {
        return Err(AppError::new(ErrorCode::JobNotRetryable)
            .with_details(serde_json::json!({ "status": job.status })));
    }
    let user = &admin.0.user;
    audit::record(
        &txn,
        state.clock.now(),
        AuditRecord {
            actor: Actor::user(user.id, user.role, &user.username),
            tenant_id: job.tenant_id.map(crate::domain::ids::TenantId),
            action: "job.retried",
            subject_type: "job",
            subject_id: Some(id.to_string()),
            summary: serde_json::json!({ "kind": job.kind, "last_error": job.last_error }),
            request_id: meta.request_id,
        },
    )
    .await?;
    // The answer is the row this transaction wrote: read after the commit, a worker could
    // already have claimed the job (attempts 1, running) — another write's state.
    let job = jobs::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    txn.commit().await?;
    Ok(web::Json(job.into()))
}
