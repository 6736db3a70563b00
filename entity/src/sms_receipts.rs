//! `sms_receipts`: A delivery receipt as pushed, keyed by the provider's `sid`.
use sea_orm::entity::prelude::*;

/// A row of `sms_receipts`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_receipts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub sid: String,
    pub tenant_id: Option<Uuid>,
    pub payload: Json,
    pub received_at: DateTimeUtc,
    pub applied_at: Option<DateTimeUtc>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
