//! `payments`: payments recorded by staff (survive deletion for accounting).
use sea_orm::entity::prelude::*;

/// A row of `payments`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub contract_id: Uuid,
    pub tenant_id: Uuid,
    pub amount_fen: i64,
    pub method: String,
    pub reference: String,
    pub paid_on: Date,
    pub idempotency_key: Option<String>,
    pub request_fingerprint: String,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Option<Uuid>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
