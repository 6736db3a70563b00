//! Plans: a name and a series of immutable versions (price, apps, quotas). A change of
//! terms makes a new version; tenants keep the version they signed until they renew.
//! Plans can be retired (no new sales) and deleted only while no contract uses them.

use crate::db;
use crate::domain::apps;
use crate::domain::contact::parse_name;
use crate::domain::contract::MAX_FEN;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use entity::{contracts, plan_versions, plans, tenants};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Most pages a plan may allow.
pub const MAX_PAGE_QUOTA: i64 = 10_000;
/// Most asset storage a plan may allow: 1 TiB.
pub const MAX_STORAGE_QUOTA_BYTES: i64 = 1 << 40;
/// Most client requests per second a plan may allow.
pub const MAX_CLIENT_RPS: i64 = 100_000;
/// Most SMS segments a year a plan may include.
pub const MAX_SMS_SEGMENTS_PER_YEAR: i64 = 100_000_000;
/// Highest price of an SMS segment beyond the pack: ¥10.00.
pub const MAX_SMS_OVERAGE_MILLIFEN: i64 = 1_000_000;

/// The terms of one plan version.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanTerms {
    /// Feature modules included (`pages`, `media`, `store`, `sms`).
    #[schema(value_type = std::collections::BTreeSet<crate::domain::apps::AppName>, example = json!(["pages", "media", "store"]), min_items = 1)]
    pub apps: Vec<String>,
    /// Most pages a tenant may have.
    #[schema(example = 50, minimum = 1, maximum = 10_000)]
    pub page_quota: i32,
    /// Most bytes of uploaded assets.
    #[schema(
        example = 1_073_741_824i64,
        minimum = 0,
        maximum = 1_099_511_627_776i64
    )]
    pub storage_quota_bytes: i64,
    /// Client API requests per second (whole service, all instances).
    #[schema(example = 50, minimum = 1, maximum = 100_000)]
    pub client_rps: i32,
    /// SMS segments included per natural year.
    #[schema(example = 300_000, minimum = 0, maximum = 100_000_000)]
    pub sms_segments_per_year: i64,
    /// Yearly price in fen (¥2,980.00 = 298000).
    #[schema(example = 298_000, minimum = 0, maximum = 10_000_000_000i64)]
    pub yearly_price_fen: i64,
    /// Price of an SMS segment beyond the pack, in milli-fen (¥0.038 = 3800).
    #[schema(example = 3_800, minimum = 0, maximum = 1_000_000)]
    pub sms_overage_millifen: i64,
    /// Whether segments beyond the pack are sent and billed (else refused).
    pub sms_overage_allowed: bool,
}

impl PlanTerms {
    /// Checks the rules; a refused field is named under `at` (`"terms."` when the terms
    /// are nested in the request body, `""` when they are the body).
    fn validate(&self, at: &str) -> AppResult<()> {
        let field = |name: &str, zh: &str, en: &str| {
            AppError::invalid_field(
                format!("{at}{name}"),
                Localized::new(zh.to_owned(), en.to_owned()),
            )
        };
        if self.apps.is_empty() {
            return Err(field(
                "apps",
                "至少包含一个功能模块",
                "must include at least one app",
            ));
        }
        for (i, app) in self.apps.iter().enumerate() {
            if !apps::is_known(app) {
                return Err(AppError::invalid_field(
                    format!("{at}apps[{i}]"),
                    Localized::new(
                        format!("未知的功能模块 {app}"),
                        format!("unknown app `{app}`"),
                    ),
                ));
            }
            if self.apps[..i].contains(app) {
                return Err(AppError::invalid_field(
                    format!("{at}apps[{i}]"),
                    Localized::new("重复的功能模块", "is listed twice"),
                ));
            }
        }
        for (name, value, min, max) in [
            ("page_quota", i64::from(self.page_quota), 1, MAX_PAGE_QUOTA),
            (
                "storage_quota_bytes",
                self.storage_quota_bytes,
                0,
                MAX_STORAGE_QUOTA_BYTES,
            ),
            ("client_rps", i64::from(self.client_rps), 1, MAX_CLIENT_RPS),
            (
                "sms_segments_per_year",
                self.sms_segments_per_year,
                0,
                MAX_SMS_SEGMENTS_PER_YEAR,
            ),
            ("yearly_price_fen", self.yearly_price_fen, 0, MAX_FEN),
            (
                "sms_overage_millifen",
                self.sms_overage_millifen,
                0,
                MAX_SMS_OVERAGE_MILLIFEN,
            ),
        ] {
            if !(min..=max).contains(&value) {
                return Err(AppError::invalid_field(
                    format!("{at}{name}"),
                    Localized::new(
                        format!("须在 {min} 到 {max} 之间"),
                        format!("must be between {min} and {max}"),
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// One version of a plan.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlanVersionView {
    /// Version id (what contracts reference).
    pub id: Uuid,
    /// 1, 2, …
    pub version: i32,
    /// Its terms.
    #[serde(flatten)]
    pub terms: PlanTerms,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

impl From<plan_versions::Model> for PlanVersionView {
    fn from(v: plan_versions::Model) -> Self {
        Self {
            id: v.id,
            version: v.version,
            terms: PlanTerms {
                apps: serde_json::from_value(v.apps).unwrap_or_default(),
                page_quota: v.page_quota,
                storage_quota_bytes: v.storage_quota_bytes,
                client_rps: v.client_rps,
                sms_segments_per_year: v.sms_segments_per_year,
                yearly_price_fen: v.yearly_price_fen,
                sms_overage_millifen: v.sms_overage_millifen,
                sms_overage_allowed: v.sms_overage_allowed,
            },
            created_at: v.created_at,
        }
    }
}

/// A plan with its current version (and, on request, all versions).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PlanView {
    /// Plan id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Retired plans are not sold any more.
    pub retired: bool,
    /// The version new contracts get.
    pub current: PlanVersionView,
    /// Every version, oldest first (plan detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<PlanVersionView>>,
    /// Tenants on any version of this plan (plan detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_count: Option<u64>,
}

/// The latest version of `plan`.
pub async fn current_version(
    conn: &impl ConnectionTrait,
    plan: Uuid,
) -> AppResult<plan_versions::Model> {
    plan_versions::Entity::find()
        .filter(plan_versions::Column::PlanId.eq(plan))
        .order_by_desc(plan_versions::Column::Version)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))
}

fn version_model(
    plan: Uuid,
    version: i32,
    terms: &PlanTerms,
    by: &CachedUser,
    at: DateTime<Utc>,
) -> plan_versions::ActiveModel {
    plan_versions::ActiveModel {
        id: Set(Uuid::now_v7()),
        plan_id: Set(plan),
        version: Set(version),
        apps: Set(serde_json::json!(terms.apps)),
        page_quota: Set(terms.page_quota),
        storage_quota_bytes: Set(terms.storage_quota_bytes),
        client_rps: Set(terms.client_rps),
        sms_segments_per_year: Set(terms.sms_segments_per_year),
        yearly_price_fen: Set(terms.yearly_price_fen),
        sms_overage_millifen: Set(terms.sms_overage_millifen),
        sms_overage_allowed: Set(terms.sms_overage_allowed),
        created_at: Set(at),
        created_by: Set(Some(by.id.0)),
    }
}

/// Creates a plan with version 1; audited.
pub async fn create_plan(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    name: &str,
    terms: PlanTerms,
) -> AppResult<PlanView> {
    let name = parse_name(name, 100, "name")?;
    terms.validate("terms.")?;
    let now = state.clock.now();
    let id = Uuid::now_v7();
    let txn = db::begin_write(&state.db).await?;
    plans::Entity::insert(plans::ActiveModel {
        id: Set(id),
        name: Set(name.clone()),
        retired_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    plan_versions::Entity::insert(version_model(id, 1, &terms, actor, now))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: "plan.created",
            subject_type: "plan",
            subject_id: Some(id.to_string()),
            summary: serde_json::json!({ "name": name, "terms": terms }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    get_plan(state, id, false).await
}

/// Adds a version with new terms; existing tenants keep theirs until they renew. Audited.
pub async fn add_version(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    plan: Uuid,
    terms: PlanTerms,
) -> AppResult<PlanView> {
    terms.validate("")?;
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    plans::Entity::find_by_id(plan)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let current = current_version(&txn, plan).await?;
    let next = current.version + 1;
    plan_versions::Entity::insert(version_model(plan, next, &terms, actor, now))
        .exec_without_returning(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: "plan.version_created",
            subject_type: "plan",
            subject_id: Some(plan.to_string()),
            summary: serde_json::json!({
                "version": next,
                "before": PlanVersionView::from(current).terms,
                "after": terms,
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    get_plan(state, plan, true).await
}

/// Retires (no new sales) or un-retires a plan; idempotent, audited when it changes.
pub async fn set_retired(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    plan: Uuid,
    retired: bool,
) -> AppResult<PlanView> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let row = plans::Entity::find_by_id(plan)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if row.retired_at.is_some() != retired {
        plans::Entity::update_many()
            .col_expr(
                plans::Column::RetiredAt,
                Expr::value(retired.then_some(now)),
            )
            .col_expr(plans::Column::UpdatedAt, Expr::value(now))
            .filter(plans::Column::Id.eq(plan))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            now,
            AuditRecord {
                actor: actor.actor(),
                tenant_id: None,
                action: if retired {
                    "plan.retired"
                } else {
                    "plan.unretired"
                },
                subject_type: "plan",
                subject_id: Some(plan.to_string()),
                summary: serde_json::json!({ "name": row.name }),
                request_id: meta.request_id.clone(),
            },
        )
        .await?;
    }
    txn.commit().await?;
    get_plan(state, plan, false).await
}

/// Deletes a plan that no contract has ever used; otherwise 409 `in_use`. Audited.
pub async fn delete_plan(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    plan: Uuid,
) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    let row = plans::Entity::find_by_id(plan)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let versions: Vec<Uuid> = plan_versions::Entity::find()
        .filter(plan_versions::Column::PlanId.eq(plan))
        .all(&txn)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    let contracts_using = contracts::Entity::find()
        .filter(contracts::Column::PlanVersionId.is_in(versions.clone()))
        .count(&txn)
        .await?;
    let tenants_using = tenants::Entity::find()
        .filter(tenants::Column::PlanVersionId.is_in(versions))
        .count(&txn)
        .await?;
    if contracts_using > 0 || tenants_using > 0 {
        return Err(
            AppError::new(ErrorCode::InUse).with_details(serde_json::json!({
                "contracts": contracts_using,
                "tenants": tenants_using,
            })),
        );
    }
    plan_versions::Entity::delete_many()
        .filter(plan_versions::Column::PlanId.eq(plan))
        .exec(&txn)
        .await?;
    plans::Entity::delete_by_id(plan).exec(&txn).await?;
    audit::record(
        &txn,
        state.clock.now(),
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: "plan.deleted",
            subject_type: "plan",
            subject_id: Some(plan.to_string()),
            summary: serde_json::json!({ "name": row.name }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// One plan; with `detail`, every version and the tenant count.
pub async fn get_plan(state: &AppState, plan: Uuid, detail: bool) -> AppResult<PlanView> {
    let row = plans::Entity::find_by_id(plan)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let versions = plan_versions::Entity::find()
        .filter(plan_versions::Column::PlanId.eq(plan))
        .order_by_asc(plan_versions::Column::Version)
        .all(&state.db)
        .await?;
    let current = versions
        .last()
        .cloned()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("plan {plan} has no version")))?;
    let (versions, tenant_count) = if detail {
        let ids: Vec<Uuid> = versions.iter().map(|v| v.id).collect();
        let count = tenants::Entity::find()
            .filter(tenants::Column::PlanVersionId.is_in(ids))
            .filter(tenants::Column::Status.ne("deleted"))
            .count(&state.db)
            .await?;
        (
            Some(versions.into_iter().map(PlanVersionView::from).collect()),
            Some(count),
        )
    } else {
        (None, None)
    };
    Ok(PlanView {
        id: row.id,
        name: row.name,
        retired: row.retired_at.is_some(),
        current: current.into(),
        versions,
        tenant_count,
    })
}

/// Every plan (retired ones only with `include_retired`), by name.
pub async fn list_plans(state: &AppState, include_retired: bool) -> AppResult<Vec<PlanView>> {
    let mut select = plans::Entity::find().order_by_asc(plans::Column::Name);
    if !include_retired {
        select = select.filter(plans::Column::RetiredAt.is_null());
    }
    let mut out = Vec::new();
    for plan in select.all(&state.db).await? {
        out.push(get_plan(state, plan.id, false).await?);
    }
    Ok(out)
}
