//! `page_asset_refs`: which assets a page draft (version 0) or version references.
use sea_orm::entity::prelude::*;

/// A row of `page_asset_refs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "page_asset_refs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub page_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub asset_id: String,
    pub tenant_id: Uuid,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
