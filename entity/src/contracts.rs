//! `contracts`: one term of a tenant (survives deletion for accounting).
use sea_orm::entity::prelude::*;

/// A row of `contracts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub sequence: i32,
    pub plan_version_id: Uuid,
    pub start_date: Date,
    pub end_date: Date,
    pub original_end_date: Option<Date>,
    pub list_amount_fen: i64,
    pub discount_fen: i64,
    pub amount_fen: i64,
    pub payment_method: String,
    pub late_fee_bp_per_day: i32,
    pub overdue_tolerance_days: i32,
    pub notice_period_days: i32,
    pub activation_rule: String,
    pub activated_at: Option<DateTimeUtc>,
    pub terminated_at: Option<DateTimeUtc>,
    pub termination_reference: Option<String>,
    pub cancelled_at: Option<DateTimeUtc>,
    /// Set when the tenant was purged: the contract ended with it.
    pub ended_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
