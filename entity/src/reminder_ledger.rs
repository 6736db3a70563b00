//! `reminder_ledger`: the permanent record of renewal reminders, one row per contract and
//! offset (30 or 7 days). Kept with the contracts it belongs to.
use sea_orm::entity::prelude::*;

/// A row of `reminder_ledger`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_ledger")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub contract_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub offset_days: i32,
    pub end_date: Date,
    pub notification_id: Option<Uuid>,
    pub sent_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
