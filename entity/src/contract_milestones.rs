//! `contract_milestones`: the payment schedule of a contract.
use sea_orm::entity::prelude::*;

/// A row of `contract_milestones`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contract_milestones")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contract_id: Uuid,
    pub tenant_id: Uuid,
    pub seq: i32,
    pub label: String,
    pub amount_fen: i64,
    pub due_date: Date,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
