//! `sms_usage_monthly`: SMS statistics of a tenant and month (Asia/Shanghai); survives the tenant.
use sea_orm::entity::prelude::*;

/// A row of `sms_usage_monthly`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_usage_monthly")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    pub sent: i64,
    pub delivered: i64,
    pub failed: i64,
    pub segments: i64,
    pub pack_used: i64,
    pub overage_segments: i64,
    pub overage_millifen: i64,
    pub notice_sent: i64,
    pub notice_segments: i64,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
