//! Subscription lifecycle: freeze and deletion dates on the tenant, in-system notices and
//! their inboxes, the permanent reminder ledger, and tenant exports.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Status,
    TermEndDate,
    FrozenAt,
    DeleteAfter,
    DeletedAt,
    StatusCause,
    StatusActor,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    TenantId,
    Kind,
    Audience,
    PlanId,
    Title,
    Body,
    Data,
    DedupKey,
    Status,
    Recipients,
    CreatedAt,
    CreatedBy,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum NotificationDeliveries {
    Table,
    Id,
    NotificationId,
    UserId,
    TenantId,
    ReadAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReminderLedger {
    Table,
    ContractId,
    OffsetDays,
    EndDate,
    NotificationId,
    SentAt,
}

#[derive(DeriveIden)]
enum Exports {
    Table,
    Id,
    TenantId,
    RequestedBy,
    Status,
    ObjectKey,
    SizeBytes,
    Error,
    CreatedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            timestamp_with_time_zone_null(Tenants::FrozenAt),
            timestamp_with_time_zone_null(Tenants::DeleteAfter),
            timestamp_with_time_zone_null(Tenants::DeletedAt),
            string_len_null(Tenants::StatusCause, 64),
            string_len_null(Tenants::StatusActor, 100),
        ] {
            let mut column = column;
            manager
                .alter_table(
                    Table::alter()
                        .table(Tenants::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_tenants_status_end")
                    .table(Tenants::Table)
                    .col(Tenants::Status)
                    .col(Tenants::TermEndDate)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tenants_status_delete_after")
                    .table(Tenants::Table)
                    .col(Tenants::Status)
                    .col(Tenants::DeleteAfter)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(pk_uuid(Notifications::Id))
                    .col(uuid_null(Notifications::TenantId))
                    .col(string_len(Notifications::Kind, 64))
                    .col(string_len(Notifications::Audience, 32))
                    .col(uuid_null(Notifications::PlanId))
                    .col(string_len(Notifications::Title, 200))
                    .col(text(Notifications::Body))
                    .col(json_binary(Notifications::Data))
                    .col(string_len_null(Notifications::DedupKey, 200))
                    .col(string_len(Notifications::Status, 16))
                    .col(integer_null(Notifications::Recipients))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(uuid_null(Notifications::CreatedBy))
                    .col(timestamp_with_time_zone_null(Notifications::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_notifications_dedup")
                    .table(Notifications::Table)
                    .col(Notifications::DedupKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_tenant")
                    .table(Notifications::Table)
                    .col(Notifications::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(NotificationDeliveries::Table)
                    .col(pk_uuid(NotificationDeliveries::Id))
                    .col(uuid(NotificationDeliveries::NotificationId))
                    .col(uuid(NotificationDeliveries::UserId))
                    .col(uuid_null(NotificationDeliveries::TenantId))
                    .col(timestamp_with_time_zone_null(
                        NotificationDeliveries::ReadAt,
                    ))
                    .col(timestamp_with_time_zone(NotificationDeliveries::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_notification_deliveries_user")
                    .table(NotificationDeliveries::Table)
                    .col(NotificationDeliveries::NotificationId)
                    .col(NotificationDeliveries::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_deliveries_inbox")
                    .table(NotificationDeliveries::Table)
                    .col(NotificationDeliveries::UserId)
                    .col(NotificationDeliveries::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notification_deliveries_tenant")
                    .table(NotificationDeliveries::Table)
                    .col(NotificationDeliveries::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ReminderLedger::Table)
                    .col(uuid(ReminderLedger::ContractId))
                    .col(integer(ReminderLedger::OffsetDays))
                    .col(date(ReminderLedger::EndDate))
                    .col(uuid_null(ReminderLedger::NotificationId))
                    .col(timestamp_with_time_zone(ReminderLedger::SentAt))
                    .primary_key(
                        Index::create()
                            .col(ReminderLedger::ContractId)
                            .col(ReminderLedger::OffsetDays),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Exports::Table)
                    .col(pk_uuid(Exports::Id))
                    .col(uuid(Exports::TenantId))
                    .col(uuid_null(Exports::RequestedBy))
                    .col(string_len(Exports::Status, 16))
                    .col(string_len_null(Exports::ObjectKey, 512))
                    .col(big_integer_null(Exports::SizeBytes))
                    .col(text_null(Exports::Error))
                    .col(timestamp_with_time_zone(Exports::CreatedAt))
                    .col(timestamp_with_time_zone_null(Exports::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_exports_tenant")
                    .table(Exports::Table)
                    .col(Exports::TenantId)
                    .col(Exports::CreatedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
