//! Agency side: plans and their versions, contracts with milestones, payments, contact
//! history, and the ledger of periodic sweeps.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    Name,
    RetiredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PlanVersions {
    Table,
    Id,
    PlanId,
    Version,
    Apps,
    PageQuota,
    StorageQuotaBytes,
    ClientRps,
    SmsSegmentsPerYear,
    YearlyPriceFen,
    SmsOverageMillifen,
    SmsOverageAllowed,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum Contracts {
    Table,
    Id,
    TenantId,
    Sequence,
    PlanVersionId,
    StartDate,
    EndDate,
    OriginalEndDate,
    ListAmountFen,
    DiscountFen,
    AmountFen,
    PaymentMethod,
    LateFeeBpPerDay,
    OverdueToleranceDays,
    NoticePeriodDays,
    ActivationRule,
    ActivatedAt,
    TerminatedAt,
    TerminationReference,
    CancelledAt,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum ContractMilestones {
    Table,
    Id,
    ContractId,
    TenantId,
    Seq,
    Label,
    AmountFen,
    DueDate,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
    ContractId,
    TenantId,
    AmountFen,
    Method,
    Reference,
    PaidOn,
    IdempotencyKey,
    RequestFingerprint,
    RecordedAt,
    RecordedBy,
}

#[derive(DeriveIden)]
enum ContactChanges {
    Table,
    Id,
    TenantId,
    Kind,
    ChangedAt,
    ChangedBy,
    ChangedByName,
    Before,
    After,
    RequestId,
}

#[derive(DeriveIden)]
enum SweepMarks {
    Table,
    Sweep,
    Period,
    DoneAt,
}

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Plans::Table)
                    .col(pk_uuid(Plans::Id))
                    .col(string_len(Plans::Name, 100))
                    .col(timestamp_with_time_zone_null(Plans::RetiredAt))
                    .col(timestamp_with_time_zone(Plans::CreatedAt))
                    .col(timestamp_with_time_zone(Plans::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlanVersions::Table)
                    .col(pk_uuid(PlanVersions::Id))
                    .col(uuid(PlanVersions::PlanId))
                    .col(integer(PlanVersions::Version))
                    .col(json_binary(PlanVersions::Apps))
                    .col(integer(PlanVersions::PageQuota))
                    .col(big_integer(PlanVersions::StorageQuotaBytes))
                    .col(integer(PlanVersions::ClientRps))
                    .col(big_integer(PlanVersions::SmsSegmentsPerYear))
                    .col(big_integer(PlanVersions::YearlyPriceFen))
                    .col(big_integer(PlanVersions::SmsOverageMillifen))
                    .col(boolean(PlanVersions::SmsOverageAllowed))
                    .col(timestamp_with_time_zone(PlanVersions::CreatedAt))
                    .col(uuid_null(PlanVersions::CreatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PlanVersions::Table, PlanVersions::PlanId)
                            .to(Plans::Table, Plans::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_plan_versions_plan_version")
                    .table(PlanVersions::Table)
                    .col(PlanVersions::PlanId)
                    .col(PlanVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Contracts::Table)
                    .col(pk_uuid(Contracts::Id))
                    .col(uuid(Contracts::TenantId))
                    .col(integer(Contracts::Sequence))
                    .col(uuid(Contracts::PlanVersionId))
                    .col(date(Contracts::StartDate))
                    .col(date(Contracts::EndDate))
                    .col(date_null(Contracts::OriginalEndDate))
                    .col(big_integer(Contracts::ListAmountFen))
                    .col(big_integer(Contracts::DiscountFen))
                    .col(big_integer(Contracts::AmountFen))
                    .col(string_len(Contracts::PaymentMethod, 16))
                    .col(integer(Contracts::LateFeeBpPerDay))
                    .col(integer(Contracts::OverdueToleranceDays))
                    .col(integer(Contracts::NoticePeriodDays))
                    .col(string_len(Contracts::ActivationRule, 16))
                    .col(timestamp_with_time_zone_null(Contracts::ActivatedAt))
                    .col(timestamp_with_time_zone_null(Contracts::TerminatedAt))
                    .col(text_null(Contracts::TerminationReference))
                    .col(timestamp_with_time_zone_null(Contracts::CancelledAt))
                    .col(timestamp_with_time_zone(Contracts::CreatedAt))
                    .col(uuid_null(Contracts::CreatedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contracts::Table, Contracts::TenantId)
                            .to(Tenants::Table, Tenants::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Contracts::Table, Contracts::PlanVersionId)
                            .to(PlanVersions::Table, PlanVersions::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_contracts_tenant_sequence")
                    .table(Contracts::Table)
                    .col(Contracts::TenantId)
                    .col(Contracts::Sequence)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContractMilestones::Table)
                    .col(pk_uuid(ContractMilestones::Id))
                    .col(uuid(ContractMilestones::ContractId))
                    .col(uuid(ContractMilestones::TenantId))
                    .col(integer(ContractMilestones::Seq))
                    .col(string_len(ContractMilestones::Label, 100))
                    .col(big_integer(ContractMilestones::AmountFen))
                    .col(date(ContractMilestones::DueDate))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ContractMilestones::Table, ContractMilestones::ContractId)
                            .to(Contracts::Table, Contracts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contract_milestones_contract")
                    .table(ContractMilestones::Table)
                    .col(ContractMilestones::ContractId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .col(pk_uuid(Payments::Id))
                    .col(uuid(Payments::ContractId))
                    .col(uuid(Payments::TenantId))
                    .col(big_integer(Payments::AmountFen))
                    .col(string_len(Payments::Method, 16))
                    .col(string_len(Payments::Reference, 200))
                    .col(date(Payments::PaidOn))
                    .col(string_len_null(Payments::IdempotencyKey, 200))
                    .col(string_len(Payments::RequestFingerprint, 64))
                    .col(timestamp_with_time_zone(Payments::RecordedAt))
                    .col(uuid_null(Payments::RecordedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Payments::Table, Payments::ContractId)
                            .to(Contracts::Table, Contracts::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_payments_tenant_idempotency_key")
                    .table(Payments::Table)
                    .col(Payments::TenantId)
                    .col(Payments::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payments_contract")
                    .table(Payments::Table)
                    .col(Payments::ContractId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ContactChanges::Table)
                    .col(pk_uuid(ContactChanges::Id))
                    .col(uuid(ContactChanges::TenantId))
                    .col(string_len(ContactChanges::Kind, 32))
                    .col(timestamp_with_time_zone(ContactChanges::ChangedAt))
                    .col(uuid_null(ContactChanges::ChangedBy))
                    .col(string_len(ContactChanges::ChangedByName, 64))
                    .col(json_binary(ContactChanges::Before))
                    .col(json_binary(ContactChanges::After))
                    .col(string_len_null(ContactChanges::RequestId, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_contact_changes_tenant")
                    .table(ContactChanges::Table)
                    .col(ContactChanges::TenantId)
                    .col(ContactChanges::ChangedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SweepMarks::Table)
                    .col(string_len(SweepMarks::Sweep, 64))
                    .col(string_len(SweepMarks::Period, 32))
                    .col(timestamp_with_time_zone(SweepMarks::DoneAt))
                    .primary_key(
                        Index::create()
                            .col(SweepMarks::Sweep)
                            .col(SweepMarks::Period),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SweepMarks::Table.into_iden(),
            ContactChanges::Table.into_iden(),
            Payments::Table.into_iden(),
            ContractMilestones::Table.into_iden(),
            Contracts::Table.into_iden(),
            PlanVersions::Table.into_iden(),
            Plans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
