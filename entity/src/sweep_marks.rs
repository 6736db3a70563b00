//! `sweep_marks`: which periodic sweep finished which period (once-a-day work).
use sea_orm::entity::prelude::*;

/// A row of `sweep_marks`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sweep_marks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sweep: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub period: String,
    pub done_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
