//! Contracts and money: creating a term (first contract or renewal), recording payments
//! (idempotent, activating the tenant or the renewal), early termination, the overdue
//! hold rule, and the computed balance, next due milestone and late fee.

use crate::db;
use crate::domain::contract::{
    ActivationRule, ContractTerms, MAX_FEN, Milestone, NextDue, Payment, PaymentMethod, list_price,
};
use crate::domain::ids::TenantId;
use crate::domain::tenant::{HoldCause, HoldKind, TenantStatus, TransitionCause};
use crate::domain::time::shanghai_date;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::services::tenant_state::{self, ChangeContext, lock_snapshot};
use crate::state::AppState;
use chrono::{DateTime, Months, NaiveDate, Utc};
use entity::{contract_milestones, contracts, payments, plan_versions, plans, tenants};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn default_tolerance() -> i32 {
    15
}

fn default_notice() -> i32 {
    30
}

/// One instalment of a new contract.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneInput {
    /// What it is for (`首付款`, `second payment`); defaults to its position.
    #[serde(default)]
    pub label: Option<String>,
    /// Amount in fen.
    #[schema(example = 149_000, minimum = 1, maximum = 10_000_000_000i64)]
    pub amount_fen: i64,
    /// Due date (Asia/Shanghai).
    pub due_date: NaiveDate,
}

/// The terms of a new contract. Dates are Asia/Shanghai calendar dates, inclusive.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// First day of service. Required for the first contract; a renewal starts the day
    /// after the current end date.
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    /// Last day of service; defaults to one year after the start, less a day.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// For a renewal: another plan (upgrade or downgrade); defaults to the current plan.
    #[serde(default)]
    pub plan_id: Option<Uuid>,
    /// `cash`, `cheque`, `bank_transfer` or `other`.
    pub payment_method: PaymentMethod,
    /// Discount off the list price, in fen (recorded).
    #[serde(default)]
    pub discount_fen: i64,
    /// Payment schedule; must sum to the amount. None = the whole amount due on the start date.
    #[serde(default)]
    pub milestones: Vec<MilestoneInput>,
    /// Late fee in basis points per day on the overdue amount (5 = 0.05 %/day).
    #[serde(default)]
    pub late_fee_bp_per_day: i32,
    /// Days a milestone may stay unpaid after its due date before service is held.
    #[serde(default = "default_tolerance")]
    pub overdue_tolerance_days: i32,
    /// Notice period for early termination, in days (default 30).
    #[serde(default = "default_notice")]
    pub notice_period_days: i32,
    /// `full_payment` (default) or `first_milestone`.
    #[serde(default)]
    pub activation_rule: ActivationRule,
    /// Entering a contract that has already ended (an import of past records). Without
    /// it, an end date before today is refused: a typo would freeze a paying merchant a
    /// minute after payment.
    #[serde(default)]
    pub historical_import: bool,
}

/// A validated contract, ready to insert.
pub struct ContractDraft {
    start: NaiveDate,
    end: NaiveDate,
    list_amount_fen: i64,
    amount_fen: i64,
    input: ContractInput,
}

impl ContractDraft {
    /// The contract's last day.
    pub fn end_date(&self) -> NaiveDate {
        self.end
    }

    /// Whether the request entered it as a past contract.
    pub fn historical_import(&self) -> bool {
        self.input.historical_import
    }
}

/// Checks `input` for a term starting `start` at `yearly_price_fen`; field names are
/// prefixed with `prefix` (`contract.` in provisioning).
pub fn draft_contract(
    input: ContractInput,
    start: NaiveDate,
    yearly_price_fen: i64,
    prefix: &str,
    today: NaiveDate,
) -> AppResult<ContractDraft> {
    let field = |name: &str| format!("{prefix}{name}");
    let end = match input.end_date {
        Some(end) => end,
        None => start
            .checked_add_months(Months::new(12))
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| {
                AppError::invalid_field(
                    field("start_date"),
                    Localized::new("日期超出范围", "is out of range"),
                )
            })?,
    };
    if end < start {
        return Err(AppError::invalid_field(
            field("end_date"),
            Localized::new("不能早于开始日期", "must not be before the start date"),
        ));
    }
    if end < today && !input.historical_import {
        return Err(AppError::invalid_field(
            field("end_date"),
            Localized::new(
                format!("合同已于 {end} 结束，早于今天；录入历史合同请同时设置 historical_import"),
                format!(
                    "the term would have ended on {end}, before today; set historical_import to enter a past contract"
                ),
            ),
        ));
    }
    if (end - start).num_days() > 366 * 10 {
        return Err(AppError::invalid_field(
            field("end_date"),
            Localized::new("合同期最长 10 年", "a term is at most 10 years"),
        ));
    }
    let list = list_price(yearly_price_fen, start, end).ok_or_else(|| {
        AppError::invalid_field(
            field("end_date"),
            Localized::new(
                "合同金额超出上限",
                "the term's price is beyond the largest amount",
            ),
        )
    })?;
    if input.discount_fen < 0 || input.discount_fen > list {
        return Err(AppError::invalid_field(
            field("discount_fen"),
            Localized::new(
                format!("须在 0 到标价 {list} 分之间"),
                format!("must be between 0 and the list price of {list} fen"),
            ),
        ));
    }
    let amount = list - input.discount_fen;
    if !(0..=10_000).contains(&input.late_fee_bp_per_day) {
        return Err(AppError::invalid_field(
            field("late_fee_bp_per_day"),
            Localized::new("须在 0 到 10000 之间", "must be between 0 and 10000"),
        ));
    }
    for (name, value) in [
        ("overdue_tolerance_days", input.overdue_tolerance_days),
        ("notice_period_days", input.notice_period_days),
    ] {
        if !(0..=365).contains(&value) {
            return Err(AppError::invalid_field(
                field(name),
                Localized::new("须在 0 到 365 之间", "must be between 0 and 365"),
            ));
        }
    }
    if input.milestones.len() > 24 {
        return Err(AppError::invalid_field(
            field("milestones"),
            Localized::new("最多 24 期", "at most 24 milestones"),
        ));
    }
    for (i, m) in input.milestones.iter().enumerate() {
        if !(1..=MAX_FEN).contains(&m.amount_fen) {
            return Err(AppError::invalid_field(
                field(&format!("milestones[{i}].amount_fen")),
                Localized::new(
                    format!("须在 1 到 {MAX_FEN} 分之间"),
                    format!("must be between 1 and {MAX_FEN} fen"),
                ),
            ));
        }
        if m.label.as_deref().is_some_and(|l| l.chars().count() > 100) {
            return Err(AppError::invalid_field(
                field(&format!("milestones[{i}].label")),
                Localized::new("最多 100 个字符", "at most 100 characters"),
            ));
        }
        if i > 0 && m.due_date < input.milestones[i - 1].due_date {
            return Err(AppError::invalid_field(
                field(&format!("milestones[{i}].due_date")),
                Localized::new(
                    "须不早于上一期",
                    "must not be before the previous milestone",
                ),
            ));
        }
    }
    if !input.milestones.is_empty() {
        let sum: i64 = input.milestones.iter().map(|m| m.amount_fen).sum();
        if sum != amount {
            return Err(AppError::invalid_field(
                field("milestones"),
                Localized::new(
                    format!("各期金额之和 {} 须等于合同金额 {}", yuan(sum), yuan(amount)),
                    format!(
                        "the stages add up to {} but the contract amount is {}",
                        yuan(sum),
                        yuan(amount)
                    ),
                ),
            )
            .with_details(serde_json::json!({
                "field": field("milestones"),
                "sum_fen": sum,
                "amount_fen": amount,
            })));
        }
    }
    Ok(ContractDraft {
        start,
        end,
        list_amount_fen: list,
        amount_fen: amount,
        input,
    })
}

/// Inserts a validated contract with its milestones.
pub async fn insert_contract(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    sequence: i32,
    plan_version: Uuid,
    draft: &ContractDraft,
    by: &CachedUser,
    at: DateTime<Utc>,
) -> AppResult<contracts::Model> {
    let id = Uuid::now_v7();
    let model = contracts::Model {
        id,
        tenant_id: tenant.0,
        sequence,
        plan_version_id: plan_version,
        start_date: draft.start,
        end_date: draft.end,
        original_end_date: None,
        list_amount_fen: draft.list_amount_fen,
        discount_fen: draft.input.discount_fen,
        amount_fen: draft.amount_fen,
        payment_method: draft.input.payment_method.as_str().into(),
        late_fee_bp_per_day: draft.input.late_fee_bp_per_day,
        overdue_tolerance_days: draft.input.overdue_tolerance_days,
        notice_period_days: draft.input.notice_period_days,
        activation_rule: draft.input.activation_rule.as_str().into(),
        activated_at: None,
        terminated_at: None,
        termination_reference: None,
        cancelled_at: None,
        ended_at: None,
        created_at: at,
        created_by: Some(by.id.0),
    };
    contracts::Entity::insert(contracts::ActiveModel::from(model.clone()))
        .exec_without_returning(conn)
        .await?;
    for (i, m) in draft.input.milestones.iter().enumerate() {
        contract_milestones::Entity::insert(contract_milestones::ActiveModel {
            id: Set(Uuid::now_v7()),
            contract_id: Set(id),
            tenant_id: Set(tenant.0),
            seq: Set(i as i32 + 1),
            label: Set(m
                .label
                .clone()
                .unwrap_or_else(|| format!("第 {} 期", i + 1))),
            amount_fen: Set(m.amount_fen),
            due_date: Set(m.due_date),
        })
        .exec_without_returning(conn)
        .await?;
    }
    Ok(model)
}

/// A contract's milestones and payments as the domain rules see them.
pub struct LoadedContract {
    /// The row.
    pub row: contracts::Model,
    /// Milestone rows in order.
    pub milestones: Vec<contract_milestones::Model>,
    /// Payment rows in order.
    pub payments: Vec<payments::Model>,
}

impl LoadedContract {
    /// Whether an early termination cancelled this (later) contract: it owes nothing more
    /// and never counts as overdue; payments already made are not refunded.
    pub fn is_cancelled(&self) -> bool {
        self.row.cancelled_at.is_some()
    }

    /// The money terms.
    pub fn terms(&self) -> ContractTerms {
        let milestones = if self.milestones.is_empty() {
            vec![Milestone {
                amount_fen: self.row.amount_fen,
                due_date: self.row.start_date,
            }]
        } else {
            self.milestones
                .iter()
                .map(|m| Milestone {
                    amount_fen: m.amount_fen,
                    due_date: m.due_date,
                })
                .collect()
        };
        ContractTerms {
            amount_fen: self.row.amount_fen,
            milestones,
            late_fee_bp_per_day: self.row.late_fee_bp_per_day as i64,
            overdue_tolerance_days: self.row.overdue_tolerance_days as i64,
            activation_rule: self.row.activation_rule.parse().unwrap_or_default(),
        }
    }

    /// The payments.
    pub fn payments(&self) -> Vec<Payment> {
        self.payments
            .iter()
            .map(|p| Payment {
                amount_fen: p.amount_fen,
                paid_on: p.paid_on,
            })
            .collect()
    }
}

/// Every contract of `tenant` with milestones and payments, by sequence.
pub async fn load_contracts(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> AppResult<Vec<LoadedContract>> {
    Ok(load_contracts_of(conn, &[tenant.0])
        .await?
        .remove(&tenant.0)
        .unwrap_or_default())
}

/// Every contract of `tenants` with milestones and payments, by tenant and sequence.
pub async fn load_contracts_of(
    conn: &impl ConnectionTrait,
    tenants: &[Uuid],
) -> AppResult<std::collections::BTreeMap<Uuid, Vec<LoadedContract>>> {
    let mut out: std::collections::BTreeMap<Uuid, Vec<LoadedContract>> = Default::default();
    if tenants.is_empty() {
        return Ok(out);
    }
    let rows = contracts::Entity::find()
        .filter(contracts::Column::TenantId.is_in(tenants.to_vec()))
        .order_by_asc(contracts::Column::Sequence)
        .all(conn)
        .await?;
    let mut milestones = contract_milestones::Entity::find()
        .filter(contract_milestones::Column::TenantId.is_in(tenants.to_vec()))
        .order_by_asc(contract_milestones::Column::Seq)
        .all(conn)
        .await?;
    let mut pays = payments::Entity::find()
        .filter(payments::Column::TenantId.is_in(tenants.to_vec()))
        .order_by_asc(payments::Column::PaidOn)
        .order_by_asc(payments::Column::Id)
        .all(conn)
        .await?;
    for row in rows {
        let (mine, rest): (Vec<_>, Vec<_>) = milestones
            .into_iter()
            .partition(|m| m.contract_id == row.id);
        milestones = rest;
        let (paid, rest): (Vec<_>, Vec<_>) =
            pays.into_iter().partition(|p| p.contract_id == row.id);
        pays = rest;
        out.entry(row.tenant_id).or_default().push(LoadedContract {
            milestones: mine,
            payments: paid,
            row,
        });
    }
    Ok(out)
}

/// A milestone with what has been paid on it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MilestoneView {
    /// 1, 2, …
    pub seq: i32,
    /// Label.
    pub label: String,
    /// Amount.
    pub amount_fen: i64,
    /// Due date.
    pub due_date: NaiveDate,
    /// Paid so far (payments cover milestones in order).
    pub paid_fen: i64,
}

/// A recorded payment.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    /// Payment id.
    pub id: Uuid,
    /// Contract.
    pub contract_id: Uuid,
    /// Amount.
    pub amount_fen: i64,
    /// Method.
    pub method: String,
    /// Bank or receipt reference.
    pub reference: String,
    /// Date paid.
    pub paid_on: NaiveDate,
    /// Recorded at.
    pub recorded_at: DateTime<Utc>,
}

impl From<payments::Model> for PaymentView {
    fn from(p: payments::Model) -> Self {
        Self {
            id: p.id,
            contract_id: p.contract_id,
            amount_fen: p.amount_fen,
            method: p.method,
            reference: p.reference,
            paid_on: p.paid_on,
            recorded_at: p.recorded_at,
        }
    }
}

/// A contract with its computed money state (nothing computed is stored).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ContractView {
    /// Contract id.
    pub id: Uuid,
    /// 1 = the first term, 2 = the first renewal, …
    pub sequence: i32,
    /// `pending` (activation rule not met), `active`, `terminated` (ended early),
    /// `cancelled` (a later term voided by an early termination) or `ended` (the tenant's
    /// data was deleted at the end of its grace period).
    pub status: &'static str,
    /// Plan version signed.
    pub plan_version_id: Uuid,
    /// Plan name.
    pub plan_name: String,
    /// Version number.
    pub plan_version: i32,
    /// First day.
    pub start_date: NaiveDate,
    /// Last day (the effective date after an early termination).
    pub end_date: NaiveDate,
    /// The end date before an early termination.
    pub original_end_date: Option<NaiveDate>,
    /// Plan price for the term.
    pub list_amount_fen: i64,
    /// Discount.
    pub discount_fen: i64,
    /// Amount due.
    pub amount_fen: i64,
    /// Agreed payment method.
    pub payment_method: String,
    /// Late fee rate.
    pub late_fee_bp_per_day: i32,
    /// Tolerance before the overdue hold.
    pub overdue_tolerance_days: i32,
    /// Notice period for early termination.
    pub notice_period_days: i32,
    /// Activation rule.
    pub activation_rule: String,
    /// When the activation rule was met.
    pub activated_at: Option<DateTime<Utc>>,
    /// When an early termination was recorded.
    pub terminated_at: Option<DateTime<Utc>>,
    /// When an early termination of an earlier term cancelled this one.
    pub cancelled_at: Option<DateTime<Utc>>,
    /// When it ended with the tenant's data (status `ended`).
    pub ended_at: Option<DateTime<Utc>>,
    /// Milestones.
    pub milestones: Vec<MilestoneView>,
    /// Payments.
    pub payments: Vec<PaymentView>,
    /// Paid in total.
    pub paid_fen: i64,
    /// Still owed.
    pub outstanding_fen: i64,
    /// The first milestone not fully paid.
    pub next_due: Option<NextDue>,
    /// Late fee accrued up to today (rounded down to the fen).
    pub late_fee_fen: i64,
    /// Some milestone is unpaid beyond the tolerance.
    pub overdue: bool,
}

/// Builds the view of a loaded contract as of `today`.
pub async fn contract_view(
    conn: &impl ConnectionTrait,
    c: &LoadedContract,
    today: NaiveDate,
) -> AppResult<ContractView> {
    let version = plan_versions::Entity::find_by_id(c.row.plan_version_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("missing plan version")))?;
    let plan = plans::Entity::find_by_id(version.plan_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("missing plan")))?;
    let terms = c.terms();
    let pays = c.payments();
    let paid = ContractTerms::paid_total(&pays);
    let mut before = 0;
    let milestones = terms
        .milestones
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let covered = (paid - before).clamp(0, m.amount_fen);
            before += m.amount_fen;
            MilestoneView {
                seq: i as i32 + 1,
                label: c
                    .milestones
                    .get(i)
                    .map(|r| r.label.clone())
                    .unwrap_or_else(|| "全款".into()),
                amount_fen: m.amount_fen,
                due_date: m.due_date,
                paid_fen: covered,
            }
        })
        .collect();
    Ok(ContractView {
        id: c.row.id,
        sequence: c.row.sequence,
        status: if c.is_cancelled() {
            "cancelled"
        } else if c.row.terminated_at.is_some() {
            "terminated"
        } else if c.row.ended_at.is_some() {
            "ended"
        } else if c.row.activated_at.is_some() {
            "active"
        } else {
            "pending"
        },
        plan_version_id: c.row.plan_version_id,
        plan_name: plan.name,
        plan_version: version.version,
        start_date: c.row.start_date,
        end_date: c.row.end_date,
        original_end_date: c.row.original_end_date,
        list_amount_fen: c.row.list_amount_fen,
        discount_fen: c.row.discount_fen,
        amount_fen: c.row.amount_fen,
        payment_method: c.row.payment_method.clone(),
        late_fee_bp_per_day: c.row.late_fee_bp_per_day,
        overdue_tolerance_days: c.row.overdue_tolerance_days,
        notice_period_days: c.row.notice_period_days,
        activation_rule: c.row.activation_rule.clone(),
        activated_at: c.row.activated_at,
        terminated_at: c.row.terminated_at,
        cancelled_at: c.row.cancelled_at,
        ended_at: c.row.ended_at,
        milestones,
        payments: c.payments.iter().cloned().map(PaymentView::from).collect(),
        paid_fen: paid,
        outstanding_fen: if c.is_cancelled() {
            0
        } else {
            terms.outstanding(&pays)
        },
        next_due: if c.is_cancelled() {
            None
        } else {
            terms.next_due(&pays)
        },
        late_fee_fen: if c.is_cancelled() {
            0
        } else {
            terms.late_fee(&pays, today)
        },
        overdue: !c.is_cancelled() && terms.is_overdue(&pays, today),
    })
}

/// Every contract of a tenant as views.
pub async fn list_contract_views(
    state: &AppState,
    tenant: TenantId,
) -> AppResult<Vec<ContractView>> {
    let today = shanghai_date(state.clock.now());
    let mut out = Vec::new();
    for c in load_contracts(&state.db, tenant).await? {
        out.push(contract_view(&state.db, &c, today).await?);
    }
    Ok(out)
}

/// One contract of a tenant.
pub async fn get_contract_view(
    state: &AppState,
    tenant: TenantId,
    contract: Uuid,
) -> AppResult<ContractView> {
    contract_view_in(&state.db, state, tenant, contract).await
}

/// The contract as `conn` sees it: a write answers from its own transaction, so a
/// concurrent change committed after it is never reported as its result.
async fn contract_view_in(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    contract: Uuid,
) -> AppResult<ContractView> {
    let today = shanghai_date(state.clock.now());
    let loaded = load_contracts(conn, tenant)
        .await?
        .into_iter()
        .find(|c| c.row.id == contract)
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    contract_view(conn, &loaded, today).await
}

/// Sets or lifts the `overdue` hold of `tenant` by the rule: held while any contract has a
/// milestone unpaid beyond its tolerance as of `today`.
pub async fn apply_overdue_rule(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    today: NaiveDate,
    ctx: &ChangeContext,
) -> AppResult<()> {
    let (row, snapshot) = lock_snapshot(conn, tenant).await?;
    if row.status == TenantStatus::Deleted.as_str() {
        return Ok(());
    }
    let contracts = load_contracts(conn, tenant).await?;
    let overdue = contracts
        .iter()
        .filter(|c| !c.is_cancelled())
        .any(|c| c.terms().is_overdue(&c.payments(), today));
    let held = snapshot
        .holds
        .iter()
        .any(|h| h == HoldKind::Overdue.as_str());
    if overdue && !held {
        tenant_state::change_hold(
            conn,
            state,
            tenant,
            HoldKind::Overdue,
            true,
            HoldCause::MilestoneOverdue,
            "a milestone is unpaid beyond the tolerance",
            ctx,
        )
        .await?;
    } else if !overdue && held {
        tenant_state::change_hold(
            conn,
            state,
            tenant,
            HoldKind::Overdue,
            false,
            HoldCause::OverduePaid,
            "every milestone is paid or within the tolerance",
            ctx,
        )
        .await?;
    }
    Ok(())
}

/// A payment to record.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    /// Amount in fen; positive and at most what is still owed on the contract.
    #[schema(example = 149_000, minimum = 1, maximum = 10_000_000_000i64)]
    pub amount_fen: i64,
    /// `cash`, `cheque`, `bank_transfer` or `other`.
    pub method: PaymentMethod,
    /// Bank transaction or receipt number.
    #[schema(example = "ICBC-20260301-0042")]
    pub reference: String,
    /// Date the money arrived (Asia/Shanghai); not in the future.
    pub paid_on: NaiveDate,
}

fn fingerprint(contract: Uuid, p: &PaymentInput) -> String {
    let mut h = Sha256::new();
    h.update(format!(
        "{contract}|{}|{}|{}|{}",
        p.amount_fen,
        p.method.as_str(),
        p.reference,
        p.paid_on
    ));
    hex::encode(h.finalize())
}

/// What recording a payment did.
pub struct RecordedPayment {
    /// The payment.
    pub payment: PaymentView,
    /// The contract after it.
    pub contract: ContractView,
    /// True when the idempotency key matched an earlier identical request (nothing new).
    pub replayed: bool,
}

/// Records a payment on a contract. With an idempotency key a retried request is a no-op
/// that returns the first answer. Meeting the activation rule activates the tenant (first
/// contract) or the renewal; the overdue rule is re-applied. One transaction, audited.
pub async fn record_payment(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    contract_id: Uuid,
    input: PaymentInput,
    idempotency_key: Option<String>,
) -> AppResult<RecordedPayment> {
    if let Some(key) = &idempotency_key
        && (key.is_empty() || key.len() > 200)
    {
        return Err(AppError::invalid_field(
            "Idempotency-Key",
            Localized::new("须为 1–200 个字符", "must be 1–200 characters"),
        ));
    }
    let reference = input.reference.trim().to_owned();
    if reference.is_empty() || reference.chars().count() > 200 {
        return Err(AppError::invalid_field(
            "reference",
            Localized::new("须为 1–200 个字符", "must be 1–200 characters"),
        ));
    }
    if !(1..=MAX_FEN).contains(&input.amount_fen) {
        return Err(AppError::invalid_field(
            "amount_fen",
            Localized::new(
                format!("须为 1 到 {MAX_FEN} 之间的整数（分）"),
                format!("must be a whole number of fen between 1 and {MAX_FEN}"),
            ),
        ));
    }
    let now = state.clock.now();
    let today = shanghai_date(now);
    if input.paid_on > today {
        return Err(AppError::invalid_field(
            "paid_on",
            Localized::new("不能晚于今天", "must not be in the future"),
        ));
    }
    let print = fingerprint(contract_id, &input);
    let txn = db::begin_write(&state.db).await?;
    // Locks the tenant row (PostgreSQL): payments, renewals and sweeps of one tenant queue up.
    let (tenant_row, _) = lock_snapshot(&txn, tenant).await?;
    refuse_deleted_or_due(&tenant_row, now)?;
    if let Some(key) = &idempotency_key
        && let Some(existing) = payments::Entity::find()
            .filter(payments::Column::TenantId.eq(tenant.0))
            .filter(payments::Column::IdempotencyKey.eq(key.as_str()))
            .one(&txn)
            .await?
    {
        txn.commit().await?;
        if existing.request_fingerprint != print {
            return Err(AppError::new(ErrorCode::IdempotencyKeyReused)
                .with_details(serde_json::json!({ "payment_id": existing.id })));
        }
        let contract = get_contract_view(state, tenant, existing.contract_id).await?;
        return Ok(RecordedPayment {
            payment: existing.into(),
            contract,
            replayed: true,
        });
    }
    let contracts = load_contracts(&txn, tenant).await?;
    let contract = contracts
        .iter()
        .find(|c| c.row.id == contract_id)
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if contract.is_cancelled() {
        return Err(
            AppError::new(ErrorCode::InvalidTransition).with_message(Localized::new(
                "该合同已因提前终止而取消，不能再付款。",
                "This contract was cancelled by an early termination; it takes no payments.",
            )),
        );
    }
    let outstanding = contract.terms().outstanding(&contract.payments());
    if input.amount_fen > outstanding {
        return Err(AppError::invalid_field(
            "amount_fen",
            Localized::new(
                format!("超过合同未付金额 {outstanding} 分"),
                format!("exceeds the {outstanding} fen still owed on the contract"),
            ),
        )
        .with_details(
            serde_json::json!({ "field": "amount_fen", "outstanding_fen": outstanding }),
        ));
    }
    let payment = payments::Model {
        id: Uuid::now_v7(),
        contract_id,
        tenant_id: tenant.0,
        amount_fen: input.amount_fen,
        method: input.method.as_str().into(),
        reference: reference.clone(),
        paid_on: input.paid_on,
        idempotency_key: idempotency_key.clone(),
        request_fingerprint: print,
        recorded_at: now,
        recorded_by: Some(actor.id.0),
    };
    payments::Entity::insert(payments::ActiveModel::from(payment.clone()))
        .exec_without_returning(&txn)
        .await?;
    let ctx = ChangeContext {
        actor: actor.actor(),
        request_id: meta.request_id.clone(),
    };
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: ctx.actor.clone(),
            tenant_id: Some(tenant),
            action: "payment.recorded",
            subject_type: "contract",
            subject_id: Some(contract_id.to_string()),
            summary: serde_json::json!({
                "payment_id": payment.id,
                "amount_fen": payment.amount_fen,
                "method": payment.method,
                "reference": payment.reference,
                "paid_on": payment.paid_on,
                "outstanding_before_fen": outstanding,
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;

    let mut pays = contract.payments();
    pays.push(Payment {
        amount_fen: payment.amount_fen,
        paid_on: payment.paid_on,
    });
    if contract.row.activated_at.is_none() && contract.terms().activation_met(&pays) {
        activate_contract(&txn, state, tenant, &tenant_row, &contract.row, &ctx).await?;
    }
    apply_overdue_rule(&txn, state, tenant, today, &ctx).await?;
    let contract = contract_view_in(&txn, state, tenant, contract_id).await?;
    txn.commit().await?;
    state.invalidate_tenant(tenant);
    Ok(RecordedPayment {
        payment: payment.into(),
        contract,
        replayed: false,
    })
}

/// A deleted tenant is 404; from `delete_after` on a frozen tenant takes no renewal and no
/// payment (409 `tenant_deletion_due`), even before the purge ran (SPEC §2.9).
fn refuse_deleted_or_due(
    row: &tenants::Model,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    if row.status == TenantStatus::Deleted.as_str() {
        return Err(AppError::new(ErrorCode::NotFound));
    }
    if row.status == TenantStatus::Frozen.as_str()
        && let Some(due) = row.delete_after
        && now >= due
    {
        return Err(AppError::new(ErrorCode::TenantDeletionDue)
            .with_details(serde_json::json!({ "delete_after": due })));
    }
    Ok(())
}

/// Marks a contract activated: the first one makes a pending tenant active; a renewal moves
/// the tenant to its plan version and end date, and reopens a frozen tenant.
async fn activate_contract(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    tenant_row: &tenants::Model,
    contract: &contracts::Model,
    ctx: &ChangeContext,
) -> AppResult<()> {
    let now = state.clock.now();
    contracts::Entity::update_many()
        .col_expr(contracts::Column::ActivatedAt, Expr::value(Some(now)))
        .filter(contracts::Column::Id.eq(contract.id))
        .filter(contracts::Column::ActivatedAt.is_null())
        .exec(conn)
        .await?;
    audit::record(
        conn,
        now,
        AuditRecord {
            actor: ctx.actor.clone(),
            tenant_id: Some(tenant),
            action: "contract.activated",
            subject_type: "contract",
            subject_id: Some(contract.id.to_string()),
            summary: serde_json::json!({
                "sequence": contract.sequence,
                "activation_rule": contract.activation_rule,
            }),
            request_id: ctx.request_id.clone(),
        },
    )
    .await?;
    if contract.sequence == 1 {
        if tenant_row.status == TenantStatus::Pending.as_str() {
            tenant_state::change_status(
                conn,
                state,
                tenant,
                TenantStatus::Active,
                TransitionCause::ActivationRuleMet,
                ctx,
            )
            .await?;
        }
        return Ok(());
    }
    tenants::Entity::update_many()
        .col_expr(
            tenants::Column::PlanVersionId,
            Expr::value(contract.plan_version_id),
        )
        .col_expr(tenants::Column::TermEndDate, Expr::value(contract.end_date))
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
        .filter(tenants::Column::Id.eq(tenant.0))
        .exec(conn)
        .await?;
    audit::record(
        conn,
        now,
        AuditRecord {
            actor: ctx.actor.clone(),
            tenant_id: Some(tenant),
            action: "tenant.renewed",
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary: serde_json::json!({
                "contract_id": contract.id,
                "before": { "plan_version_id": tenant_row.plan_version_id, "term_end_date": tenant_row.term_end_date },
                "after": { "plan_version_id": contract.plan_version_id, "term_end_date": contract.end_date },
            }),
            request_id: ctx.request_id.clone(),
        },
    )
    .await?;
    if tenant_row.status == TenantStatus::Frozen.as_str() {
        tenant_state::change_status(
            conn,
            state,
            tenant,
            TenantStatus::Active,
            TransitionCause::RenewedBeforeDeletion,
            ctx,
        )
        .await?;
    } else if tenant_row.status == TenantStatus::Pending.as_str() {
        tenant_state::change_status(
            conn,
            state,
            tenant,
            TenantStatus::Active,
            TransitionCause::ActivationRuleMet,
            ctx,
        )
        .await?;
    }
    Ok(())
}

/// A quota the tenant already exceeds under a renewal's plan.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QuotaWarning {
    /// `pages` or `storage`.
    pub kind: &'static str,
    /// Current use (pages, or bytes).
    pub used: i64,
    /// The new plan's limit.
    pub limit: i64,
    /// What it means for the merchant.
    pub message: String,
}

/// A created renewal.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RenewalResult {
    /// The follow-on contract.
    pub contract: ContractView,
    /// Quotas of the new plan that current use already exceeds: the renewal is allowed, but
    /// the tenant cannot add pages or storage until it is under them.
    pub quota_warnings: Vec<QuotaWarning>,
}

/// Creates the follow-on contract: it starts the day after the current end date, at the
/// current version and price of the tenant's plan (or another plan). Only one renewal may
/// wait for payment at a time. Audited.
pub async fn create_renewal(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    input: ContractInput,
) -> AppResult<RenewalResult> {
    let txn = db::begin_write(&state.db).await?;
    let (row, _) = lock_snapshot(&txn, tenant).await?;
    refuse_deleted_or_due(&row, state.clock.now())?;
    let contracts = load_contracts(&txn, tenant).await?;
    if let Some(waiting) = contracts
        .iter()
        .find(|c| c.row.sequence > 1 && c.row.activated_at.is_none())
    {
        return Err(AppError::new(ErrorCode::InvalidTransition)
            .with_message(Localized::new(
                "已有一份待付款的续约合同。",
                "A renewal contract is already waiting for payment.",
            ))
            .with_details(serde_json::json!({ "contract_id": waiting.row.id })));
    }
    let term_end = row
        .term_end_date
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("tenant without an end date")))?;
    let start = term_end
        .succ_opt()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("date overflow")))?;
    if input.start_date.is_some_and(|s| s != start) {
        return Err(AppError::invalid_field(
            "start_date",
            Localized::new(
                format!("续约从当前到期日次日 {start} 开始"),
                format!("a renewal starts the day after the current end date, {start}"),
            ),
        ));
    }
    let plan_id = match input.plan_id {
        Some(p) => p,
        None => {
            let current = row
                .plan_version_id
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("tenant without a plan")))?;
            plan_versions::Entity::find_by_id(current)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("missing plan version")))?
                .plan_id
        }
    };
    let plan = plans::Entity::find_by_id(plan_id)
        .one(&txn)
        .await?
        .ok_or_else(|| {
            AppError::invalid_field("plan_id", Localized::new("套餐不存在", "no such plan"))
        })?;
    if plan.retired_at.is_some() {
        return Err(AppError::invalid_field(
            "plan_id",
            Localized::new("该套餐已停售", "the plan is retired (no new sales)"),
        ));
    }
    let version = crate::services::plans::current_version(&txn, plan_id).await?;
    let today = crate::domain::time::shanghai_date(state.clock.now());
    let draft = draft_contract(input, start, version.yearly_price_fen, "", today)?;
    let historical_import = draft.historical_import();
    let sequence = contracts.iter().map(|c| c.row.sequence).max().unwrap_or(0) + 1;
    let now = state.clock.now();
    let created = insert_contract(&txn, tenant, sequence, version.id, &draft, actor, now).await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: "contract.created",
            subject_type: "contract",
            subject_id: Some(created.id.to_string()),
            summary: serde_json::json!({
                "kind": "renewal",
                "historical_import": historical_import,
                "sequence": sequence,
                "plan": plan.name,
                "plan_version": version.version,
                "start_date": created.start_date,
                "end_date": created.end_date,
                "amount_fen": created.amount_fen,
                "discount_fen": created.discount_fen,
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    let pages_used = entity::pages::Entity::find()
        .filter(entity::pages::Column::TenantId.eq(tenant.0))
        .count(&txn)
        .await? as i64;
    let storage_used = crate::services::assets::storage_used(&txn, tenant).await?;
    txn.commit().await?;
    let mut quota_warnings = Vec::new();
    if pages_used > version.page_quota as i64 {
        quota_warnings.push(QuotaWarning {
            kind: "pages",
            used: pages_used,
            limit: version.page_quota as i64,
            message: format!(
                "{pages_used} pages exist but the new plan allows {}: no page can be added until pages are deleted",
                version.page_quota
            ),
        });
    }
    if storage_used > version.storage_quota_bytes {
        quota_warnings.push(QuotaWarning {
            kind: "storage",
            used: storage_used,
            limit: version.storage_quota_bytes,
            message: format!(
                "{storage_used} bytes are stored but the new plan allows {}: no upload is possible until assets are deleted",
                version.storage_quota_bytes
            ),
        });
    }
    Ok(RenewalResult {
        contract: get_contract_view(state, tenant, created.id).await?,
        quota_warnings,
    })
}

/// An early termination request.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationInput {
    /// Last day of service: no earlier than today + the contract's notice period.
    pub effective_date: NaiveDate,
    /// The merchant's written request (letter number, e-mail subject, …).
    #[schema(example = "商户书面申请 2026-11-23")]
    pub reference: String,
}

/// Records an early termination on the merchant's written request: the effective date
/// becomes the end date (no refund) and the tenant follows the freeze → grace → delete path
/// from there. Idempotent for the same date; audited.
pub async fn record_termination(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    input: TerminationInput,
) -> AppResult<ContractView> {
    let reference = input.reference.trim().to_owned();
    if reference.is_empty() || reference.chars().count() > 500 {
        return Err(AppError::invalid_field(
            "reference",
            Localized::new("须为 1–500 个字符", "must be 1–500 characters"),
        ));
    }
    let now = state.clock.now();
    let today = shanghai_date(now);
    let txn = db::begin_write(&state.db).await?;
    let (row, _) = lock_snapshot(&txn, tenant).await?;
    match row.status.parse::<TenantStatus>() {
        Ok(TenantStatus::Deleted) => return Err(AppError::new(ErrorCode::NotFound)),
        Ok(TenantStatus::Frozen) => {
            return Err(
                AppError::new(ErrorCode::InvalidTransition).with_message(Localized::new(
                    "服务已到期冻结，无需提前终止。",
                    "The tenant is already frozen; there is nothing to terminate.",
                )),
            );
        }
        _ => {}
    }
    let contracts = load_contracts(&txn, tenant).await?;
    let live: Vec<&LoadedContract> = contracts.iter().filter(|c| !c.is_cancelled()).collect();
    let effective = input.effective_date;
    let Some(target) = live
        .iter()
        .find(|c| c.row.start_date <= effective && effective <= c.row.end_date)
        .copied()
    else {
        let first = live.first().map(|c| c.row.start_date);
        return Err(AppError::invalid_field(
            "effective_date",
            Localized::new(
                format!(
                    "须在服务期 {} 至 {} 之内",
                    first.map(|d| d.to_string()).unwrap_or_default(),
                    row.term_end_date.map(|d| d.to_string()).unwrap_or_default()
                ),
                format!(
                    "must fall within the service period {} to {}",
                    first.map(|d| d.to_string()).unwrap_or_default(),
                    row.term_end_date.map(|d| d.to_string()).unwrap_or_default()
                ),
            ),
        ));
    };
    if let Some(terminated) = live.iter().find(|c| c.row.terminated_at.is_some()) {
        txn.commit().await?;
        if terminated.row.end_date == effective {
            return get_contract_view(state, tenant, terminated.row.id).await;
        }
        return Err(
            AppError::new(ErrorCode::InvalidTransition).with_message(Localized::new(
                "提前终止已登记，日期不能更改。",
                "An early termination is already recorded; its date cannot change.",
            )),
        );
    }
    // The notice period of the contract in force today (or of the target one).
    let in_force = live
        .iter()
        .find(|c| c.row.start_date <= today && today <= c.row.end_date)
        .copied()
        .unwrap_or(target);
    let notice = in_force.row.notice_period_days;
    let earliest = today + chrono::Duration::days(notice as i64);
    if effective < earliest {
        return Err(AppError::invalid_field(
            "effective_date",
            Localized::new(
                format!("须提前 {notice} 天通知，最早为 {earliest}"),
                format!("the notice period is {notice} days: the earliest is {earliest}"),
            ),
        )
        .with_details(serde_json::json!({ "field": "effective_date", "earliest": earliest })));
    }
    let cancelled: Vec<&LoadedContract> = live
        .iter()
        .filter(|c| c.row.sequence > target.row.sequence)
        .copied()
        .collect();
    contracts::Entity::update_many()
        .col_expr(
            contracts::Column::OriginalEndDate,
            Expr::value(Some(target.row.end_date)),
        )
        .col_expr(contracts::Column::EndDate, Expr::value(effective))
        .col_expr(contracts::Column::TerminatedAt, Expr::value(Some(now)))
        .col_expr(
            contracts::Column::TerminationReference,
            Expr::value(Some(reference.clone())),
        )
        .filter(contracts::Column::Id.eq(target.row.id))
        .exec(&txn)
        .await?;
    if !cancelled.is_empty() {
        contracts::Entity::update_many()
            .col_expr(contracts::Column::CancelledAt, Expr::value(Some(now)))
            .col_expr(
                contracts::Column::TerminationReference,
                Expr::value(Some(reference.clone())),
            )
            .filter(contracts::Column::Id.is_in(cancelled.iter().map(|c| c.row.id)))
            .exec(&txn)
            .await?;
    }
    tenants::Entity::update_many()
        .col_expr(tenants::Column::TermEndDate, Expr::value(effective))
        .col_expr(
            tenants::Column::PlanVersionId,
            Expr::value(target.row.plan_version_id),
        )
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
        .filter(tenants::Column::Id.eq(tenant.0))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: "contract.terminated",
            subject_type: "contract",
            subject_id: Some(target.row.id.to_string()),
            summary: serde_json::json!({
                "before": { "end_date": target.row.end_date, "term_end_date": row.term_end_date },
                "after": { "end_date": effective, "term_end_date": effective },
                "notice_period_days": notice,
                "cancelled_contracts": cancelled.iter().map(|c| c.row.id).collect::<Vec<_>>(),
                "reference": reference,
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    let written = contract_view_in(&txn, state, tenant, target.row.id).await?;
    txn.commit().await?;
    Ok(written)
}

/// Outstanding balance per tenant (all contracts), for lists.
pub async fn outstanding_by_tenant(
    conn: &impl ConnectionTrait,
    tenants: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, i64>> {
    let mut out = std::collections::HashMap::new();
    if tenants.is_empty() {
        return Ok(out);
    }
    let amounts = contracts::Entity::find()
        .filter(contracts::Column::TenantId.is_in(tenants.to_vec()))
        .all(conn)
        .await?;
    let pays = payments::Entity::find()
        .filter(payments::Column::TenantId.is_in(tenants.to_vec()))
        .all(conn)
        .await?;
    for c in amounts.iter().filter(|c| c.cancelled_at.is_none()) {
        let paid: i64 = pays
            .iter()
            .filter(|p| p.contract_id == c.id)
            .map(|p| p.amount_fen)
            .sum();
        *out.entry(c.tenant_id).or_insert(0) += (c.amount_fen - paid).max(0);
    }
    Ok(out)
}

/// An amount in fen as a plain number of yuan for spreadsheets: `1234.50`.
pub fn yuan_plain(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// An amount in fen as people read it: `¥1,234.50`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let abs = fen.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", abs % 100)
}

#[cfg(test)]
mod yuan_tests {
    #[test]
    fn fen_read_as_yuan() {
        assert_eq!(super::yuan(16_329), "¥163.29");
        assert_eq!(super::yuan(100), "¥1.00");
        assert_eq!(super::yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(super::yuan(-5), "-¥0.05");
    }
}
