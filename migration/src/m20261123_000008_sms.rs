//! SMS: agency-managed templates, batches and per-number message records (kept 6 months),
//! delivery receipts, each tenant's yearly pack and the monthly billing statistics (which
//! outlive the tenant).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SmsTemplates {
    Table,
    Id,
    Name,
    ProviderTemplateId,
    Text,
    Params,
    Usage,
    Enabled,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SmsBatches {
    Table,
    Id,
    TenantId,
    Origin,
    TemplateId,
    ProviderTemplateId,
    Params,
    SignName,
    Text,
    Units,
    SegmentsEach,
    DedupKey,
    IdempotencyKey,
    RequestHash,
    Requested,
    Accepted,
    Answer,
    Chunks,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SmsMessages {
    Table,
    Id,
    BatchId,
    TenantId,
    Origin,
    Chunk,
    Phone,
    PhoneMasked,
    Status,
    Segments,
    PackSegments,
    OverageSegments,
    OverageMillifen,
    PackYear,
    Month,
    SerialNo,
    Fee,
    Code,
    Message,
    RequestId,
    ReceiptStatus,
    ReceiptCode,
    CreatedAt,
    SubmittedAt,
    ReceiptAt,
}

#[derive(DeriveIden)]
enum SmsReceipts {
    Table,
    Sid,
    TenantId,
    Payload,
    ReceivedAt,
    AppliedAt,
}

#[derive(DeriveIden)]
enum SmsPacks {
    Table,
    TenantId,
    Year,
    Used,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SmsUsageMonthly {
    Table,
    TenantId,
    Month,
    Sent,
    Delivered,
    Failed,
    Segments,
    PackUsed,
    OverageSegments,
    OverageMillifen,
    NoticeSent,
    NoticeSegments,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SmsTemplates::Table)
                    .col(pk_uuid(SmsTemplates::Id))
                    .col(string_len(SmsTemplates::Name, 64))
                    .col(string_len(SmsTemplates::ProviderTemplateId, 32))
                    .col(text(SmsTemplates::Text))
                    .col(json_binary(SmsTemplates::Params))
                    .col(string_len(SmsTemplates::Usage, 32))
                    .col(boolean(SmsTemplates::Enabled))
                    .col(uuid_null(SmsTemplates::CreatedBy))
                    .col(timestamp_with_time_zone(SmsTemplates::CreatedAt))
                    .col(timestamp_with_time_zone(SmsTemplates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsBatches::Table)
                    .col(pk_uuid(SmsBatches::Id))
                    .col(uuid(SmsBatches::TenantId))
                    .col(string_len(SmsBatches::Origin, 16))
                    .col(uuid(SmsBatches::TemplateId))
                    .col(string_len(SmsBatches::ProviderTemplateId, 32))
                    .col(json_binary(SmsBatches::Params))
                    .col(string_len(SmsBatches::SignName, 32))
                    .col(text(SmsBatches::Text))
                    .col(integer(SmsBatches::Units))
                    .col(integer(SmsBatches::SegmentsEach))
                    .col(string_len_null(SmsBatches::DedupKey, 128))
                    .col(string_len_null(SmsBatches::IdempotencyKey, 128))
                    .col(string_len_null(SmsBatches::RequestHash, 64))
                    .col(integer(SmsBatches::Requested))
                    .col(integer(SmsBatches::Accepted))
                    .col(json_binary(SmsBatches::Answer))
                    .col(integer(SmsBatches::Chunks))
                    .col(uuid_null(SmsBatches::CreatedBy))
                    .col(timestamp_with_time_zone(SmsBatches::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsMessages::Table)
                    .col(pk_uuid(SmsMessages::Id))
                    .col(uuid(SmsMessages::BatchId))
                    .col(uuid(SmsMessages::TenantId))
                    .col(string_len(SmsMessages::Origin, 16))
                    .col(integer(SmsMessages::Chunk))
                    .col(string_len(SmsMessages::Phone, 20))
                    .col(string_len(SmsMessages::PhoneMasked, 20))
                    .col(string_len(SmsMessages::Status, 16))
                    .col(integer(SmsMessages::Segments))
                    .col(integer(SmsMessages::PackSegments))
                    .col(integer(SmsMessages::OverageSegments))
                    .col(big_integer(SmsMessages::OverageMillifen))
                    .col(integer(SmsMessages::PackYear))
                    .col(string_len(SmsMessages::Month, 7))
                    .col(string_len_null(SmsMessages::SerialNo, 64))
                    .col(integer_null(SmsMessages::Fee))
                    .col(string_len_null(SmsMessages::Code, 96))
                    .col(text_null(SmsMessages::Message))
                    .col(string_len_null(SmsMessages::RequestId, 64))
                    .col(string_len_null(SmsMessages::ReceiptStatus, 16))
                    .col(string_len_null(SmsMessages::ReceiptCode, 32))
                    .col(timestamp_with_time_zone(SmsMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(SmsMessages::SubmittedAt))
                    .col(timestamp_with_time_zone_null(SmsMessages::ReceiptAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsReceipts::Table)
                    .col(string_len(SmsReceipts::Sid, 64).primary_key())
                    .col(uuid_null(SmsReceipts::TenantId))
                    .col(json_binary(SmsReceipts::Payload))
                    .col(timestamp_with_time_zone(SmsReceipts::ReceivedAt))
                    .col(timestamp_with_time_zone_null(SmsReceipts::AppliedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsPacks::Table)
                    .col(uuid(SmsPacks::TenantId))
                    .col(integer(SmsPacks::Year))
                    .col(big_integer(SmsPacks::Used))
                    .col(timestamp_with_time_zone(SmsPacks::UpdatedAt))
                    .primary_key(Index::create().col(SmsPacks::TenantId).col(SmsPacks::Year))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SmsUsageMonthly::Table)
                    .col(uuid(SmsUsageMonthly::TenantId))
                    .col(string_len(SmsUsageMonthly::Month, 7))
                    .col(big_integer(SmsUsageMonthly::Sent))
                    .col(big_integer(SmsUsageMonthly::Delivered))
                    .col(big_integer(SmsUsageMonthly::Failed))
                    .col(big_integer(SmsUsageMonthly::Segments))
                    .col(big_integer(SmsUsageMonthly::PackUsed))
                    .col(big_integer(SmsUsageMonthly::OverageSegments))
                    .col(big_integer(SmsUsageMonthly::OverageMillifen))
                    .col(big_integer(SmsUsageMonthly::NoticeSent))
                    .col(big_integer(SmsUsageMonthly::NoticeSegments))
                    .primary_key(
                        Index::create()
                            .col(SmsUsageMonthly::TenantId)
                            .col(SmsUsageMonthly::Month),
                    )
                    .to_owned(),
            )
            .await?;
        let indexes = [
            Index::create()
                .name("uq_sms_batches_dedup")
                .table(SmsBatches::Table)
                .col(SmsBatches::DedupKey)
                .unique()
                .to_owned(),
            Index::create()
                .name("uq_sms_batches_idempotency")
                .table(SmsBatches::Table)
                .col(SmsBatches::TenantId)
                .col(SmsBatches::IdempotencyKey)
                .unique()
                .to_owned(),
            Index::create()
                .name("idx_sms_batches_created")
                .table(SmsBatches::Table)
                .col(SmsBatches::CreatedAt)
                .to_owned(),
            Index::create()
                .name("idx_sms_messages_batch_chunk")
                .table(SmsMessages::Table)
                .col(SmsMessages::BatchId)
                .col(SmsMessages::Chunk)
                .to_owned(),
            Index::create()
                .name("idx_sms_messages_serial")
                .table(SmsMessages::Table)
                .col(SmsMessages::SerialNo)
                .to_owned(),
            Index::create()
                .name("idx_sms_messages_created")
                .table(SmsMessages::Table)
                .col(SmsMessages::CreatedAt)
                .to_owned(),
            Index::create()
                .name("idx_sms_messages_tenant")
                .table(SmsMessages::Table)
                .col(SmsMessages::TenantId)
                .col(SmsMessages::Id)
                .to_owned(),
            Index::create()
                .name("idx_sms_receipts_received")
                .table(SmsReceipts::Table)
                .col(SmsReceipts::ReceivedAt)
                .to_owned(),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SmsUsageMonthly::Table.into_iden(),
            SmsPacks::Table.into_iden(),
            SmsReceipts::Table.into_iden(),
            SmsMessages::Table.into_iden(),
            SmsBatches::Table.into_iden(),
            SmsTemplates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
