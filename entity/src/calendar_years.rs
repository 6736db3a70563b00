//! `calendar_years`: a year's holiday arrangement added through the API (holidays and
//! weekend make-up working days as ISO dates). The binary's shipped years take precedence.
use sea_orm::entity::prelude::*;

/// A row of `calendar_years`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "calendar_years")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub holidays: Json,
    pub workdays: Json,
    pub source: Option<String>,
    pub revision: i32,
    pub updated_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
