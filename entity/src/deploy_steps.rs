//! `deploy_steps`: One step of a deploy run, recorded in flight before its WeChat call.
use sea_orm::entity::prelude::*;

/// A row of `deploy_steps`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deploy_steps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub run_id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub status: String,
    pub attempts: i32,
    pub detail: Option<Json>,
    pub errcode: Option<i64>,
    pub error: Option<String>,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
