//! `rollout_targets`: One tenant of a roll-out and the run started for it.
use sea_orm::entity::prelude::*;

/// A row of `rollout_targets`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rollout_targets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub rollout_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub status: String,
    pub run_id: Option<Uuid>,
    pub reason: Option<String>,
    pub updated_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
