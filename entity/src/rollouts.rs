//! `rollouts`: A fleet roll-out of a code template.
use sea_orm::entity::prelude::*;

/// A row of `rollouts`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rollouts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub template_id: i64,
    pub user_version: String,
    pub status: String,
    pub paused_reason: Option<String>,
    pub concurrency: i32,
    pub per_minute: i32,
    pub driver_until: Option<DateTimeUtc>,
    pub driver_job_id: Option<Uuid>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
