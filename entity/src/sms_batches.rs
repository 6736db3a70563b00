//! `sms_batches`: One send: a template with its values to one or many numbers.
use sea_orm::entity::prelude::*;

/// A row of `sms_batches`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_batches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub origin: String,
    pub template_id: Uuid,
    pub provider_template_id: String,
    pub params: Json,
    pub sign_name: String,
    pub text: String,
    pub units: i32,
    pub segments_each: i32,
    pub dedup_key: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub requested: i32,
    pub accepted: i32,
    pub answer: Json,
    pub chunks: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
