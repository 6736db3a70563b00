//! In-system notices: a notice is rendered once and stored with a dedup key in the caller's
//! transaction (outbox); the `notification.deliver` job resolves its recipients and puts it
//! into their inboxes. Inboxes are read and marked read by their owner only.

use crate::domain::ids::{TenantId, UserId};
use crate::domain::notice::{Audience, NoticeKind};
use crate::domain::role::Role;
use crate::domain::tenant::TenantStatus;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use entity::{notification_deliveries, notifications, plan_versions, tenants, users};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// Job kind that fills the inboxes of one notice.
pub const DELIVER_JOB: &str = "notification.deliver";

/// Pause point: the recipients are known, nothing is written yet (purge race tests).
pub const DELIVER_BEFORE_WRITE: &str = "notification.deliver.before_write";

/// A notice to create.
#[derive(Clone, Debug)]
pub struct NewNotice {
    /// What it is.
    pub kind: NoticeKind,
    /// The tenant it concerns (its inbox rows are purged with the tenant).
    pub tenant: Option<TenantId>,
    /// Who receives it.
    pub audience: Audience,
    /// With [`Audience::AllTenants`]: only this plan's tenants.
    pub plan_id: Option<Uuid>,
    /// The template's facts (also kept with the notice).
    pub data: Value,
    /// A notice with the same key is created once, ever.
    pub dedup_key: Option<String>,
    /// The account that wrote it (broadcasts).
    pub created_by: Option<UserId>,
}

/// Whether a notice with `key` exists (to skip building one that would be dropped).
pub async fn dedup_key_taken(conn: &impl ConnectionTrait, key: &str) -> AppResult<bool> {
    Ok(notifications::Entity::find()
        .filter(notifications::Column::DedupKey.eq(key))
        .count(conn)
        .await?
        > 0)
}

/// Renders and stores `notice` on `conn` (the caller's transaction) and enqueues its
/// delivery. Returns the id, or `None` when its dedup key was used before.
pub async fn create(
    conn: &impl ConnectionTrait,
    state: &AppState,
    notice: NewNotice,
) -> AppResult<Option<Uuid>> {
    let rendered = state
        .notices
        .render(notice.kind, &notice.data)
        .map_err(AppError::internal)?;
    let id = Uuid::now_v7();
    let inserted = notifications::Entity::insert(notifications::ActiveModel {
        id: Set(id),
        tenant_id: Set(notice.tenant.map(|t| t.0)),
        kind: Set(notice.kind.as_str().into()),
        audience: Set(notice.audience.as_str().into()),
        plan_id: Set(notice.plan_id),
        title: Set(rendered.title),
        body: Set(rendered.body),
        data: Set(notice.data),
        dedup_key: Set(notice.dedup_key),
        status: Set("pending".into()),
        recipients: Set(None),
        created_at: Set(state.clock.now()),
        created_by: Set(notice.created_by.map(|u| u.0)),
        delivered_at: Set(None),
    })
    .on_conflict(
        OnConflict::column(notifications::Column::DedupKey)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    if inserted == 0 {
        return Ok(None);
    }
    let mut job = NewJob::new(DELIVER_JOB, serde_json::json!({ "notification_id": id }))
        .dedup_key(format!("{DELIVER_JOB}:{id}"));
    if let Some(t) = notice.tenant {
        job = job.tenant(t);
    }
    state.jobs.enqueue(conn, job).await?;
    Ok(Some(id))
}

/// The accounts a notice goes to: enabled accounts only.
async fn recipients(
    conn: &impl ConnectionTrait,
    row: &notifications::Model,
) -> AppResult<Vec<(Uuid, Option<Uuid>)>> {
    let audience: Audience = row
        .audience
        .parse()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    let enabled = users::Column::DisabledAt.is_null();
    let manager_of = |tenant: Option<Uuid>| async move {
        let Some(t) = tenant else {
            return Ok::<_, AppError>(None);
        };
        Ok(tenants::Entity::find_by_id(t)
            .one(conn)
            .await?
            .and_then(|t| t.account_manager_id))
    };
    let condition = match audience {
        Audience::TenantAndManager => {
            let Some(tenant) = row.tenant_id else {
                return Ok(Vec::new());
            };
            let mut c = Condition::any().add(users::Column::TenantId.eq(tenant));
            if let Some(m) = manager_of(Some(tenant)).await? {
                c = c.add(users::Column::Id.eq(m));
            }
            c
        }
        Audience::ManagerAndAdmins => {
            let about = row
                .data
                .get("tenant_id")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok());
            let mut c = Condition::any().add(users::Column::Role.eq(Role::AgencyAdmin.as_str()));
            if let Some(m) = manager_of(about).await? {
                c = c.add(users::Column::Id.eq(m));
            }
            c
        }
        Audience::AgencyAdmins => {
            Condition::all().add(users::Column::Role.eq(Role::AgencyAdmin.as_str()))
        }
        Audience::Manager => match manager_of(row.tenant_id).await? {
            Some(m) => Condition::all().add(users::Column::Id.eq(m)),
            None => return Ok(Vec::new()),
        },
        Audience::AllTenants => {
            let mut tenant_query = tenants::Entity::find()
                .select_only()
                .column(tenants::Column::Id)
                .filter(tenants::Column::Status.ne(TenantStatus::Deleted.as_str()));
            if let Some(plan) = row.plan_id {
                let versions: Vec<Uuid> = plan_versions::Entity::find()
                    .filter(plan_versions::Column::PlanId.eq(plan))
                    .all(conn)
                    .await?
                    .into_iter()
                    .map(|v| v.id)
                    .collect();
                tenant_query = tenant_query.filter(tenants::Column::PlanVersionId.is_in(versions));
            }
            let ids: Vec<Uuid> = tenant_query.into_tuple().all(conn).await?;
            Condition::all().add(users::Column::TenantId.is_in(ids))
        }
    };
    let rows = users::Entity::find()
        .filter(condition)
        .filter(enabled)
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|u| (u.id, u.tenant_id)).collect())
}

/// Fills the inboxes of notice `id`; idempotent (one inbox row per account).
pub async fn deliver(state: &AppState, id: Uuid) -> AppResult<usize> {
    let Some(row) = notifications::Entity::find_by_id(id).one(&state.db).await? else {
        // Purged with its tenant before delivery: nothing to do.
        return Ok(0);
    };
    let first_look = recipients(&state.db, &row).await?;
    state.faults.pause(DELIVER_BEFORE_WRITE).await;
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    // The purge deletes a tenant's accounts and inboxes under the tenant's row lock: hold
    // that lock for every tenant among the recipients, read them again, and leave out
    // tenants that are gone — nothing of a purged tenant is written after its purge.
    let mut tenants: std::collections::HashSet<Uuid> = first_look
        .iter()
        .filter_map(|(_, t)| *t)
        .chain(row.tenant_id)
        .collect();
    let mut live = crate::services::tenant_state::lock_live(&txn, tenants.iter().copied()).await?;
    if notifications::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Ok(0); // purged with its tenant meanwhile
    }
    let mut to = recipients(&txn, &row).await?;
    let newcomers: Vec<Uuid> = to
        .iter()
        .filter_map(|(_, t)| *t)
        .filter(|t| tenants.insert(*t))
        .collect();
    live.extend(crate::services::tenant_state::lock_live(&txn, newcomers).await?);
    to.retain(|(_, tenant)| tenant.is_none_or(|t| live.contains(&t)));
    for chunk in to.chunks(500) {
        notification_deliveries::Entity::insert_many(chunk.iter().map(|(user, tenant)| {
            notification_deliveries::ActiveModel {
                id: Set(Uuid::now_v7()),
                notification_id: Set(id),
                user_id: Set(*user),
                tenant_id: Set(*tenant),
                read_at: Set(None),
                created_at: Set(row.created_at),
            }
        }))
        .on_conflict(
            OnConflict::columns([
                notification_deliveries::Column::NotificationId,
                notification_deliveries::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    notifications::Entity::update_many()
        .col_expr(notifications::Column::Status, Expr::value("delivered"))
        .col_expr(
            notifications::Column::Recipients,
            Expr::value(to.len() as i32),
        )
        .col_expr(notifications::Column::DeliveredAt, Expr::value(Some(now)))
        .filter(notifications::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    // The SMS form, for the kinds that go by SMS too (once per notice).
    crate::services::sms::send::send_notice(state, &row).await?;
    Ok(to.len())
}

/// Runs [`DELIVER_JOB`].
pub struct DeliverNoticeHandler;

impl JobHandler for DeliverNoticeHandler {
    fn kind(&self) -> &'static str {
        DELIVER_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let id = job.payload_uuid("notification_id")?;
            deliver(state, id)
                .await
                .map_err(|e| JobError::Retry(anyhow::anyhow!("{e}")))?;
            Ok(())
        })
    }
}

/// One notice in an inbox.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InboxItem {
    /// The inbox entry's id (mark it read with this).
    pub id: Uuid,
    /// The notice's kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// The facts the text was rendered from.
    #[schema(value_type = Object)]
    pub data: Value,
    /// The tenant it concerns.
    pub tenant_id: Option<Uuid>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When the account read it.
    pub read_at: Option<DateTime<Utc>>,
}

/// A page of the inbox, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InboxPage {
    /// Items.
    pub items: Vec<InboxItem>,
    /// Unread entries in the whole inbox.
    pub unread: u64,
    /// Pass as `cursor` for the next (older) page.
    pub next_cursor: Option<Uuid>,
}

/// Inbox query.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Only unread entries.
    #[serde(default)]
    pub unread: bool,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<Uuid>,
}

/// Unread entries of `user`.
pub async fn unread_count(state: &AppState, user: UserId) -> AppResult<u64> {
    Ok(notification_deliveries::Entity::find()
        .filter(notification_deliveries::Column::UserId.eq(user.0))
        .filter(notification_deliveries::Column::ReadAt.is_null())
        .count(&state.db)
        .await?)
}

/// The inbox of `user`.
pub async fn inbox(state: &AppState, user: UserId, query: InboxQuery) -> AppResult<InboxPage> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid_field(
            "limit",
            Localized::new("须为 1–100", "must be 1–100"),
        ));
    }
    let mut find = notification_deliveries::Entity::find()
        .filter(notification_deliveries::Column::UserId.eq(user.0));
    if query.unread {
        find = find.filter(notification_deliveries::Column::ReadAt.is_null());
    }
    if let Some(c) = query.cursor {
        find = find.filter(notification_deliveries::Column::Id.lt(c));
    }
    let mut entries = find
        .order_by_desc(notification_deliveries::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let next_cursor = if entries.len() as u64 > limit {
        entries.truncate(limit as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let notices: std::collections::HashMap<Uuid, notifications::Model> =
        notifications::Entity::find()
            .filter(notifications::Column::Id.is_in(entries.iter().map(|e| e.notification_id)))
            .all(&state.db)
            .await?
            .into_iter()
            .map(|n| (n.id, n))
            .collect();
    let items = entries
        .into_iter()
        .filter_map(|e| {
            let n = notices.get(&e.notification_id)?;
            Some(InboxItem {
                id: e.id,
                kind: n.kind.clone(),
                title: n.title.clone(),
                body: n.body.clone(),
                data: n.data.clone(),
                tenant_id: n.tenant_id,
                created_at: n.created_at,
                read_at: e.read_at,
            })
        })
        .collect();
    Ok(InboxPage {
        items,
        unread: unread_count(state, user).await?,
        next_cursor,
    })
}

/// Marks one entry (or, with `None`, every entry) of `user`'s inbox read. Idempotent; an
/// entry of another account is 404.
pub async fn mark_read(state: &AppState, user: UserId, entry: Option<Uuid>) -> AppResult<u64> {
    let mut update = notification_deliveries::Entity::update_many()
        .col_expr(
            notification_deliveries::Column::ReadAt,
            Expr::value(Some(state.clock.now())),
        )
        .filter(notification_deliveries::Column::UserId.eq(user.0))
        .filter(notification_deliveries::Column::ReadAt.is_null());
    if let Some(id) = entry {
        let exists = notification_deliveries::Entity::find_by_id(id)
            .filter(notification_deliveries::Column::UserId.eq(user.0))
            .count(&state.db)
            .await?;
        if exists == 0 {
            return Err(AppError::new(ErrorCode::NotFound));
        }
        update = update.filter(notification_deliveries::Column::Id.eq(id));
    }
    Ok(update.exec(&state.db).await?.rows_affected)
}

/// An agency admin's message.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "春节期间客服安排", "text": "春节期间（2月15日至2月23日）客服照常在线，如有问题请联系您的客户经理。"}))]
pub struct BroadcastInput {
    /// One line, 1–100 characters.
    #[schema(value_type = crate::domain::text::OneLineTitle)]
    pub title: String,
    /// 1–5,000 characters.
    #[schema(value_type = crate::domain::text::NoticeText)]
    pub text: String,
    /// Only this plan's tenants; all tenants when absent.
    pub plan_id: Option<Uuid>,
}

/// A created broadcast.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BroadcastCreated {
    /// The notice; inboxes are filled by a job within seconds.
    pub notification_id: Uuid,
}

/// Sends a broadcast to every tenant's (or one plan's tenants') merchant accounts. Audited.
pub async fn broadcast(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    input: BroadcastInput,
) -> AppResult<BroadcastCreated> {
    let title = input.title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 100 || title.contains('\n') {
        return Err(AppError::invalid_field(
            "title",
            Localized::new(
                "须为 1–100 个字符的一行",
                "must be one line of 1–100 characters",
            ),
        ));
    }
    let text = input.text.trim().to_owned();
    if text.is_empty() || text.chars().count() > 5000 {
        return Err(AppError::invalid_field(
            "text",
            Localized::new("须为 1–5000 个字符", "must be 1–5,000 characters"),
        ));
    }
    let txn = crate::db::begin_write(&state.db).await?;
    if let Some(plan) = input.plan_id
        && entity::plans::Entity::find_by_id(plan)
            .one(&txn)
            .await?
            .is_none()
    {
        return Err(AppError::invalid_field(
            "plan_id",
            Localized::new("套餐不存在", "no such plan"),
        ));
    }
    let id = create(
        &txn,
        state,
        NewNotice {
            kind: NoticeKind::Broadcast,
            tenant: None,
            audience: Audience::AllTenants,
            plan_id: input.plan_id,
            data: serde_json::json!({ "title": title, "text": text }),
            dedup_key: None,
            created_by: Some(actor.id),
        },
    )
    .await?
    .ok_or_else(|| AppError::internal(anyhow::anyhow!("broadcast without a dedup key collided")))?;
    audit::record(
        &txn,
        state.clock.now(),
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: "notification.broadcast",
            subject_type: "notification",
            subject_id: Some(id.to_string()),
            summary: serde_json::json!({ "title": title, "plan_id": input.plan_id }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(BroadcastCreated {
        notification_id: id,
    })
}
