//! Fleet roll-out (agency admins): a new code template becomes current and is deployed to
//! every active, bound tenant as a throttled batch of deploy runs — at most `concurrency`
//! runs before their audit submission at once, at most `per_minute` started per minute.
//! Each tenant is a target row that moves `pending → started` once (a conditional
//! update), so no tenant is committed twice. When the audit quota reaches the reserve
//! the runs about to submit wait (`paused`) and the roll-out pauses with the reason; a
//! resume continues them from the quota check.

use super::deploy::{self, StartDeploy, status as run_status};
use super::driver::{self, Driven, Taken};
use super::templates::{self, SetTemplate};
use crate::domain::ids::TenantId;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use crate::services::RequestMeta;
use crate::services::audit::{self, Actor, AuditRecord};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use entity::{deploy_runs, rollout_targets, rollouts, tenant_holds, tenants, wechat_bindings};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Job kind that starts the next runs of a roll-out.
pub const ROLLOUT_JOB: &str = "wechat.rollout";

/// Roll-out statuses.
pub mod status {
    /// Starting runs.
    pub const RUNNING: &str = "running";
    /// Not starting runs (by an admin, or at the audit-quota reserve).
    pub const PAUSED: &str = "paused";
    /// Every target's run finished.
    pub const DONE: &str = "done";
}

/// Input of a roll-out.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"template_id": 1, "concurrency": 5, "per_minute": 20}))]
pub struct StartRollout {
    /// The template to make current and roll out.
    pub template_id: i64,
    /// Runs before their audit submission at once (1–50, default 5).
    #[schema(minimum = 1, maximum = 50)]
    pub concurrency: Option<i32>,
    /// Runs started per minute at most (1–600, default 10).
    #[schema(minimum = 1, maximum = 600)]
    pub per_minute: Option<i32>,
}

/// Progress of a roll-out.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RolloutView {
    /// Id.
    pub id: Uuid,
    /// Template rolled out.
    pub template_id: i64,
    /// Its version.
    pub user_version: String,
    /// `running`, `paused` or `done`.
    pub status: String,
    /// Why it is paused.
    pub paused_reason: Option<String>,
    /// Concurrency limit.
    pub concurrency: i32,
    /// Per-minute limit.
    pub per_minute: i32,
    /// Tenants targeted.
    pub targets: u64,
    /// Targets not started yet.
    pub pending: u64,
    /// Targets skipped (with reasons in `failures`).
    pub skipped: u64,
    /// Started runs by run status (`running`, `paused`, `waiting_audit`, `released`, …).
    pub by_status: BTreeMap<String, u64>,
    /// Unfinished started runs by their current step.
    pub by_step: BTreeMap<String, u64>,
    /// Failed runs and skipped targets by reason (errcode or code).
    pub failures: BTreeMap<String, u64>,
    /// Started.
    pub created_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
}

fn range(field: &str, value: Option<i32>, default: i32, max: i32) -> AppResult<i32> {
    let v = value.unwrap_or(default);
    if !(1..=max).contains(&v) {
        return Err(AppError::invalid_field(
            field,
            Localized::new(format!("须为 1–{max}"), format!("must be 1–{max}")),
        ));
    }
    Ok(v)
}

fn driver_job(rollout: Uuid, at: Option<DateTime<Utc>>) -> NewJob {
    let job = NewJob::new(ROLLOUT_JOB, json!({ "rollout_id": rollout }));
    match at {
        Some(at) => job.run_at(at),
        None => job,
    }
}

/// Wakes the roll-out's driver (a run left `running`, or a resume).
pub async fn wake(
    conn: &impl ConnectionTrait,
    state: &AppState,
    rollout: Uuid,
) -> Result<(), sea_orm::DbErr> {
    state.jobs.enqueue(conn, driver_job(rollout, None)).await?;
    Ok(())
}

/// Makes the template current and starts rolling it out.
pub async fn start(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    input: StartRollout,
) -> AppResult<RolloutView> {
    let concurrency = range("concurrency", input.concurrency, 5, 50)?;
    let per_minute = range("per_minute", input.per_minute, 10, 600)?;
    if let Some(open) = rollouts::Entity::find()
        .filter(rollouts::Column::Status.ne(status::DONE))
        .one(&state.db)
        .await?
    {
        return Err(AppError::new(ErrorCode::InvalidTransition)
            .with_message(Localized::new(
                "已有未完成的批量发布",
                "Another roll-out is not finished",
            ))
            .with_details(json!({ "rollout_id": open.id })));
    }
    let current = templates::set_current(
        state,
        user,
        meta,
        SetTemplate {
            template_id: input.template_id,
            supported_types: None,
        },
    )
    .await?;
    let now = state.clock.now();
    let bound: Vec<(Uuid, serde_json::Value)> = wechat_bindings::Entity::find()
        .select_only()
        .column(wechat_bindings::Column::TenantId)
        .column(wechat_bindings::Column::FuncIds)
        .filter(wechat_bindings::Column::Status.eq("bound"))
        .into_tuple()
        .all(&state.db)
        .await?;
    let taken_down: Vec<Uuid> = tenant_holds::Entity::find()
        .select_only()
        .column(tenant_holds::Column::TenantId)
        .filter(tenant_holds::Column::Kind.eq("takedown"))
        .into_tuple()
        .all(&state.db)
        .await?;
    let active: Vec<Uuid> = tenants::Entity::find()
        .select_only()
        .column(tenants::Column::Id)
        .filter(tenants::Column::Status.eq("active"))
        .filter(tenants::Column::Id.is_in(bound.iter().map(|(t, _)| *t).collect::<Vec<_>>()))
        .into_tuple()
        .all(&state.db)
        .await?;
    let targets: Vec<Uuid> = active
        .into_iter()
        .filter(|t| !taken_down.contains(t))
        .filter(|t| {
            bound.iter().any(|(id, f)| {
                id == t
                    && f.as_array().is_some_and(|a| {
                        a.iter()
                            .any(|i| i.as_i64() == Some(super::binding::CODE_MANAGEMENT_FUNC_ID))
                    })
            })
        })
        .collect();
    let id = Uuid::now_v7();
    let txn = crate::db::begin_write(&state.db).await?;
    rollouts::Entity::insert(rollouts::ActiveModel {
        id: Set(id),
        template_id: Set(current.template_id),
        user_version: Set(current.user_version.clone()),
        status: Set(status::RUNNING.into()),
        paused_reason: Set(None),
        concurrency: Set(concurrency),
        per_minute: Set(per_minute),
        driver_until: Set(None),
        driver_job_id: Set(None),
        created_by: Set(Some(user.id.0)),
        created_at: Set(now),
        updated_at: Set(now),
        finished_at: Set(None),
    })
    .exec_without_returning(&txn)
    .await?;
    for chunk in targets.chunks(500) {
        rollout_targets::Entity::insert_many(chunk.iter().map(|t| rollout_targets::ActiveModel {
            rollout_id: Set(id),
            tenant_id: Set(*t),
            status: Set("pending".into()),
            run_id: Set(None),
            reason: Set(None),
            updated_at: Set(now),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    wake(&txn, state, id).await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: user.actor(),
            tenant_id: None,
            action: "rollout.started",
            subject_type: "rollout",
            subject_id: Some(id.to_string()),
            summary: json!({ "template_id": current.template_id, "user_version": current.user_version,
                "targets": targets.len(), "concurrency": concurrency, "per_minute": per_minute }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    view(state, id).await
}

/// Progress of a roll-out, with exact counts.
pub async fn view(state: &AppState, id: Uuid) -> AppResult<RolloutView> {
    let rollout = rollouts::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let targets = rollout_targets::Entity::find()
        .filter(rollout_targets::Column::RolloutId.eq(id))
        .all(&state.db)
        .await?;
    let runs = deploy_runs::Entity::find()
        .filter(deploy_runs::Column::RolloutId.eq(id))
        .all(&state.db)
        .await?;
    let mut by_status = BTreeMap::new();
    let mut by_step = BTreeMap::new();
    let mut failures = BTreeMap::new();
    for r in &runs {
        *by_status.entry(r.status.clone()).or_insert(0) += 1;
        if run_status::ACTIVE.contains(&r.status.as_str()) {
            *by_step.entry(r.step.clone()).or_insert(0) += 1;
        }
        if r.status == run_status::FAILED {
            let key = r
                .errcode
                .map(|c| format!("errcode {c}"))
                .unwrap_or_else(|| "audit_rejected".into());
            *failures.entry(key).or_insert(0) += 1;
        }
    }
    for t in targets.iter().filter(|t| t.status == "skipped") {
        *failures
            .entry(t.reason.clone().unwrap_or_else(|| "skipped".into()))
            .or_insert(0) += 1;
    }
    Ok(RolloutView {
        id,
        template_id: rollout.template_id,
        user_version: rollout.user_version,
        status: rollout.status,
        paused_reason: rollout.paused_reason,
        concurrency: rollout.concurrency,
        per_minute: rollout.per_minute,
        targets: targets.len() as u64,
        pending: targets.iter().filter(|t| t.status == "pending").count() as u64,
        skipped: targets.iter().filter(|t| t.status == "skipped").count() as u64,
        by_status,
        by_step,
        failures,
        created_at: rollout.created_at,
        finished_at: rollout.finished_at,
    })
}

/// Roll-outs, newest first.
pub async fn list(state: &AppState) -> AppResult<Vec<RolloutView>> {
    let ids: Vec<Uuid> = rollouts::Entity::find()
        .select_only()
        .column(rollouts::Column::Id)
        .order_by_desc(rollouts::Column::CreatedAt)
        .limit(50)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.push(view(state, id).await?);
    }
    Ok(out)
}

async fn set_status(
    conn: &impl ConnectionTrait,
    id: Uuid,
    from: &str,
    to: &str,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, sea_orm::DbErr> {
    let changed = rollouts::Entity::update_many()
        .col_expr(rollouts::Column::Status, Expr::value(to))
        .col_expr(rollouts::Column::PausedReason, Expr::value(reason))
        .col_expr(rollouts::Column::UpdatedAt, Expr::value(now))
        .filter(rollouts::Column::Id.eq(id))
        .filter(rollouts::Column::Status.eq(from))
        .exec(conn)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Pauses the roll-out because the audit quota reached the reserve (audited once).
pub async fn pause_for_quota(
    state: &AppState,
    id: Uuid,
    rest: i64,
    reserve: i64,
) -> Result<(), sea_orm::DbErr> {
    let reason = format!(
        "审核额度只剩 {rest} 次，已达到保留数 {reserve}，已暂停；额度恢复后请继续。 / The audit quota is down to {rest}, at the reserve of {reserve}: paused; resume when the quota is back."
    );
    let now = state.clock.now();
    if set_status(
        &state.db,
        id,
        status::RUNNING,
        status::PAUSED,
        Some(reason.clone()),
        now,
    )
    .await?
    {
        audit::record(
            &state.db,
            now,
            AuditRecord {
                actor: Actor::system(),
                tenant_id: None,
                action: "rollout.paused",
                subject_type: "rollout",
                subject_id: Some(id.to_string()),
                summary: json!({ "reason": "audit_quota_reserve", "rest": rest, "reserve": reserve }),
                request_id: None,
            },
        )
        .await?;
        tracing::warn!(rollout.id = %id, rest, reserve, "roll-out paused at the audit-quota reserve");
    }
    Ok(())
}

/// Pauses (admin).
pub async fn pause(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<RolloutView> {
    let now = state.clock.now();
    let reason = Some(format!(
        "由 {} 暂停 / paused by {}",
        user.username, user.username
    ));
    if !set_status(&state.db, id, status::RUNNING, status::PAUSED, reason, now).await? {
        return Err(AppError::new(ErrorCode::InvalidTransition));
    }
    admin_audit(state, user, meta, id, "rollout.paused").await?;
    view(state, id).await
}

/// Resumes: runs held at the quota continue from the quota check, pending targets start.
pub async fn resume(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<RolloutView> {
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    if !set_status(&txn, id, status::PAUSED, status::RUNNING, None, now).await? {
        return Err(AppError::new(ErrorCode::InvalidTransition));
    }
    let held = deploy_runs::Entity::find()
        .filter(deploy_runs::Column::RolloutId.eq(id))
        .filter(deploy_runs::Column::Status.eq(run_status::PAUSED))
        .all(&txn)
        .await?;
    for run in &held {
        deploy_runs::Entity::update_many()
            .col_expr(
                deploy_runs::Column::Status,
                Expr::value(run_status::RUNNING),
            )
            .col_expr(deploy_runs::Column::UpdatedAt, Expr::value(now))
            .filter(deploy_runs::Column::Id.eq(run.id))
            .filter(deploy_runs::Column::Status.eq(run_status::PAUSED))
            .exec(&txn)
            .await?;
        deploy::wake(&txn, state, run).await?;
    }
    wake(&txn, state, id).await?;
    txn.commit().await?;
    admin_audit(state, user, meta, id, "rollout.resumed").await?;
    view(state, id).await
}

async fn admin_audit(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    id: Uuid,
    action: &'static str,
) -> AppResult<()> {
    audit::record(
        &state.db,
        state.clock.now(),
        AuditRecord {
            actor: user.actor(),
            tenant_id: None,
            action,
            subject_type: "rollout",
            subject_id: Some(id.to_string()),
            summary: json!({}),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    Ok(())
}

/// Drives `wechat.rollout`: starts as many runs as the limits allow, then looks again.
pub struct RolloutHandler;

impl JobHandler for RolloutHandler {
    fn kind(&self) -> &'static str {
        ROLLOUT_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let id = job.payload_uuid("rollout_id")?;
            match driver::take(state, Driven::Rollout, id, job.id)
                .await
                .map_err(|e| JobError::Retry(anyhow::anyhow!("{e}")))?
            {
                Taken::Yes => {}
                Taken::Gone => return Ok(()),
                // Another driver is at work; it looks again itself.
                Taken::HeldUntil(_) => return Ok(()),
            }
            let outcome = step(state, id).await;
            driver::give_back(state, Driven::Rollout, id, job.id).await;
            if let Some(after) = outcome? {
                let at = state.clock.now() + after;
                state
                    .jobs
                    .enqueue(&state.db, driver_job(id, Some(at)))
                    .await?;
            }
            Ok(())
        })
    }
}

/// One pass; `Some(delay)` to look again after it.
async fn step(state: &AppState, id: Uuid) -> Result<Option<Duration>, JobError> {
    let Some(rollout) = rollouts::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(None);
    };
    if rollout.status == status::DONE {
        return Ok(None);
    }
    let now = state.clock.now();
    if rollout.status == status::RUNNING {
        let in_flight = deploy_runs::Entity::find()
            .filter(deploy_runs::Column::RolloutId.eq(id))
            .filter(deploy_runs::Column::Status.eq(run_status::RUNNING))
            .count(&state.db)
            .await? as i64;
        let last_minute = rollout_targets::Entity::find()
            .filter(rollout_targets::Column::RolloutId.eq(id))
            .filter(rollout_targets::Column::Status.is_in(["started", "skipped"]))
            .filter(rollout_targets::Column::UpdatedAt.gt(now - Duration::seconds(60)))
            .count(&state.db)
            .await? as i64;
        let slots = (i64::from(rollout.concurrency) - in_flight)
            .min(i64::from(rollout.per_minute) - last_minute)
            .max(0);
        let next: Vec<Uuid> = rollout_targets::Entity::find()
            .select_only()
            .column(rollout_targets::Column::TenantId)
            .filter(rollout_targets::Column::RolloutId.eq(id))
            .filter(rollout_targets::Column::Status.eq("pending"))
            .order_by_asc(rollout_targets::Column::TenantId)
            .limit(slots as u64)
            .into_tuple()
            .all(&state.db)
            .await?;
        for tenant in next {
            start_target(state, &rollout, TenantId(tenant)).await?;
        }
    }
    let pending = rollout_targets::Entity::find()
        .filter(rollout_targets::Column::RolloutId.eq(id))
        .filter(rollout_targets::Column::Status.eq("pending"))
        .count(&state.db)
        .await?;
    let unfinished = deploy_runs::Entity::find()
        .filter(deploy_runs::Column::RolloutId.eq(id))
        .filter(deploy_runs::Column::Status.is_in(run_status::ACTIVE))
        .count(&state.db)
        .await?;
    if pending == 0 && unfinished == 0 {
        if set_status(&state.db, id, &rollout.status, status::DONE, None, now).await? {
            rollouts::Entity::update_many()
                .col_expr(rollouts::Column::FinishedAt, Expr::value(Some(now)))
                .filter(rollouts::Column::Id.eq(id))
                .exec(&state.db)
                .await?;
            audit::record(
                &state.db,
                now,
                AuditRecord {
                    actor: Actor::system(),
                    tenant_id: None,
                    action: "rollout.finished",
                    subject_type: "rollout",
                    subject_id: Some(id.to_string()),
                    summary: json!({}),
                    request_id: None,
                },
            )
            .await?;
        }
        return Ok(None);
    }
    if rollout.status != status::RUNNING {
        // Paused: resume wakes it.
        return Ok(None);
    }
    // Pending targets: look again when a per-minute slot frees; otherwise once a minute.
    let secs = if pending > 0 {
        (60 / i64::from(rollout.per_minute.max(1))).clamp(1, 60)
    } else {
        60
    };
    Ok(Some(Duration::seconds(secs)))
}

async fn start_target(
    state: &AppState,
    rollout: &rollouts::Model,
    tenant: TenantId,
) -> Result<(), JobError> {
    let now = state.clock.now();
    let claimed = rollout_targets::Entity::update_many()
        .col_expr(rollout_targets::Column::Status, Expr::value("started"))
        .col_expr(rollout_targets::Column::UpdatedAt, Expr::value(now))
        .filter(rollout_targets::Column::RolloutId.eq(rollout.id))
        .filter(rollout_targets::Column::TenantId.eq(tenant.0))
        .filter(rollout_targets::Column::Status.eq("pending"))
        .exec(&state.db)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(());
    }
    let started = deploy::start(
        state,
        Actor::system(),
        &RequestMeta::default(),
        tenant,
        StartDeploy {
            auto_release: Some(true),
            user_desc: None,
        },
        Some(rollout.id),
    )
    .await;
    let (column_status, run_id, reason) = match started {
        Ok(run) => ("started", Some(run.id), None),
        Err(e) if e.code().status().is_server_error() => {
            // Try this tenant again later.
            ("pending", None, None)
        }
        Err(e) => ("skipped", None, Some(e.code().as_str().to_owned())),
    };
    rollout_targets::Entity::update_many()
        .col_expr(rollout_targets::Column::Status, Expr::value(column_status))
        .col_expr(rollout_targets::Column::RunId, Expr::value(run_id))
        .col_expr(rollout_targets::Column::Reason, Expr::value(reason))
        .col_expr(rollout_targets::Column::UpdatedAt, Expr::value(now))
        .filter(rollout_targets::Column::RolloutId.eq(rollout.id))
        .filter(rollout_targets::Column::TenantId.eq(tenant.0))
        .exec(&state.db)
        .await?;
    Ok(())
}
