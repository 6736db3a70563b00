//! `agency_branding`: the agency's name and logo (one row, id 1).
use sea_orm::entity::prelude::*;

/// The row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agency_branding")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub name: Option<String>,
    pub logo_key: Option<String>,
    pub logo_content_type: Option<String>,
    pub logo_sha256: Option<String>,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<Uuid>,
}

/// No navigable relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
