//! `page_versions`: immutable published versions of a page.
use sea_orm::entity::prelude::*;

/// A row of `page_versions`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "page_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub page_id: Uuid,
    pub version: i32,
    pub title: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub navigation_bar: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub layout: Json,
    pub published_at: DateTimeUtc,
    pub published_by: Option<Uuid>,
    pub rendered: Option<String>,
    pub rendered_etag: Option<String>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
