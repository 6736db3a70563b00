//! `notifications`: one in-system notice, rendered once, delivered to its recipients'
//! inboxes by a job.
use sea_orm::entity::prelude::*;

/// A row of `notifications`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub audience: String,
    pub plan_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub data: Json,
    #[sea_orm(unique)]
    pub dedup_key: Option<String>,
    pub status: String,
    pub recipients: Option<i32>,
    pub created_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
    pub delivered_at: Option<DateTimeUtc>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
