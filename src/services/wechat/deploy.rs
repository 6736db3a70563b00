//! The deploy pipeline (PROTOCOL.md §3.8): the agency's current code template goes to a
//! tenant's mini-program as domains → commit → privacy scan → trial QR → quota → submit
//! audit → audit result → release. One `deploy_runs` row per run and one `deploy_steps`
//! row per step. The steps that change WeChat (commit, submit, release) are recorded in
//! flight before the call; a step found in flight after a crash or a lost answer is
//! reconciled by asking WeChat (`getversioninfo`, `get_latest_auditstatus`) before
//! anything is called again, so each happens exactly once.

use super::binding::CODE_MANAGEMENT_FUNC_ID;
use super::driver::{self, Driven, Taken};
use super::tokens::with_authorizer_token;
use super::{WechatPlatform, WxFailure, platform};
use crate::domain::ids::TenantId;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use crate::services::RequestMeta;
use crate::services::audit::{self, Actor, AuditRecord};
use crate::services::listing::ItemList;
use crate::services::principals::CachedUser;
use crate::services::signed_links::{self, Linked, SignedLink};
use crate::state::AppState;
use crate::wechat::client::{TokenParam, WechatError};
use crate::wechat::errors::merchant_message;
use chrono::{DateTime, Duration, Utc};
use entity::{code_templates, deploy_runs, deploy_steps, tenants, wechat_bindings};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// Job kind that drives one run as far as it can go now.
pub const DEPLOY_JOB: &str = "wechat.deploy";
/// Attempts of a driver job on transient failures before the run is stopped.
const DRIVER_ATTEMPTS: i32 = 10;
/// The page the trial QR code opens.
const QR_PAGE: &str = "pages/index/index";

/// Run statuses.
pub mod status {
    /// Steps are being carried out.
    pub const RUNNING: &str = "running";
    /// Submitted; waiting for WeChat's reviewers.
    pub const WAITING_AUDIT: &str = "waiting_audit";
    /// Approved; the merchant admin releases it (no automatic release asked).
    pub const AWAITING_RELEASE: &str = "awaiting_release";
    /// Approved and released to a percentage of users.
    pub const GRAY: &str = "gray";
    /// Online.
    pub const RELEASED: &str = "released";
    /// Stopped by a permanent error or a rejected audit.
    pub const FAILED: &str = "failed";
    /// The audit was withdrawn.
    pub const WITHDRAWN: &str = "withdrawn";
    /// A roll-out's run held before submitting: the audit quota reached the reserve.
    pub const PAUSED: &str = "paused";
    /// Statuses in which a run is not finished.
    pub const ACTIVE: [&str; 5] = [RUNNING, WAITING_AUDIT, AWAITING_RELEASE, GRAY, PAUSED];
}

/// Steps in order.
pub const STEPS: [&str; 8] = [
    "domains",
    "commit",
    "privacy_scan",
    "qrcode",
    "quota",
    "submit_audit",
    "audit",
    "release",
];

/// A step of a run as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StepView {
    /// Step name.
    pub name: String,
    /// `in_flight`, `done`, `skipped` or `failed`.
    pub status: String,
    /// Calls made for it.
    pub attempts: i32,
    /// What WeChat answered (no tokens).
    #[schema(value_type = Object)]
    pub detail: Option<Value>,
    /// WeChat's errcode when it failed.
    pub errcode: Option<i64>,
    /// The failure (URLs and tokens removed).
    pub error: Option<String>,
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A run as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunView {
    /// Run id.
    pub id: Uuid,
    /// Tenant.
    pub tenant_id: Uuid,
    /// Mini-program.
    pub appid: String,
    /// Code template committed.
    pub template_id: i64,
    /// Version shown in WeChat.
    pub user_version: String,
    /// Description shown in WeChat.
    pub user_desc: String,
    /// See [`status`].
    pub status: String,
    /// The current (or last) step.
    pub step: String,
    /// Release as soon as the audit passes.
    pub auto_release: bool,
    /// WeChat's audit id.
    pub auditid: Option<i64>,
    /// The reviewers' reason (rejected or delayed).
    pub audit_reason: Option<String>,
    /// Gray release percentage while gray.
    pub gray_percentage: Option<i32>,
    /// Whether the trial QR image can be downloaded.
    pub has_qrcode: bool,
    /// A signed link to the trial QR image that needs no bearer header (for an `<img>`),
    /// when there is one; each answer signs a fresh one.
    pub qrcode_url: Option<SignedLink>,
    /// WeChat's errcode that stopped the run.
    pub errcode: Option<i64>,
    /// What stopped the run, in plain words for the merchant.
    pub error_message: Option<String>,
    /// Fleet roll-out it belongs to.
    pub rollout_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Finished (released, failed or withdrawn).
    pub finished_at: Option<DateTime<Utc>>,
    /// Steps so far.
    pub steps: Vec<StepView>,
}

fn run_view(
    state: &AppState,
    run: deploy_runs::Model,
    steps: Vec<deploy_steps::Model>,
) -> AppResult<RunView> {
    let mut steps: Vec<StepView> = steps
        .into_iter()
        .map(|s| StepView {
            name: s.name,
            status: s.status,
            attempts: s.attempts,
            detail: s.detail,
            errcode: s.errcode,
            error: s.error,
            started_at: s.started_at,
            finished_at: s.finished_at,
        })
        .collect();
    steps.sort_by_key(|s| STEPS.iter().position(|n| *n == s.name));
    let qrcode_url = match run.qr_key {
        Some(_) => Some(signed_links::sign(
            state,
            TenantId(run.tenant_id),
            Linked::DeployQrcode,
            run.id,
            None,
        )?),
        None => None,
    };
    Ok(RunView {
        qrcode_url,
        id: run.id,
        tenant_id: run.tenant_id,
        appid: run.appid,
        template_id: run.template_id,
        user_version: run.user_version,
        user_desc: run.user_desc,
        status: run.status,
        step: run.step,
        auto_release: run.auto_release,
        auditid: run.auditid,
        audit_reason: run.audit_reason,
        gray_percentage: run.gray_percentage,
        has_qrcode: run.qr_key.is_some(),
        errcode: run.errcode,
        error_message: run.error_message,
        rollout_id: run.rollout_id,
        created_at: run.created_at,
        updated_at: run.updated_at,
        finished_at: run.finished_at,
        steps,
    })
}

/// Input of a deploy.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartDeploy {
    /// Release automatically once the audit passes (default true).
    pub auto_release: Option<bool>,
    /// Description shown in WeChat (≤ 200 characters; default: the template's).
    pub user_desc: Option<String>,
}

/// The current code template, if set.
pub async fn current_template(
    conn: &impl ConnectionTrait,
) -> Result<Option<code_templates::Model>, sea_orm::DbErr> {
    code_templates::Entity::find()
        .filter(code_templates::Column::IsCurrent.eq(true))
        .order_by_desc(code_templates::Column::CreatedAt)
        .one(conn)
        .await
}

/// Refuses a deploy the tenant's binding does not allow; returns the appid.
pub fn deployable_appid(binding: Option<&wechat_bindings::Model>) -> AppResult<String> {
    let binding = binding
        .filter(|b| b.status == "bound")
        .ok_or_else(|| AppError::new(ErrorCode::WechatNotBound))?;
    let granted = binding.func_ids.as_array().is_some_and(|ids| {
        ids.iter()
            .any(|i| i.as_i64() == Some(CODE_MANAGEMENT_FUNC_ID))
    });
    if !granted {
        return Err(AppError::new(ErrorCode::WechatPermissionMissing));
    }
    Ok(binding.appid.clone())
}

/// Starts a run for the tenant (merchant admin, or a fleet roll-out with `rollout`).
pub async fn start(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    tenant: TenantId,
    input: StartDeploy,
    rollout: Option<Uuid>,
) -> AppResult<RunView> {
    platform(state)?;
    if let Some(desc) = &input.user_desc
        && desc.chars().count() > 200
    {
        return Err(AppError::invalid_field(
            "user_desc",
            Localized::new("最多 200 个字符", "at most 200 characters"),
        ));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    crate::services::tenant_state::lock_snapshot(&txn, tenant).await?;
    let binding = wechat_bindings::Entity::find_by_id(tenant.0)
        .one(&txn)
        .await?;
    let appid = deployable_appid(binding.as_ref())?;
    let template = current_template(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NoCodeTemplate))?;
    if let Some(active) = deploy_runs::Entity::find()
        .filter(deploy_runs::Column::TenantId.eq(tenant.0))
        .filter(deploy_runs::Column::Status.is_in(status::ACTIVE))
        .one(&txn)
        .await?
    {
        return Err(
            AppError::new(ErrorCode::DeployInProgress).with_details(json!({ "run_id": active.id }))
        );
    }
    let tenant_name = tenants::Entity::find_by_id(tenant.0)
        .one(&txn)
        .await?
        .map(|t| t.business_name)
        .unwrap_or_default();
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let user_desc = describe(input.user_desc.as_deref(), &template, &tenant_name, id);
    let run = deploy_runs::Model {
        id,
        tenant_id: tenant.0,
        appid: appid.clone(),
        template_id: template.template_id,
        user_version: template.user_version.clone(),
        user_desc,
        status: status::RUNNING.into(),
        step: STEPS[0].into(),
        auto_release: input.auto_release.unwrap_or(true),
        auditid: None,
        audit_reason: None,
        gray_percentage: None,
        qr_key: None,
        errcode: None,
        error_message: None,
        requested_by: actor.id.map(|u| u.0),
        rollout_id: rollout,
        driver_until: None,
        driver_job_id: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
    };
    deploy_runs::Entity::insert(deploy_runs::ActiveModel::from(run.clone()))
        .exec_without_returning(&txn)
        .await?;
    state
        .jobs
        .enqueue(&txn, driver_job(tenant, id, None))
        .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor,
            tenant_id: Some(tenant),
            action: "deploy.requested",
            subject_type: "deploy_run",
            subject_id: Some(id.to_string()),
            summary: json!({ "appid": appid, "template_id": template.template_id,
                "user_version": template.user_version, "auto_release": run.auto_release,
                "rollout_id": rollout }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    run_view(state, run, Vec::new())
}

/// The description a run sends to WeChat: the merchant's, else the template's, else the
/// tenant's name and the version (WeChat refuses an empty one) — always followed by the
/// run's mark, so that reconciling a lost commit or release can tell this run's from
/// another run's of the same version (D45).
fn describe(
    given: Option<&str>,
    template: &code_templates::Model,
    tenant_name: &str,
    run: Uuid,
) -> String {
    let base = [given.unwrap_or(""), template.user_desc.as_str()]
        .into_iter()
        .map(str::trim)
        .find(|d| !d.is_empty())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{} {}", tenant_name.trim(), template.user_version));
    format!("{base} #{}", run_mark(run))
}

/// The last 8 hex digits of the run id (the random part of a UUIDv7).
fn run_mark(run: Uuid) -> String {
    let hex = run.simple().to_string();
    hex[hex.len() - 8..].to_owned()
}

fn driver_job(tenant: TenantId, run: Uuid, at: Option<DateTime<Utc>>) -> NewJob {
    let job = NewJob::new(DEPLOY_JOB, json!({ "run_id": run }))
        .tenant(tenant)
        .max_attempts(DRIVER_ATTEMPTS);
    match at {
        Some(at) => job.run_at(at),
        None => job,
    }
}

/// Wakes the run's driver now (an audit push arrived, the merchant released).
pub async fn wake(
    conn: &impl ConnectionTrait,
    state: &AppState,
    run: &deploy_runs::Model,
) -> Result<(), sea_orm::DbErr> {
    state
        .jobs
        .enqueue(conn, driver_job(TenantId(run.tenant_id), run.id, None))
        .await?;
    Ok(())
}

/// Wakes the driver of the appid's run that waits for its audit (the audit push).
pub async fn audit_event(
    conn: &impl ConnectionTrait,
    state: &AppState,
    appid: &str,
    event: &str,
) -> Result<(), sea_orm::DbErr> {
    let run = deploy_runs::Entity::find()
        .filter(deploy_runs::Column::Appid.eq(appid))
        .filter(deploy_runs::Column::Step.eq("audit"))
        .filter(deploy_runs::Column::Status.eq(status::WAITING_AUDIT))
        .order_by_desc(deploy_runs::Column::CreatedAt)
        .one(conn)
        .await?;
    match run {
        Some(run) => {
            tracing::info!(run.id = %run.id, appid, event, "audit result pushed; confirming it");
            wake(conn, state, &run).await
        }
        None => {
            tracing::info!(appid, event, "audit push without a waiting run");
            Ok(())
        }
    }
}

/// Loads a run of the tenant.
pub async fn find_run(
    state: &AppState,
    tenant: TenantId,
    id: Uuid,
) -> AppResult<deploy_runs::Model> {
    deploy_runs::Entity::find_by_id(id)
        .filter(deploy_runs::Column::TenantId.eq(tenant.0))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

/// A run with its steps.
pub async fn view(state: &AppState, tenant: TenantId, id: Uuid) -> AppResult<RunView> {
    let run = find_run(state, tenant, id).await?;
    let steps = deploy_steps::Entity::find()
        .filter(deploy_steps::Column::RunId.eq(id))
        .all(&state.db)
        .await?;
    run_view(state, run, steps)
}

/// Runs newest first: one tenant's, or every tenant's (`tenant = None`, agency admins).
pub async fn list(
    state: &AppState,
    tenant: Option<TenantId>,
    status_filter: Option<&str>,
    limit: u64,
    cursor: Option<Uuid>,
) -> AppResult<ItemList<RunView>> {
    let mut query = deploy_runs::Entity::find().order_by_desc(deploy_runs::Column::Id);
    if let Some(t) = tenant {
        query = query.filter(deploy_runs::Column::TenantId.eq(t.0));
    }
    if let Some(s) = status_filter {
        query = query.filter(deploy_runs::Column::Status.eq(s));
    }
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid_field(
            "limit",
            Localized::new("须为 1–500", "must be 1–500"),
        ));
    }
    if let Some(cursor) = cursor {
        // Ids are time-ordered (UUIDv7): the next page is the older ids.
        query = query.filter(deploy_runs::Column::Id.lt(cursor));
    }
    let mut runs = query.limit(limit + 1).all(&state.db).await?;
    let next_cursor = if runs.len() as u64 > limit {
        runs.truncate(limit as usize);
        runs.last().map(|r| r.id)
    } else {
        None
    };
    let ids: Vec<Uuid> = runs.iter().map(|r| r.id).collect();
    let mut steps = deploy_steps::Entity::find()
        .filter(deploy_steps::Column::RunId.is_in(ids))
        .all(&state.db)
        .await?;
    let items = runs
        .into_iter()
        .map(|r| {
            let (mine, rest): (Vec<_>, Vec<_>) = steps.drain(..).partition(|s| s.run_id == r.id);
            steps = rest;
            run_view(state, r, mine)
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(ItemList { items, next_cursor })
}

/// The trial QR image of a run.
pub async fn qrcode(state: &AppState, tenant: TenantId, id: Uuid) -> AppResult<Vec<u8>> {
    let run = find_run(state, tenant, id).await?;
    let key = run
        .qr_key
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    state
        .store
        .get(&key)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

// ---------------------------------------------------------------- the driver

/// What a step decided.
enum Next {
    /// Go on with this step now.
    Step(&'static str),
    /// Look again after this many seconds.
    Wait(i64),
    /// Nothing more until something happens (merchant release, terminal status).
    Stop,
}

/// Drives `wechat.deploy` jobs.
pub struct DeployHandler;

impl JobHandler for DeployHandler {
    fn kind(&self) -> &'static str {
        DEPLOY_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let run_id = job.payload_uuid("run_id")?;
            let wx = platform(state).map_err(|e| JobError::Retry(anyhow::anyhow!("{e}")))?;
            match driver::take(state, Driven::DeployRun, run_id, job.id)
                .await
                .map_err(|e| JobError::Retry(anyhow::anyhow!("{e}")))?
            {
                Taken::Yes => {}
                Taken::Gone => return Ok(()),
                // Another job drives the run: look again when its lease ends.
                Taken::HeldUntil(until) => return Err(Taken::wait(until, state.clock.now())),
            }
            let outcome = drive(state, &wx, run_id).await;
            driver::give_back(state, Driven::DeployRun, run_id, job.id).await;
            if let Some(run) = deploy_runs::Entity::find_by_id(run_id)
                .one(&state.db)
                .await?
                && let Some(rollout) = run.rollout_id
                && run.status != status::RUNNING
            {
                super::rollout::wake(&state.db, state, rollout).await?;
            }
            match outcome {
                Ok(()) => Ok(()),
                Err(WxFailure::Wechat(e)) if e.is_transient() && job.attempt >= DRIVER_ATTEMPTS => {
                    fail_run(state, run_id, &e).await?;
                    Ok(())
                }
                Err(WxFailure::Wechat(e)) if !e.is_transient() => {
                    fail_run(state, run_id, &e).await?;
                    Ok(())
                }
                Err(f) => Err(f.into()),
            }
        })
    }
}

async fn drive(state: &AppState, wx: &WechatPlatform, run_id: Uuid) -> Result<(), WxFailure> {
    loop {
        state.faults.check("deploy.before_step")?;
        let run = deploy_runs::Entity::find_by_id(run_id)
            .one(&state.db)
            .await?
            .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
        let actionable = run.status == status::RUNNING
            || (run.status == status::WAITING_AUDIT && run.step == "audit");
        if !actionable {
            return Ok(());
        }
        let next = match run.step.as_str() {
            "domains" => step_domains(state, wx, &run).await?,
            "commit" => step_commit(state, wx, &run).await?,
            "privacy_scan" => step_privacy_scan(state, wx, &run).await?,
            "qrcode" => step_qrcode(state, wx, &run).await?,
            "quota" => step_quota(state, wx, &run).await?,
            "submit_audit" => step_submit(state, wx, &run).await?,
            "audit" => step_audit(state, wx, &run).await?,
            "release" => step_release(state, wx, &run).await?,
            other => {
                return Err(
                    AppError::internal(anyhow::anyhow!("unknown deploy step {other}")).into(),
                );
            }
        };
        match next {
            Next::Step(step) => {
                set_run(state, run_id, |m| m.step = Set(step.into())).await?;
            }
            Next::Wait(secs) => {
                let at = state.clock.now() + Duration::seconds(secs.max(1));
                state
                    .jobs
                    .enqueue(
                        &state.db,
                        driver_job(TenantId(run.tenant_id), run_id, Some(at)),
                    )
                    .await?;
                return Ok(());
            }
            Next::Stop => return Ok(()),
        }
    }
}

async fn set_run(
    state: &AppState,
    run: Uuid,
    change: impl FnOnce(&mut deploy_runs::ActiveModel),
) -> Result<(), sea_orm::DbErr> {
    let mut model = deploy_runs::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(run),
        updated_at: Set(state.clock.now()),
        ..Default::default()
    };
    change(&mut model);
    deploy_runs::Entity::update(model).exec(&state.db).await?;
    Ok(())
}

/// Calls an authorizer API of the run's tenant (refreshing the token once on 40001).
async fn call(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
    method: reqwest::Method,
    path: &'static str,
    body: Value,
) -> Result<Value, WxFailure> {
    with_authorizer_token(state, wx, TenantId(run.tenant_id), |token| {
        let body = body.clone();
        let method = method.clone();
        async move {
            if method == reqwest::Method::GET {
                wx.client.get(path, TokenParam::Access(&token), &[]).await
            } else {
                wx.client
                    .post(path, TokenParam::Access(&token), &body)
                    .await
            }
        }
    })
    .await
}

/// Records a step's outcome (insert or update). A `detail` of `None` keeps the stored one
/// (the snapshot an in-flight step was started from stays until the step is done);
/// `attempts` is only changed by [`count_call`].
async fn record_step(
    state: &AppState,
    run: &deploy_runs::Model,
    name: &str,
    step_status: &str,
    detail: Option<Value>,
    failure: Option<&WechatError>,
) -> Result<(), sea_orm::DbErr> {
    let now = state.clock.now();
    let finished = (step_status != "in_flight").then_some(now);
    deploy_steps::Entity::insert(deploy_steps::ActiveModel {
        id: Set(Uuid::now_v7()),
        run_id: Set(run.id),
        tenant_id: Set(run.tenant_id),
        name: Set(name.into()),
        status: Set(step_status.into()),
        attempts: Set(0),
        detail: Set(detail),
        errcode: Set(failure.and_then(WechatError::errcode)),
        error: Set(failure.map(ToString::to_string)),
        started_at: Set(now),
        finished_at: Set(finished),
    })
    .on_conflict(
        OnConflict::columns([deploy_steps::Column::RunId, deploy_steps::Column::Name])
            .update_columns([
                deploy_steps::Column::Status,
                deploy_steps::Column::Errcode,
                deploy_steps::Column::Error,
                deploy_steps::Column::FinishedAt,
            ])
            .value(
                deploy_steps::Column::Detail,
                Expr::cust("COALESCE(excluded.detail, deploy_steps.detail)"),
            )
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    Ok(())
}

/// Counts one WeChat call made for a step's operation (before it is made, so a crash
/// during the call still counts it); the step's row is created in flight if it has none.
async fn count_call(
    state: &AppState,
    run: &deploy_runs::Model,
    name: &str,
) -> Result<(), sea_orm::DbErr> {
    deploy_steps::Entity::insert(deploy_steps::ActiveModel {
        id: Set(Uuid::now_v7()),
        run_id: Set(run.id),
        tenant_id: Set(run.tenant_id),
        name: Set(name.into()),
        status: Set("in_flight".into()),
        attempts: Set(1),
        detail: Set(None),
        errcode: Set(None),
        error: Set(None),
        started_at: Set(state.clock.now()),
        finished_at: Set(None),
    })
    .on_conflict(
        OnConflict::columns([deploy_steps::Column::RunId, deploy_steps::Column::Name])
            .value(
                deploy_steps::Column::Attempts,
                sea_orm::sea_query::ExprTrait::add(
                    Expr::col((deploy_steps::Entity, deploy_steps::Column::Attempts)),
                    1,
                ),
            )
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    Ok(())
}

async fn step_row(
    state: &AppState,
    run: &deploy_runs::Model,
    name: &str,
) -> Result<Option<deploy_steps::Model>, sea_orm::DbErr> {
    deploy_steps::Entity::find()
        .filter(deploy_steps::Column::RunId.eq(run.id))
        .filter(deploy_steps::Column::Name.eq(name))
        .one(&state.db)
        .await
}

/// Carries out a WeChat-changing step exactly once. Before the first call it records what
/// WeChat shows (`snapshot`) with the step in flight; a step found in flight after a crash
/// or a lost answer is reconciled first: `reconcile` gets that snapshot and says whether
/// WeChat now shows *this run's* effect (with the detail to keep). Only a change since the
/// snapshot counts, so another run's earlier commit, audit or release is never adopted.
async fn exactly_once<S, SF, C, CF, R, RF>(
    state: &AppState,
    run: &deploy_runs::Model,
    name: &'static str,
    snapshot: S,
    mut perform: C,
    reconcile: R,
) -> Result<Value, WxFailure>
where
    S: FnOnce() -> SF,
    SF: std::future::Future<Output = Result<Value, WxFailure>>,
    C: FnMut() -> CF,
    CF: std::future::Future<Output = Result<Value, WxFailure>>,
    R: FnOnce(Value) -> RF,
    RF: std::future::Future<Output = Result<Option<Value>, WxFailure>>,
{
    let previous = step_row(state, run, name).await?;
    let before = match previous {
        Some(p) if p.status == "done" => return Ok(p.detail.unwrap_or(Value::Null)),
        Some(p)
            if p.status == "in_flight"
                && p.detail.as_ref().is_some_and(|d| d.get("before").is_some()) =>
        {
            let before = p
                .detail
                .map(|mut d| d["before"].take())
                .unwrap_or(Value::Null);
            if let Some(detail) = reconcile(before.clone()).await? {
                tracing::info!(run.id = %run.id, step = name, "in-flight step found done at WeChat");
                let detail = json!({ "reconciled": true, "answer": detail });
                record_step(state, run, name, "done", Some(detail.clone()), None).await?;
                return Ok(detail);
            }
            tracing::info!(run.id = %run.id, step = name, "in-flight step not applied at WeChat; calling again");
            before
        }
        _ => {
            let before = snapshot().await?;
            record_step(
                state,
                run,
                name,
                "in_flight",
                Some(json!({ "before": before })),
                None,
            )
            .await?;
            before
        }
    };
    count_call(state, run, name).await?;
    let answer = perform().await;
    state.faults.check("deploy.after_call")?;
    match answer {
        Ok(v) => {
            record_step(state, run, name, "done", Some(v.clone()), None).await?;
            Ok(v)
        }
        Err(WxFailure::Wechat(e)) => {
            // Transient: stays in flight (with its snapshot), to be reconciled; permanent:
            // failed.
            let (st, detail) = if e.is_transient() {
                ("in_flight", json!({ "before": before }))
            } else {
                ("failed", json!({ "before": before }))
            };
            record_step(state, run, name, st, Some(detail), Some(&e)).await?;
            Err(WxFailure::Wechat(e))
        }
        Err(other) => Err(other),
    }
}

fn strip_status(mut v: Value) -> Value {
    if let Some(map) = v.as_object_mut() {
        map.remove("errcode");
        map.remove("errmsg");
    }
    v
}

/// The server domains every mini-program gets.
fn desired_domains(state: &AppState, wx: &WechatPlatform) -> Vec<String> {
    if !wx.settings.server_domains.is_empty() {
        return wx.settings.server_domains.clone();
    }
    let base = &state.settings.client.public_base_url;
    match url::Url::parse(base) {
        Ok(u) if u.scheme() == "https" => vec![u.origin().ascii_serialization()],
        _ => Vec::new(),
    }
}

async fn step_domains(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Next, WxFailure> {
    let mut desired = desired_domains(state, wx);
    if desired.is_empty() {
        record_step(
            state,
            run,
            "domains",
            "skipped",
            Some(json!({"reason": "no https server domain configured"})),
            None,
        )
        .await?;
        return Ok(Next::Step("commit"));
    }
    desired.sort();
    count_call(state, run, "domains").await?;
    let current = call(
        state,
        wx,
        run,
        reqwest::Method::POST,
        "/wxa/modify_domain",
        json!({"action": "get"}),
    )
    .await?;
    let kinds = ["requestdomain", "uploaddomain", "downloaddomain"];
    let same = kinds.iter().all(|k| {
        let mut have: Vec<String> = current[*k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        have.sort();
        have == desired
    });
    if same {
        record_step(
            state,
            run,
            "domains",
            "skipped",
            Some(json!({"reason": "already set", "domains": desired})),
            None,
        )
        .await?;
        return Ok(Next::Step("commit"));
    }
    let mut body = json!({"action": "set"});
    for k in kinds {
        body[k] = json!(desired);
    }
    // `set` is idempotent: no in-flight bookkeeping needed.
    count_call(state, run, "domains").await?;
    let answer = call(
        state,
        wx,
        run,
        reqwest::Method::POST,
        "/wxa/modify_domain",
        body,
    )
    .await?;
    record_step(
        state,
        run,
        "domains",
        "done",
        Some(strip_status(answer)),
        None,
    )
    .await?;
    Ok(Next::Step("commit"))
}

/// Whether WeChat's view of a commit or release changed since `before`: its time or its
/// description differs.
fn changed_since(now: &Value, before: &Value, time: &str, desc: &str) -> bool {
    now[time] != before[time] || now[desc] != before[desc]
}

async fn version_info(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Value, WxFailure> {
    call(
        state,
        wx,
        run,
        reqwest::Method::POST,
        "/wxa/getversioninfo",
        json!({}),
    )
    .await
}

async fn step_commit(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Next, WxFailure> {
    let tenant_name = tenants::Entity::find_by_id(run.tenant_id)
        .one(&state.db)
        .await?
        .map(|t| t.business_name)
        .unwrap_or_default();
    let api_base = format!(
        "{}/client/v1",
        state.settings.client.public_base_url.trim_end_matches('/')
    );
    let ext_json = state
        .renderer
        .render_ext_json(&run.appid, &api_base, &tenant_name)
        .map_err(AppError::internal)?;
    let body = json!({
        "template_id": run.template_id,
        "ext_json": ext_json,
        "user_version": run.user_version,
        "user_desc": run.user_desc,
    });
    exactly_once(
        state,
        run,
        "commit",
        || async { Ok(version_info(state, wx, run).await?["exp_info"].take()) },
        || {
            call(
                state,
                wx,
                run,
                reqwest::Method::POST,
                "/wxa/commit",
                body.clone(),
            )
        },
        |before| async move {
            let info = version_info(state, wx, run).await?;
            let exp = &info["exp_info"];
            // The description carries the run's own mark (`describe`): a commit of the
            // same version by another run never matches.
            Ok(
                (exp["exp_version"].as_str() == Some(run.user_version.as_str())
                    && exp["exp_desc"].as_str() == Some(run.user_desc.as_str())
                    && changed_since(exp, &before, "exp_time", "exp_desc"))
                .then(|| exp.clone()),
            )
        },
    )
    .await?;
    Ok(Next::Step("privacy_scan"))
}

async fn step_privacy_scan(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Next, WxFailure> {
    count_call(state, run, "privacy_scan").await?;
    match call(
        state,
        wx,
        run,
        reqwest::Method::GET,
        "/wxa/security/get_code_privacy_info",
        Value::Null,
    )
    .await
    {
        Ok(answer) => {
            record_step(
                state,
                run,
                "privacy_scan",
                "done",
                Some(strip_status(answer)),
                None,
            )
            .await?;
            Ok(Next::Step("qrcode"))
        }
        Err(WxFailure::Wechat(e)) if e.errcode() == Some(61039) => {
            record_step(
                state,
                run,
                "privacy_scan",
                "in_flight",
                Some(json!({"scanning": true})),
                None,
            )
            .await?;
            Ok(Next::Wait(wx.settings.privacy_poll_secs))
        }
        Err(other) => Err(other),
    }
}

async fn step_qrcode(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Next, WxFailure> {
    count_call(state, run, "qrcode").await?;
    let image = with_authorizer_token(state, wx, TenantId(run.tenant_id), |token| async move {
        wx.client
            .get_binary(
                "/wxa/get_qrcode",
                TokenParam::Access(&token),
                &[("path", QR_PAGE)],
            )
            .await
    })
    .await?;
    let bytes = image.bytes;
    let content_type = match image.content_type.as_str() {
        "" => "image/jpeg".to_owned(),
        given => given.to_owned(),
    };
    let key =
        crate::storage::tenant_key(run.tenant_id, "deploys", &format!("{}-qrcode.jpg", run.id));
    state
        .store
        .put(&key, bytes.clone(), &content_type)
        .await
        .map_err(AppError::internal)?;
    set_run(state, run.id, |m| m.qr_key = Set(Some(key.clone()))).await?;
    record_step(
        state,
        run,
        "qrcode",
        "done",
        Some(json!({"bytes": bytes.len(), "content_type": content_type, "path": QR_PAGE})),
        None,
    )
    .await?;
    Ok(Next::Step("quota"))
}

/// `queryquota`: the platform-wide monthly audit quota left.
pub async fn audit_quota_rest(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<i64, WxFailure> {
    let answer = call(
        state,
        wx,
        run,
        reqwest::Method::GET,
        "/wxa/queryquota",
        Value::Null,
    )
    .await?;
    Ok(answer["rest"].as_i64().unwrap_or(0))
}

/// The lease that makes "check the quota, then submit" one step across all runs, so
/// concurrent runs never submit past the reserve.
const SUBMIT_LEASE: &str = "audit_submit";

async fn step_quota(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Next, WxFailure> {
    let holder = run.id.to_string();
    // Held by the run from the quota check to its submit; the run takes it again at once
    // after a restart (same holder), other runs wait at most a job lease.
    let lease_secs = state.jobs.lease().num_seconds().max(1);
    if !super::tokens::acquire_lease(state, SUBMIT_LEASE, &holder, lease_secs).await? {
        return Ok(Next::Wait(1));
    }
    count_call(state, run, "quota").await?;
    let rest = match audit_quota_rest(state, wx, run).await {
        Ok(rest) => rest,
        Err(e) => {
            super::tokens::release_lease(state, SUBMIT_LEASE, &holder).await;
            return Err(e);
        }
    };
    let reserve = wx.settings.audit_quota_reserve;
    if rest <= reserve {
        super::tokens::release_lease(state, SUBMIT_LEASE, &holder).await;
    }
    if rest <= reserve
        && let Some(rollout) = run.rollout_id
    {
        record_step(
            state,
            run,
            "quota",
            "in_flight",
            Some(json!({"rest": rest, "reserve": reserve, "paused": true})),
            None,
        )
        .await?;
        set_run(state, run.id, |m| m.status = Set(status::PAUSED.into())).await?;
        super::rollout::pause_for_quota(state, rollout, rest, reserve).await?;
        return Ok(Next::Stop);
    }
    if rest <= reserve {
        record_step(
            state,
            run,
            "quota",
            "failed",
            Some(json!({"rest": rest, "reserve": reserve})),
            None,
        )
        .await?;
        let message = format!(
            "本月审核额度只剩 {rest} 次，已达到平台保留数 {reserve}，暂不提交审核；请下月或平台增加额度后重新发布。 / Only {rest} audit submissions are left this month, at the platform's reserve of {reserve}; nothing was submitted. Deploy again next month or after the agency raises the quota."
        );
        stop_run(state, run.id, Some(85085), &message).await?;
        return Ok(Next::Stop);
    }
    record_step(
        state,
        run,
        "quota",
        "done",
        Some(json!({"rest": rest, "reserve": reserve})),
        None,
    )
    .await?;
    Ok(Next::Step("submit_audit"))
}

async fn step_submit(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Next, WxFailure> {
    let categories = call(
        state,
        wx,
        run,
        reqwest::Method::GET,
        "/wxa/get_category",
        Value::Null,
    )
    .await?;
    let pages = call(
        state,
        wx,
        run,
        reqwest::Method::GET,
        "/wxa/get_page",
        Value::Null,
    )
    .await?;
    let category = categories["category_list"]
        .get(0)
        .cloned()
        .unwrap_or(Value::Null);
    let address = pages["page_list"]
        .get(0)
        .and_then(Value::as_str)
        .unwrap_or(QR_PAGE)
        .to_owned();
    let mut item = json!({ "address": address, "tag": "商城 服务", "title": "首页" });
    for k in [
        "first_class",
        "second_class",
        "third_class",
        "first_id",
        "second_id",
        "third_id",
    ] {
        if !category[k].is_null() {
            item[k] = category[k].clone();
        }
    }
    let body = json!({ "item_list": [item], "version_desc": run.user_desc });
    let answer = exactly_once(
        state,
        run,
        "submit_audit",
        || async {
            let latest = latest_audit(state, wx, run).await?;
            Ok(json!({ "auditid": latest["auditid"] }))
        },
        || {
            call(
                state,
                wx,
                run,
                reqwest::Method::POST,
                "/wxa/submit_audit",
                body.clone(),
            )
        },
        |before| async move {
            let latest = latest_audit(state, wx, run).await?;
            let Some(auditid) = latest["auditid"].as_i64() else {
                return Ok(None);
            };
            let ours = latest["user_version"].as_str() == Some(run.user_version.as_str())
                && before["auditid"].as_i64() != Some(auditid)
                && !audit_of_another_run(state, run, auditid).await?;
            Ok(ours.then(|| strip_status(latest)))
        },
    )
    .await;
    // Submitted (or permanently refused): the next run may check the quota. A transient
    // failure keeps the lease until this run's retry or the lease's expiry.
    if !matches!(&answer, Err(WxFailure::Wechat(e)) if e.is_transient()) {
        super::tokens::release_lease(state, SUBMIT_LEASE, &run.id.to_string()).await;
    }
    let answer = answer?;
    let auditid = answer["auditid"]
        .as_i64()
        .or_else(|| answer["answer"]["auditid"].as_i64())
        .ok_or_else(|| WxFailure::Wechat(WechatError::Decode("`auditid` missing".into())))?;
    set_run(state, run.id, |m| {
        m.auditid = Set(Some(auditid));
        m.status = Set(status::WAITING_AUDIT.into());
        m.step = Set("audit".into());
    })
    .await?;
    audit_run(
        state,
        run,
        "deploy.submitted",
        json!({ "auditid": auditid }),
    )
    .await?;
    Ok(Next::Wait(wx.settings.audit_poll_secs))
}

/// `get_latest_auditstatus`, with "no audit yet" (85058) as `{}`.
async fn latest_audit(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Value, WxFailure> {
    match call(
        state,
        wx,
        run,
        reqwest::Method::GET,
        "/wxa/get_latest_auditstatus",
        Value::Null,
    )
    .await
    {
        Err(WxFailure::Wechat(e)) if e.errcode() == Some(85058) => Ok(json!({})),
        other => other,
    }
}

/// Whether another run of the tenant already owns `auditid`.
async fn audit_of_another_run(
    state: &AppState,
    run: &deploy_runs::Model,
    auditid: i64,
) -> Result<bool, sea_orm::DbErr> {
    Ok(deploy_runs::Entity::find()
        .filter(deploy_runs::Column::TenantId.eq(run.tenant_id))
        .filter(deploy_runs::Column::Auditid.eq(auditid))
        .filter(deploy_runs::Column::Id.ne(run.id))
        .one(&state.db)
        .await?
        .is_some())
}

async fn step_audit(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Next, WxFailure> {
    let auditid = run.auditid.unwrap_or_default();
    // The push carries no auditid: confirm with the latest audit when it is ours, and ask
    // for our audit by id otherwise (a newer submission from elsewhere).
    count_call(state, run, "audit").await?;
    let latest = call(
        state,
        wx,
        run,
        reqwest::Method::GET,
        "/wxa/get_latest_auditstatus",
        Value::Null,
    )
    .await?;
    let answer = if latest["auditid"].as_i64() == Some(auditid) {
        latest
    } else {
        count_call(state, run, "audit").await?;
        call(
            state,
            wx,
            run,
            reqwest::Method::POST,
            "/wxa/get_auditstatus",
            json!({ "auditid": auditid }),
        )
        .await?
    };
    let reason = answer["reason"]
        .as_str()
        .map(crate::wechat::errors::audit_reason_text)
        .filter(|r| !r.is_empty());
    match answer["status"].as_i64() {
        Some(0) => {
            record_step(
                state,
                run,
                "audit",
                "done",
                Some(strip_status(answer)),
                None,
            )
            .await?;
            audit_run(
                state,
                run,
                "deploy.audit_passed",
                json!({ "auditid": auditid }),
            )
            .await?;
            if run.auto_release {
                set_run(state, run.id, |m| m.status = Set(status::RUNNING.into())).await?;
                Ok(Next::Step("release"))
            } else {
                set_run(state, run.id, |m| {
                    m.status = Set(status::AWAITING_RELEASE.into())
                })
                .await?;
                Ok(Next::Stop)
            }
        }
        Some(1) => {
            record_step(
                state,
                run,
                "audit",
                "failed",
                Some(strip_status(answer)),
                None,
            )
            .await?;
            let reason = reason.unwrap_or_else(|| "未说明原因 / no reason given".into());
            set_run(state, run.id, |m| {
                m.audit_reason = Set(Some(reason.clone()))
            })
            .await?;
            stop_run(
                state,
                run.id,
                None,
                &format!("审核未通过：{reason} / The audit was rejected: {reason}"),
            )
            .await?;
            notify(
                state,
                run,
                crate::domain::notice::NoticeKind::AuditRejected,
                json!({ "appid": run.appid, "user_version": run.user_version, "reason": reason }),
            )
            .await?;
            Ok(Next::Stop)
        }
        Some(3) => {
            record_step(
                state,
                run,
                "audit",
                "done",
                Some(strip_status(answer)),
                None,
            )
            .await?;
            finish(state, run, status::WITHDRAWN).await?;
            Ok(Next::Stop)
        }
        Some(4) => {
            record_step(
                state,
                run,
                "audit",
                "in_flight",
                Some(strip_status(answer)),
                None,
            )
            .await?;
            set_run(state, run.id, |m| m.audit_reason = Set(reason)).await?;
            Ok(Next::Wait(wx.settings.audit_poll_secs))
        }
        _ => {
            record_step(
                state,
                run,
                "audit",
                "in_flight",
                Some(strip_status(answer)),
                None,
            )
            .await?;
            Ok(Next::Wait(wx.settings.audit_poll_secs))
        }
    }
}

async fn step_release(
    state: &AppState,
    wx: &WechatPlatform,
    run: &deploy_runs::Model,
) -> Result<Next, WxFailure> {
    let released = exactly_once(
        state,
        run,
        "release",
        || async { Ok(version_info(state, wx, run).await?["release_info"].take()) },
        || async {
            match call(
                state,
                wx,
                run,
                reqwest::Method::POST,
                "/wxa/release",
                json!({}),
            )
            .await
            {
                // Already released counts as done (a lost answer, or a second click).
                Err(WxFailure::Wechat(e)) if e.errcode() == Some(85052) => {
                    Ok(json!({"already_released": true}))
                }
                other => other,
            }
        },
        |before| async move {
            let info = version_info(state, wx, run).await?;
            let live = &info["release_info"];
            Ok(
                (live["release_version"].as_str() == Some(run.user_version.as_str())
                    && live["release_desc"].as_str() == Some(run.user_desc.as_str())
                    && changed_since(live, &before, "release_time", "release_desc"))
                .then(|| live.clone()),
            )
        },
    )
    .await;
    released?;
    let info = version_info(state, wx, run).await?;
    finish(state, run, status::RELEASED).await?;
    audit_run(
        state,
        run,
        "deploy.released",
        json!({ "release_info": info["release_info"] }),
    )
    .await?;
    notify(
        state,
        run,
        crate::domain::notice::NoticeKind::ReleaseCompleted,
        json!({ "appid": run.appid, "user_version": run.user_version }),
    )
    .await?;
    Ok(Next::Stop)
}

/// Tells the tenant and its account manager about the run, once per run and kind. The
/// notice and its delivery job are stored together or not at all.
async fn notify(
    state: &AppState,
    run: &deploy_runs::Model,
    kind: crate::domain::notice::NoticeKind,
    data: Value,
) -> AppResult<()> {
    let txn = crate::db::begin_write(&state.db).await?;
    crate::services::notifications::create(
        &txn,
        state,
        crate::services::notifications::NewNotice {
            kind,
            tenant: Some(TenantId(run.tenant_id)),
            audience: crate::domain::notice::Audience::TenantAndManager,
            plan_id: None,
            data,
            dedup_key: Some(format!("{}:{}", kind.as_str(), run.id)),
            created_by: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn finish(
    state: &AppState,
    run: &deploy_runs::Model,
    final_status: &str,
) -> Result<(), sea_orm::DbErr> {
    let now = state.clock.now();
    set_run(state, run.id, |m| {
        m.status = Set(final_status.into());
        m.finished_at = Set(Some(now));
        m.gray_percentage = Set(None);
    })
    .await
}

async fn stop_run(
    state: &AppState,
    run_id: Uuid,
    errcode: Option<i64>,
    message: &str,
) -> Result<(), sea_orm::DbErr> {
    let now = state.clock.now();
    set_run(state, run_id, |m| {
        m.status = Set(status::FAILED.into());
        m.errcode = Set(errcode);
        m.error_message = Set(Some(message.to_owned()));
        m.finished_at = Set(Some(now));
    })
    .await?;
    if let Some(run) = deploy_runs::Entity::find_by_id(run_id)
        .one(&state.db)
        .await?
    {
        audit_run(
            state,
            &run,
            "deploy.failed",
            json!({ "errcode": errcode, "message": message }),
        )
        .await?;
    }
    Ok(())
}

/// Stops the run for a WeChat error with its errcode and the plain message.
async fn fail_run(state: &AppState, run_id: Uuid, e: &WechatError) -> Result<(), sea_orm::DbErr> {
    let message = match e.errcode() {
        Some(code) => {
            let m = merchant_message(code);
            format!("{}（错误码 {code}） / {} (errcode {code})", m.zh, m.en)
        }
        None => format!("调用微信失败，已多次重试 / Calling WeChat kept failing: {e}"),
    };
    tracing::warn!(run.id = %run_id, error = %e, "deploy run stopped");
    // The step that failed keeps its row, with WeChat's answer, whichever step it was.
    if let Some(run) = deploy_runs::Entity::find_by_id(run_id)
        .one(&state.db)
        .await?
    {
        record_step(state, &run, &run.step, "failed", None, Some(e)).await?;
    }
    stop_run(state, run_id, e.errcode(), &message).await
}

async fn audit_run(
    state: &AppState,
    run: &deploy_runs::Model,
    action: &'static str,
    summary: Value,
) -> Result<(), sea_orm::DbErr> {
    let mut summary = summary;
    summary["run_id"] = json!(run.id);
    summary["appid"] = json!(run.appid);
    audit::record(
        &state.db,
        state.clock.now(),
        AuditRecord {
            actor: Actor::system(),
            tenant_id: Some(TenantId(run.tenant_id)),
            action,
            subject_type: "deploy_run",
            subject_id: Some(run.id.to_string()),
            summary,
            request_id: None,
        },
    )
    .await?;
    Ok(())
}

// ------------------------------------------------------ merchant actions on a run

/// A release request.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReleaseInput {
    /// Release to this percentage of users first (1–100, gray release); raising it later
    /// is another call with a higher value. Without it the release is full.
    pub gray_percentage: Option<i32>,
}

/// The platform and the tenant's run, if the run is in one of `statuses` (409 otherwise).
async fn run_in(
    state: &AppState,
    tenant: TenantId,
    id: Uuid,
    statuses: &[&str],
) -> AppResult<(std::sync::Arc<WechatPlatform>, deploy_runs::Model)> {
    let wx = platform(state)?;
    let run = find_run(state, tenant, id).await?;
    if !statuses.contains(&run.status.as_str()) {
        return Err(not_now(&run));
    }
    Ok((wx, run))
}

fn not_now(run: &deploy_runs::Model) -> AppError {
    AppError::new(ErrorCode::InvalidTransition)
        .with_details(json!({ "status": run.status, "step": run.step }))
}

async fn user_audit(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    run: &deploy_runs::Model,
    action: &'static str,
    summary: Value,
) -> AppResult<()> {
    audit::record(
        &state.db,
        state.clock.now(),
        AuditRecord {
            actor: user.actor(),
            tenant_id: Some(TenantId(run.tenant_id)),
            action,
            subject_type: "deploy_run",
            subject_id: Some(run.id.to_string()),
            summary,
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    Ok(())
}

/// Releases an approved run (full, or gray with a percentage).
pub async fn release(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    id: Uuid,
    input: ReleaseInput,
) -> AppResult<RunView> {
    let (wx, run) = run_in(state, tenant, id, &[status::AWAITING_RELEASE, status::GRAY]).await?;
    match input.gray_percentage {
        Some(pct) => {
            if !(1..=100).contains(&pct) {
                return Err(AppError::invalid_field(
                    "gray_percentage",
                    Localized::new("须为 1–100", "must be 1–100"),
                ));
            }
            // WeChat only lets a gray release grow (85082): say so before calling it.
            if let Some(current) = run.gray_percentage.filter(|c| pct <= *c) {
                return Err(AppError::invalid_field(
                    "gray_percentage",
                    Localized::new(
                        format!("须大于当前的 {current}%"),
                        format!("must be above the current {current}%"),
                    ),
                ));
            }
            call(
                state,
                &wx,
                &run,
                reqwest::Method::POST,
                "/wxa/grayrelease",
                json!({ "gray_percentage": pct }),
            )
            .await
            .map_err(AppError::from)?;
            set_run(state, run.id, |m| {
                m.status = Set(status::GRAY.into());
                m.gray_percentage = Set(Some(pct));
            })
            .await?;
            user_audit(
                state,
                user,
                meta,
                &run,
                "deploy.gray_released",
                json!({ "gray_percentage": pct }),
            )
            .await?;
        }
        None => {
            let txn = crate::db::begin_write(&state.db).await?;
            deploy_runs::Entity::update_many()
                .col_expr(deploy_runs::Column::Status, Expr::value(status::RUNNING))
                .col_expr(deploy_runs::Column::Step, Expr::value("release"))
                .col_expr(
                    deploy_runs::Column::UpdatedAt,
                    Expr::value(state.clock.now()),
                )
                .filter(deploy_runs::Column::Id.eq(run.id))
                .exec(&txn)
                .await?;
            wake(&txn, state, &run).await?;
            txn.commit().await?;
            user_audit(
                state,
                user,
                meta,
                &run,
                "deploy.release_requested",
                json!({}),
            )
            .await?;
        }
    }
    view(state, tenant, id).await
}

/// Loads the run in one of `allowed` statuses and makes WeChat's parameterless GET `path`
/// for its mini-program (the merchant actions that need no body).
async fn get_on_run(
    state: &AppState,
    tenant: TenantId,
    id: Uuid,
    allowed: &[&str],
    path: &'static str,
) -> AppResult<deploy_runs::Model> {
    let (wx, run) = run_in(state, tenant, id, allowed).await?;
    call(state, &wx, &run, reqwest::Method::GET, path, Value::Null)
        .await
        .map_err(AppError::from)?;
    Ok(run)
}

/// Stops a gray release (back to awaiting release).
pub async fn revert_gray(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    id: Uuid,
) -> AppResult<RunView> {
    let run = get_on_run(state, tenant, id, &[status::GRAY], "/wxa/revertgrayrelease").await?;
    set_run(state, run.id, |m| {
        m.status = Set(status::AWAITING_RELEASE.into());
        m.gray_percentage = Set(None);
    })
    .await?;
    user_audit(state, user, meta, &run, "deploy.gray_reverted", json!({})).await?;
    view(state, tenant, id).await
}

/// Withdraws the run's audit (WeChat allows 5 a day, 10 a month).
pub async fn undo_audit(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    id: Uuid,
) -> AppResult<RunView> {
    let run = get_on_run(
        state,
        tenant,
        id,
        &[status::WAITING_AUDIT],
        "/wxa/undocodeaudit",
    )
    .await?;
    finish(state, &run, status::WITHDRAWN).await?;
    user_audit(
        state,
        user,
        meta,
        &run,
        "deploy.audit_withdrawn",
        json!({ "auditid": run.auditid }),
    )
    .await?;
    view(state, tenant, id).await
}

/// Rolls the mini-program back to the previous release.
pub async fn rollback(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
) -> AppResult<Value> {
    let wx = platform(state)?;
    let binding = wechat_bindings::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?;
    deployable_appid(binding.as_ref())?;
    let latest = deploy_runs::Entity::find()
        .filter(deploy_runs::Column::TenantId.eq(tenant.0))
        .order_by_desc(deploy_runs::Column::CreatedAt)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    call(
        state,
        &wx,
        &latest,
        reqwest::Method::GET,
        "/wxa/revertcoderelease",
        Value::Null,
    )
    .await
    .map_err(AppError::from)?;
    let info = version_info(state, &wx, &latest)
        .await
        .map_err(AppError::from)?;
    let info = strip_status(info);
    audit::record(
        &state.db,
        state.clock.now(),
        AuditRecord {
            actor: user.actor(),
            tenant_id: Some(tenant),
            action: "deploy.rolled_back",
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary: json!({ "appid": latest.appid, "now_online": info["release_info"] }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    Ok(info)
}
