//! `sms_messages`: One number of a batch: its status, billing and receipt (kept 6 months).
use sea_orm::entity::prelude::*;

/// A row of `sms_messages`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sms_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub batch_id: Uuid,
    pub tenant_id: Uuid,
    pub origin: String,
    pub chunk: i32,
    pub phone: String,
    pub phone_masked: String,
    pub status: String,
    pub segments: i32,
    pub pack_segments: i32,
    pub overage_segments: i32,
    pub overage_millifen: i64,
    pub pack_year: i32,
    pub month: String,
    pub serial_no: Option<String>,
    pub fee: Option<i32>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub request_id: Option<String>,
    pub receipt_status: Option<String>,
    pub receipt_code: Option<String>,
    pub created_at: DateTimeUtc,
    pub submitted_at: Option<DateTimeUtc>,
    pub receipt_at: Option<DateTimeUtc>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
