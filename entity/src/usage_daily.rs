//! `usage_daily`: client API traffic per tenant, day (Asia/Shanghai) and page.
use sea_orm::entity::prelude::*;

/// A row of `usage_daily`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_daily")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub page_slug: String,
    pub requests: i64,
    pub throttled: i64,
    pub not_modified: i64,
    pub page_views: i64,
    pub asset_requests: i64,
    pub asset_throttled: i64,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
