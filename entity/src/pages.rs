//! `pages`: a merchant page: its draft and which version is live.
use sea_orm::entity::prelude::*;

/// A row of `pages`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "pages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub slug: String,
    pub title: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub navigation_bar: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub draft_layout: Json,
    pub revision: i32,
    pub published_version: Option<i32>,
    pub is_published: bool,
    pub taken_down_at: Option<DateTimeUtc>,
    pub takedown_reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<Uuid>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
