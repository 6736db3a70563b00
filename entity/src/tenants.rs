//! `tenants`: one merchant; the row outlives deletion as a tombstone.
use sea_orm::entity::prelude::*;

/// A tenant row.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub business_name: String,
    pub status: String,
    pub account_manager_id: Option<Uuid>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub plan_version_id: Option<Uuid>,
    #[sea_orm(unique)]
    pub appid: Option<String>,
    pub term_end_date: Option<Date>,
    pub status_changed_at: DateTimeUtc,
    /// 00:00 Asia/Shanghai after the end date, when it was frozen.
    pub frozen_at: Option<DateTimeUtc>,
    /// When its data is deleted; empty while the calendar does not reach far enough.
    pub delete_after: Option<DateTimeUtc>,
    /// When the purge finished (the row is a tombstone from then on).
    pub deleted_at: Option<DateTimeUtc>,
    /// Why the status last changed (`term_ended`, `grace_period_over`, …).
    pub status_cause: Option<String>,
    /// Who changed it last (`system` or a username).
    pub status_actor: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
