//! `contact_changes`: history of merchant-contact and account-manager changes (phones masked).
use sea_orm::entity::prelude::*;

/// A row of `contact_changes`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "contact_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: String,
    pub changed_at: DateTimeUtc,
    pub changed_by: Option<Uuid>,
    pub changed_by_name: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub before: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub after: Json,
    pub request_id: Option<String>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
