//! Tenants: provisioning (one transaction), the tenant view with computed balance, the
//! filtered agency list, contact and account-manager changes with masked history, and the
//! takedown hold.

use crate::db;
use crate::domain::contact::{Email, MobilePhone, parse_appid, parse_name};
use crate::domain::ids::{TenantId, UserId};
use crate::domain::role::Role;
use crate::domain::tenant::{HoldCause, HoldKind, TenantStatus};
use crate::domain::time::shanghai_date;
use crate::domain::username::Username;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::accounts::{self, CreatedAccount, NewAccount, OneTimePassword};
use crate::services::audit::{self, AuditRecord, mask_phone};
use crate::services::contracts::{self, ContractInput, ContractView};
use crate::services::principals::CachedUser;
use crate::services::tenant_state::{self, ChangeContext, lock_snapshot};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{contact_changes, plan_versions, plans, tenant_holds, tenants, users};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Fault point just before provisioning's last insert (tests of atomicity).
pub const PROVISION_FAULT: &str = "tenant.provision.before_last_insert";

/// The merchant's designated contact.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// Contact person.
    #[schema(value_type = crate::domain::text::PersonName)]
    pub name: String,
    /// Mainland mobile number.
    #[schema(value_type = crate::domain::contact::MobilePhone)]
    pub phone: String,
    /// E-mail.
    #[schema(value_type = crate::domain::contact::Email)]
    pub email: String,
}

struct Contact {
    name: String,
    phone: MobilePhone,
    email: Email,
}

impl ContactInput {
    fn parse(&self, prefix: &str) -> AppResult<Contact> {
        Ok(Contact {
            name: parse_name(&self.name, 100, &format!("{prefix}name"))?,
            phone: MobilePhone::parse(&self.phone, &format!("{prefix}phone"))?,
            email: Email::parse(&self.email, &format!("{prefix}email"))?,
        })
    }
}

/// Everything provisioning needs.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionInput {
    /// The merchant's business name.
    #[schema(value_type = crate::domain::text::BusinessName)]
    pub business_name: String,
    /// Designated contact.
    pub contact: ContactInput,
    /// Assigned account manager; an account manager provisioning omits it (or names
    /// themself); an agency admin must name one.
    #[serde(default)]
    pub account_manager_id: Option<Uuid>,
    /// Plan sold (its current version is signed).
    pub plan_id: Uuid,
    /// Mini-program appid if already known (`wx` + 16 hex); WeChat authorization can bind
    /// it later.
    #[serde(default)]
    #[schema(pattern = "^[\\t\\n\\x0b\\x0c\\r ]*wx[0-9a-f]{16}[\\t\\n\\x0b\\x0c\\r ]*$")]
    pub appid: Option<String>,
    /// Login name of the merchant admin account created with the tenant.
    #[schema(value_type = crate::domain::username::Username)]
    pub merchant_admin_username: String,
    /// First contract.
    pub contract: ContractInput,
}

/// A hold as shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HoldView {
    /// `overdue` or `takedown`.
    pub kind: String,
    /// Why.
    pub reason: String,
    /// Since when.
    pub set_at: DateTime<Utc>,
}

/// The contact as shown (staff see the full phone number).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ContactView {
    /// Name.
    pub name: Option<String>,
    /// Phone (full).
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
}

/// The account manager as the tenant's merchants reach them.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccountManagerContact {
    /// Name.
    pub display_name: String,
    /// Mobile number, when recorded.
    pub phone: Option<String>,
    /// E-mail, when recorded.
    pub email: Option<String>,
}

impl From<&users::Model> for AccountManagerContact {
    fn from(u: &users::Model) -> Self {
        Self {
            display_name: u.display_name.clone(),
            phone: u.phone.clone(),
            email: u.email.clone(),
        }
    }
}

/// A tenant with computed facts.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TenantView {
    /// Tenant id.
    pub id: Uuid,
    /// Business name.
    pub business_name: String,
    /// `pending`, `active`, `frozen` or `deleted`.
    pub status: String,
    /// Holds.
    pub holds: Vec<HoldView>,
    /// Designated contact.
    pub contact: ContactView,
    /// Assigned account manager.
    pub account_manager_id: Option<Uuid>,
    /// Who the merchant calls: the account manager's name, phone and e-mail.
    pub account_manager: Option<AccountManagerContact>,
    /// Plan in force.
    pub plan_id: Option<Uuid>,
    /// Plan name.
    pub plan_name: Option<String>,
    /// Plan version in force.
    pub plan_version: Option<i32>,
    /// Mini-program appid.
    pub appid: Option<String>,
    /// Last day of the current term.
    pub term_end_date: Option<NaiveDate>,
    /// When it was frozen (frozen tenants).
    pub frozen_at: Option<DateTime<Utc>>,
    /// When its data will be deleted unless renewed (frozen tenants); null while the
    /// working-day calendar does not reach the end of the grace period — see
    /// `delete_after_unknown_reason`.
    pub delete_after: Option<DateTime<Utc>>,
    /// Why `delete_after` is null for a frozen tenant.
    pub delete_after_unknown_reason: Option<String>,
    /// The next thing the lifecycle will do to it, if nobody pays or renews.
    pub next_lifecycle_event: Option<LifecycleEvent>,
    /// Owed across all contracts.
    pub outstanding_fen: i64,
    /// Created at.
    pub created_at: DateTime<Utc>,
}

/// The next step of a tenant's lifecycle.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LifecycleEvent {
    /// `freeze` (the term ends), `purge` (the grace period ends) or
    /// `deletion_unscheduled` (frozen; the time is set once the calendar covers the grace
    /// period).
    pub kind: &'static str,
    /// When; null for `deletion_unscheduled`.
    pub at: Option<DateTime<Utc>>,
}

impl LifecycleEvent {
    fn of(t: &tenants::Model) -> Option<Self> {
        match t.status.as_str() {
            "active" => t.term_end_date.map(|end| LifecycleEvent {
                kind: "freeze",
                at: Some(crate::domain::lifecycle::freeze_instant(end)),
            }),
            "frozen" => Some(match t.delete_after {
                Some(at) => LifecycleEvent {
                    kind: "purge",
                    at: Some(at),
                },
                None => LifecycleEvent {
                    kind: "deletion_unscheduled",
                    at: None,
                },
            }),
            _ => None,
        }
    }
}

/// What provisioning created.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProvisionResult {
    /// The tenant (pending until the contract's activation rule is met).
    pub tenant: TenantView,
    /// The first contract.
    pub contract: ContractView,
    /// The merchant admin with its one-time password, shown only here.
    pub merchant_admin: CreatedAccount,
}

async fn resolve_account_manager(
    conn: &impl ConnectionTrait,
    actor: &CachedUser,
    requested: Option<Uuid>,
) -> AppResult<UserId> {
    let id = match (actor.role, requested) {
        (Role::AccountManager, None) => return Ok(actor.id),
        (Role::AccountManager, Some(id)) if id == actor.id.0 => return Ok(actor.id),
        (Role::AccountManager, Some(_)) => {
            return Err(
                AppError::new(ErrorCode::Forbidden).with_message(Localized::new(
                    "客户经理只能为自己开通商户。",
                    "An account manager provisions tenants for themself only.",
                )),
            );
        }
        (_, None) => {
            return Err(AppError::invalid_field(
                "account_manager_id",
                Localized::new("须指定客户经理", "is required"),
            ));
        }
        (_, Some(id)) => id,
    };
    let ok = users::Entity::find_by_id(id)
        .one(conn)
        .await?
        .is_some_and(|u| u.role == Role::AccountManager.as_str() && u.disabled_at.is_none());
    if !ok {
        return Err(AppError::invalid_field(
            "account_manager_id",
            Localized::new(
                "须为在职的客户经理账号",
                "must be an enabled account manager",
            ),
        ));
    }
    Ok(UserId(id))
}

async fn sellable_version(
    conn: &impl ConnectionTrait,
    plan_id: Uuid,
    field: &str,
) -> AppResult<(plans::Model, plan_versions::Model)> {
    let plan = plans::Entity::find_by_id(plan_id)
        .one(conn)
        .await?
        .ok_or_else(|| {
            AppError::invalid_field(field, Localized::new("套餐不存在", "no such plan"))
        })?;
    if plan.retired_at.is_some() {
        return Err(AppError::invalid_field(
            field,
            Localized::new("该套餐已停售", "the plan is retired (no new sales)"),
        ));
    }
    let version = crate::services::plans::current_version(conn, plan_id).await?;
    Ok((plan, version))
}

/// Provisions a tenant: the tenant, its first contract and its merchant admin (with a
/// one-time password returned once) in one transaction — all of it or none of it.
pub async fn provision(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    input: ProvisionInput,
) -> AppResult<ProvisionResult> {
    let business_name = parse_name(&input.business_name, 200, "business_name")?;
    let contact = input.contact.parse("contact.")?;
    let appid = input
        .appid
        .as_deref()
        .map(|a| parse_appid(a, "appid"))
        .transpose()?;
    let admin_username =
        Username::parse(&input.merchant_admin_username, "merchant_admin_username")?;
    let start = input.contract.start_date.ok_or_else(|| {
        AppError::invalid_field("contract.start_date", Localized::new("必填", "is required"))
    })?;
    if input.contract.plan_id.is_some_and(|p| p != input.plan_id) {
        return Err(AppError::invalid_field(
            "contract.plan_id",
            Localized::new("与 plan_id 不一致", "differs from plan_id"),
        ));
    }
    let otp = OneTimePassword::generate().await?;

    let txn = db::begin_write(&state.db).await?;
    let manager = resolve_account_manager(&txn, actor, input.account_manager_id).await?;
    let (plan, version) = sellable_version(&txn, input.plan_id, "plan_id").await?;
    let draft = contracts::draft_contract(
        input.contract,
        start,
        version.yearly_price_fen,
        "contract.",
        crate::domain::time::shanghai_date(state.clock.now()),
    )?;
    let historical_import = draft.historical_import();
    if let Some(appid) = &appid
        && tenants::Entity::find()
            .filter(tenants::Column::Appid.eq(appid.as_str()))
            .one(&txn)
            .await?
            .is_some()
    {
        return Err(AppError::new(ErrorCode::AlreadyExists)
            .with_details(serde_json::json!({ "field": "appid" })));
    }
    let now = state.clock.now();
    let tenant = TenantId::new();
    tenants::Entity::insert(tenants::ActiveModel {
        id: Set(tenant.0),
        business_name: Set(business_name.clone()),
        status: Set(TenantStatus::Pending.as_str().into()),
        account_manager_id: Set(Some(manager.0)),
        contact_name: Set(Some(contact.name.clone())),
        contact_phone: Set(Some(contact.phone.as_str().to_owned())),
        contact_email: Set(Some(contact.email.as_str().to_owned())),
        plan_version_id: Set(Some(version.id)),
        appid: Set(appid.clone()),
        term_end_date: Set(Some(draft.end_date())),
        status_changed_at: Set(now),
        status_cause: Set(Some("provisioned".into())),
        status_actor: Set(Some(actor.username.clone())),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&txn)
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            AppError::new(ErrorCode::AlreadyExists)
                .with_details(serde_json::json!({ "field": "appid" }))
        } else {
            e.into()
        }
    })?;
    let contract =
        contracts::insert_contract(&txn, tenant, 1, version.id, &draft, actor, now).await?;
    let merchant_admin = accounts::insert_user(
        &txn,
        state,
        NewAccount {
            username: admin_username,
            display_name: contact.name.clone(),
            role: Role::MerchantAdmin,
            tenant_id: Some(tenant),
            contact: Default::default(),
        },
        otp,
        Some(actor.id),
        "merchant_admin_username",
    )
    .await?;
    state.faults.check(PROVISION_FAULT)?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: "tenant.provisioned",
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary: serde_json::json!({
                "business_name": business_name,
                "contact": {
                    "name": contact.name,
                    "phone": mask_phone(contact.phone.as_str()),
                },
                "account_manager_id": manager,
                "plan": plan.name,
                "plan_version": version.version,
                "appid": appid,
                "contract": {
                    "historical_import": historical_import,
                    "id": contract.id,
                    "start_date": contract.start_date,
                    "end_date": contract.end_date,
                    "amount_fen": contract.amount_fen,
                    "discount_fen": contract.discount_fen,
                },
                "merchant_admin": merchant_admin.account.username,
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(ProvisionResult {
        tenant: get_tenant(state, tenant).await?,
        contract: contracts::get_contract_view(state, tenant, contract.id).await?,
        merchant_admin,
    })
}

async fn views(
    conn: &impl ConnectionTrait,
    rows: Vec<tenants::Model>,
) -> AppResult<Vec<TenantView>> {
    let ids: Vec<Uuid> = rows.iter().map(|t| t.id).collect();
    let holds = tenant_holds::Entity::find()
        .filter(tenant_holds::Column::TenantId.is_in(ids.clone()))
        .order_by_asc(tenant_holds::Column::Kind)
        .all(conn)
        .await?;
    let version_ids: Vec<Uuid> = rows.iter().filter_map(|t| t.plan_version_id).collect();
    let versions = plan_versions::Entity::find()
        .filter(plan_versions::Column::Id.is_in(version_ids))
        .all(conn)
        .await?;
    let plan_ids: Vec<Uuid> = versions.iter().map(|v| v.plan_id).collect();
    let plan_rows = plans::Entity::find()
        .filter(plans::Column::Id.is_in(plan_ids))
        .all(conn)
        .await?;
    let balances = contracts::outstanding_by_tenant(conn, &ids).await?;
    let manager_ids: Vec<Uuid> = rows.iter().filter_map(|t| t.account_manager_id).collect();
    let managers = users::Entity::find()
        .filter(users::Column::Id.is_in(manager_ids))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|t| {
            let version = t
                .plan_version_id
                .and_then(|v| versions.iter().find(|pv| pv.id == v));
            let plan = version.and_then(|v| plan_rows.iter().find(|p| p.id == v.plan_id));
            let next_lifecycle_event = LifecycleEvent::of(&t);
            let unscheduled = t.status == "frozen" && t.delete_after.is_none();
            TenantView {
                id: t.id,
                business_name: t.business_name,
                status: t.status,
                holds: holds
                    .iter()
                    .filter(|h| h.tenant_id == t.id)
                    .map(|h| HoldView {
                        kind: h.kind.clone(),
                        reason: h.reason.clone(),
                        set_at: h.set_at,
                    })
                    .collect(),
                contact: ContactView {
                    name: t.contact_name,
                    phone: t.contact_phone,
                    email: t.contact_email,
                },
                account_manager: t
                    .account_manager_id
                    .and_then(|m| managers.iter().find(|u| u.id == m))
                    .map(AccountManagerContact::from),
                account_manager_id: t.account_manager_id,
                plan_id: plan.map(|p| p.id),
                plan_name: plan.map(|p| p.name.clone()),
                plan_version: version.map(|v| v.version),
                next_lifecycle_event,
                delete_after_unknown_reason: unscheduled.then(|| {
                    "the working-day calendar does not yet cover the 10 working days after \
                         the freeze: the date is set, and announced, once the year's holiday \
                         arrangement is added"
                        .to_owned()
                }),
                frozen_at: t.frozen_at,
                delete_after: t.delete_after,
                appid: t.appid,
                term_end_date: t.term_end_date,
                outstanding_fen: balances.get(&t.id).copied().unwrap_or(0),
                created_at: t.created_at,
            }
        })
        .collect())
}

/// One tenant.
pub async fn get_tenant(state: &AppState, tenant: TenantId) -> AppResult<TenantView> {
    let row = tenants::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    Ok(views(&state.db, vec![row]).await?.remove(0))
}

/// Filters of the agency's tenant list.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TenantFilter {
    /// `pending`, `active`, `frozen` or `deleted`.
    #[param(pattern = "^(pending|active|frozen|deleted)$")]
    pub status: Option<String>,
    /// `overdue` or `takedown`.
    #[param(pattern = "^(overdue|takedown)$")]
    pub hold: Option<String>,
    /// Tenants on any version of this plan.
    pub plan_id: Option<Uuid>,
    /// Tenants of this account manager (account managers always see only their own).
    pub account_manager_id: Option<Uuid>,
    /// Term ends within this many days from today (Asia/Shanghai), 0–3650.
    #[param(minimum = 0, maximum = 3650)]
    pub ends_within_days: Option<i64>,
    /// Search: part of the business name, the merchant admin's login name or the contact's
    /// phone (1–100 characters, case-insensitive).
    #[param(value_type = Option<crate::domain::text::SearchText>, inline)]
    pub q: Option<String>,
    /// At most this many (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// `LIKE` pattern for "contains `text`", with the wildcard characters escaped.
fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The tenants a search matches: by business name, merchant admin login or contact phone.
async fn search_condition(state: &AppState, q: &str) -> AppResult<Condition> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 100 {
        return Err(AppError::invalid_field(
            "q",
            Localized::new("须为 1–100 个字符", "must be 1–100 characters"),
        ));
    }
    let pattern = contains_pattern(q);
    let like = |col: Expr| {
        sea_orm::sea_query::ExprTrait::like(
            Expr::expr(sea_orm::sea_query::Func::lower(col)),
            sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'),
        )
    };
    let by_login: Vec<Option<Uuid>> = users::Entity::find()
        .select_only()
        .column(users::Column::TenantId)
        .filter(users::Column::Role.eq(Role::MerchantAdmin.as_str()))
        .filter(like(Expr::col(users::Column::Username)))
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(Condition::any()
        .add(like(Expr::col(tenants::Column::BusinessName)))
        .add(like(Expr::col(tenants::Column::ContactPhone)))
        .add(tenants::Column::Id.is_in(by_login.into_iter().flatten())))
}

/// A page of tenants.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TenantPage {
    /// Oldest first (stable order: by id, which is time-ordered).
    pub items: Vec<TenantView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

/// The filtered list; an account manager sees only assigned tenants.
pub async fn list_tenants(
    state: &AppState,
    viewer: &CachedUser,
    filter: TenantFilter,
) -> AppResult<TenantPage> {
    let limit = filter.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid_field(
            "limit",
            Localized::new("须在 1 到 200 之间", "must be between 1 and 200"),
        ));
    }
    let mut cond = Condition::all();
    if let Some(status) = &filter.status {
        status.parse::<TenantStatus>().map_err(|_| {
            AppError::invalid_field("status", Localized::new("未知的状态", "unknown status"))
        })?;
        cond = cond.add(tenants::Column::Status.eq(status.as_str()));
    }
    if let Some(hold) = &filter.hold {
        hold.parse::<HoldKind>().map_err(|_| {
            AppError::invalid_field("hold", Localized::new("未知的暂停类型", "unknown hold"))
        })?;
        let held: Vec<Uuid> = tenant_holds::Entity::find()
            .select_only()
            .column(tenant_holds::Column::TenantId)
            .filter(tenant_holds::Column::Kind.eq(hold.as_str()))
            .into_tuple()
            .all(&state.db)
            .await?;
        cond = cond.add(tenants::Column::Id.is_in(held));
    }
    if let Some(plan) = filter.plan_id {
        let versions: Vec<Uuid> = plan_versions::Entity::find()
            .select_only()
            .column(plan_versions::Column::Id)
            .filter(plan_versions::Column::PlanId.eq(plan))
            .into_tuple()
            .all(&state.db)
            .await?;
        cond = cond.add(tenants::Column::PlanVersionId.is_in(versions));
    }
    if viewer.role == Role::AccountManager {
        cond = cond.add(tenants::Column::AccountManagerId.eq(viewer.id.0));
    } else if let Some(manager) = filter.account_manager_id {
        cond = cond.add(tenants::Column::AccountManagerId.eq(manager));
    }
    if let Some(days) = filter.ends_within_days {
        if !(0..=3650).contains(&days) {
            return Err(AppError::invalid_field(
                "ends_within_days",
                Localized::new("须在 0 到 3650 之间", "must be between 0 and 3650"),
            ));
        }
        let today = shanghai_date(state.clock.now());
        cond = cond
            .add(tenants::Column::TermEndDate.gte(today))
            .add(tenants::Column::TermEndDate.lte(today + chrono::Duration::days(days)));
    }
    if let Some(q) = &filter.q {
        cond = cond.add(search_condition(state, q).await?);
    }
    if let Some(cursor) = filter.cursor {
        cond = cond.add(tenants::Column::Id.gt(cursor));
    }
    let mut rows = tenants::Entity::find()
        .filter(cond)
        .order_by_asc(tenants::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|t| t.id)
    } else {
        None
    };
    Ok(TenantPage {
        items: views(&state.db, rows).await?,
        next_cursor,
    })
}

/// A contact change (fields left out stay as they are).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    /// New contact name.
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::text::PersonName>)]
    pub name: Option<String>,
    /// New mobile number.
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::contact::MobilePhone>)]
    pub phone: Option<String>,
    /// New e-mail.
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::contact::Email>)]
    pub email: Option<String>,
}

/// One entry of the contact history (phones masked).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ContactChangeView {
    /// `contact` or `account_manager`.
    pub kind: String,
    /// When.
    pub changed_at: DateTime<Utc>,
    /// Who (account id).
    pub changed_by: Option<Uuid>,
    /// Who (username).
    pub changed_by_name: String,
    /// Before.
    pub before: serde_json::Value,
    /// After.
    pub after: serde_json::Value,
}

fn masked_contact(
    name: &Option<String>,
    phone: &Option<String>,
    email: &Option<String>,
) -> serde_json::Value {
    serde_json::json!({
        "name": name,
        "phone": phone.as_deref().map(mask_phone),
        "email": email,
    })
}

async fn writable_tenant(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> AppResult<tenants::Model> {
    let (row, _) = lock_snapshot(conn, tenant).await?;
    if row.status == TenantStatus::Deleted.as_str() {
        return Err(AppError::new(ErrorCode::NotFound));
    }
    Ok(row)
}

/// Changes the merchant contact; history and audit keep old → new with phones masked.
pub async fn change_contact(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    patch: ContactPatch,
) -> AppResult<TenantView> {
    let name = patch
        .name
        .as_deref()
        .map(|n| parse_name(n, 100, "name"))
        .transpose()?;
    let phone = patch
        .phone
        .as_deref()
        .map(|p| MobilePhone::parse(p, "phone"))
        .transpose()?;
    let email = patch
        .email
        .as_deref()
        .map(|e| Email::parse(e, "email"))
        .transpose()?;
    let txn = db::begin_write(&state.db).await?;
    let row = writable_tenant(&txn, tenant).await?;
    let new_name = name.or(row.contact_name.clone());
    let new_phone = phone
        .map(|p| p.as_str().to_owned())
        .or(row.contact_phone.clone());
    let new_email = email
        .map(|e| e.as_str().to_owned())
        .or(row.contact_email.clone());
    if (new_name.clone(), new_phone.clone(), new_email.clone())
        == (
            row.contact_name.clone(),
            row.contact_phone.clone(),
            row.contact_email.clone(),
        )
    {
        txn.commit().await?;
        return get_tenant(state, tenant).await;
    }
    let now = state.clock.now();
    tenants::Entity::update_many()
        .col_expr(tenants::Column::ContactName, Expr::value(new_name.clone()))
        .col_expr(
            tenants::Column::ContactPhone,
            Expr::value(new_phone.clone()),
        )
        .col_expr(
            tenants::Column::ContactEmail,
            Expr::value(new_email.clone()),
        )
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
        .filter(tenants::Column::Id.eq(tenant.0))
        .exec(&txn)
        .await?;
    let before = masked_contact(&row.contact_name, &row.contact_phone, &row.contact_email);
    let after = masked_contact(&new_name, &new_phone, &new_email);
    record_change(
        &txn,
        state,
        actor,
        meta,
        tenant,
        "contact",
        "tenant.contact_changed",
        before,
        after,
    )
    .await?;
    txn.commit().await?;
    get_tenant(state, tenant).await
}

/// Assigns another account manager (agency admins); history and audit keep old → new.
pub async fn change_account_manager(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    manager: Uuid,
) -> AppResult<TenantView> {
    let txn = db::begin_write(&state.db).await?;
    let row = writable_tenant(&txn, tenant).await?;
    let new_manager = resolve_account_manager(&txn, actor, Some(manager)).await?;
    if row.account_manager_id == Some(new_manager.0) {
        txn.commit().await?;
        return get_tenant(state, tenant).await;
    }
    let now = state.clock.now();
    tenants::Entity::update_many()
        .col_expr(
            tenants::Column::AccountManagerId,
            Expr::value(Some(new_manager.0)),
        )
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
        .filter(tenants::Column::Id.eq(tenant.0))
        .exec(&txn)
        .await?;
    record_change(
        &txn,
        state,
        actor,
        meta,
        tenant,
        "account_manager",
        "tenant.account_manager_changed",
        serde_json::json!({ "account_manager_id": row.account_manager_id }),
        serde_json::json!({ "account_manager_id": new_manager }),
    )
    .await?;
    txn.commit().await?;
    state.invalidate_tenant(tenant);
    get_tenant(state, tenant).await
}

#[allow(clippy::too_many_arguments)]
async fn record_change(
    conn: &impl ConnectionTrait,
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    kind: &str,
    action: &'static str,
    before: serde_json::Value,
    after: serde_json::Value,
) -> AppResult<()> {
    let now = state.clock.now();
    contact_changes::Entity::insert(contact_changes::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        kind: Set(kind.into()),
        changed_at: Set(now),
        changed_by: Set(Some(actor.id.0)),
        changed_by_name: Set(actor.username.clone()),
        before: Set(before.clone()),
        after: Set(after.clone()),
        request_id: Set(meta.request_id.clone()),
    })
    .exec_without_returning(conn)
    .await?;
    audit::record(
        conn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action,
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary: serde_json::json!({ "before": before, "after": after }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    Ok(())
}

/// The contact and account-manager history, newest first.
pub async fn contact_history(
    state: &AppState,
    tenant: TenantId,
) -> AppResult<Vec<ContactChangeView>> {
    Ok(contact_changes::Entity::find()
        .filter(contact_changes::Column::TenantId.eq(tenant.0))
        .order_by_desc(contact_changes::Column::ChangedAt)
        .order_by_desc(contact_changes::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|c| ContactChangeView {
            kind: c.kind,
            changed_at: c.changed_at,
            changed_by: c.changed_by,
            changed_by_name: c.changed_by_name,
            before: c.before,
            after: c.after,
        })
        .collect())
}

/// Sets (`set`) or lifts the takedown hold, always with a reason; idempotent, audited.
pub async fn change_takedown(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    set: bool,
    reason: &str,
) -> AppResult<TenantView> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "reason",
            Localized::new("须为 1–500 个字符", "must be 1–500 characters"),
        ));
    }
    let txn = db::begin_write(&state.db).await?;
    writable_tenant(&txn, tenant).await?;
    let ctx = ChangeContext {
        actor: actor.actor(),
        request_id: meta.request_id.clone(),
    };
    let cause = if set {
        HoldCause::AdminTakedown
    } else {
        HoldCause::AdminLifted
    };
    tenant_state::change_hold(
        &txn,
        state,
        tenant,
        HoldKind::Takedown,
        set,
        cause,
        reason,
        &ctx,
    )
    .await?;
    txn.commit().await?;
    state.invalidate_tenant(tenant);
    get_tenant(state, tenant).await
}

/// The appid of a mini-program bound outside the platform.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppidInput {
    /// `wx` + 16 hex digits.
    #[schema(
        example = "wx1234567890abcdef",
        pattern = "^[\\t\\n\\x0b\\x0c\\r ]*wx[0-9a-f]{16}[\\t\\n\\x0b\\x0c\\r ]*$"
    )]
    pub appid: String,
    /// Why (audited), e.g. "bound by the merchant in WeChat's console".
    #[serde(default)]
    pub reason: Option<String>,
}

/// Sets or replaces the tenant's appid (agency admins), for a mini-program bound outside
/// the platform: audited with the old and new appid; published pages are rendered again
/// with the new asset URLs and the client API answers under the new appid at once (the
/// old one stops). Refused while the tenant has a live WeChat authorization of another
/// appid: that binding decides.
pub async fn set_appid(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    input: AppidInput,
) -> AppResult<TenantView> {
    let appid = parse_appid(input.appid.trim(), "appid")?;
    let reason = input
        .reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 200) {
        return Err(AppError::invalid_field(
            "reason",
            Localized::new("最多 200 个字符", "must be at most 200 characters"),
        ));
    }
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let (row, _) = crate::services::tenant_state::lock_snapshot(&txn, tenant).await?;
    if row.status == TenantStatus::Deleted.as_str() {
        return Err(AppError::new(ErrorCode::NotFound));
    }
    if let Some(binding) = entity::wechat_bindings::Entity::find_by_id(tenant.0)
        .one(&txn)
        .await?
        && binding.status == "bound"
        && binding.appid != appid
    {
        return Err(AppError::new(ErrorCode::InvalidTransition).with_message(Localized::new(
            format!("该商户已通过微信授权绑定小程序 {}，请以授权为准", binding.appid),
            format!(
                "The tenant authorized mini-program {} through WeChat; that binding decides its appid",
                binding.appid
            ),
        )));
    }
    if tenants::Entity::find()
        .filter(tenants::Column::Appid.eq(appid.as_str()))
        .filter(tenants::Column::Id.ne(tenant.0))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::new(ErrorCode::AlreadyExists)
            .with_details(serde_json::json!({ "field": "appid" })));
    }
    let previous = row.appid.clone();
    if previous.as_deref() != Some(appid.as_str()) {
        tenants::Entity::update_many()
            .col_expr(tenants::Column::Appid, Expr::value(appid.as_str()))
            .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
            .filter(tenants::Column::Id.eq(tenant.0))
            .exec(&txn)
            .await?;
        crate::services::pages::rerender_published(&txn, state, tenant, Some(&appid)).await?;
        crate::services::client_content::refresh(&txn, state, tenant).await?;
        audit::record(
            &txn,
            now,
            AuditRecord {
                actor: actor.actor(),
                tenant_id: Some(tenant),
                action: "tenant.appid_set",
                subject_type: "tenant",
                subject_id: Some(tenant.to_string()),
                summary: serde_json::json!({
                    "before": previous,
                    "after": appid,
                    "reason": reason,
                }),
                request_id: meta.request_id.clone(),
            },
        )
        .await?;
    }
    txn.commit().await?;
    state.invalidate_tenant(tenant);
    if let Some(old) = &previous {
        state.client_cache.invalidate_appid(old);
    }
    state.client_cache.invalidate_appid(&appid);
    get_tenant(state, tenant).await
}
