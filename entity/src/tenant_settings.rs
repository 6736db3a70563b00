//! `tenant_settings`: per-tenant tab bar and theme.
use sea_orm::entity::prelude::*;

/// A row of `tenant_settings`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(column_type = "JsonBinary")]
    pub tab_bar: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub theme: Json,
    pub revision: i32,
    pub content_version: i64,
    pub app_config: Option<String>,
    pub app_config_etag: Option<String>,

    pub updated_at: DateTimeUtc,
    pub updated_by: Option<Uuid>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
