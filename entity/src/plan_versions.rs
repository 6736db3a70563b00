//! `plan_versions`: immutable terms of a plan (price, apps, quotas); a change makes a new version.
use sea_orm::entity::prelude::*;

/// A row of `plan_versions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "plan_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub plan_id: Uuid,
    pub version: i32,
    #[sea_orm(column_type = "JsonBinary")]
    pub apps: Json,
    pub page_quota: i32,
    pub storage_quota_bytes: i64,
    pub client_rps: i32,
    pub sms_segments_per_year: i64,
    pub yearly_price_fen: i64,
    pub sms_overage_millifen: i64,
    pub sms_overage_allowed: bool,
    pub created_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
