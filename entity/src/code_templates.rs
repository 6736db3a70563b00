//! `code_templates`: The agency's code templates; one is current (what deploys commit).
use sea_orm::entity::prelude::*;

/// A row of `code_templates`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "code_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub template_id: i64,
    pub user_version: String,
    pub user_desc: String,
    pub is_current: bool,
    /// The component types its package renders (the package's `supported-types.json`).
    pub supported_types: Option<Json>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
