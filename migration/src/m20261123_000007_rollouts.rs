//! Fleet roll-outs: a new code template deployed to every active, bound tenant as a
//! throttled batch of deploy runs, one target row per tenant.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Rollouts {
    Table,
    Id,
    TemplateId,
    UserVersion,
    Status,
    PausedReason,
    Concurrency,
    PerMinute,
    DriverUntil,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum RolloutTargets {
    Table,
    RolloutId,
    TenantId,
    Status,
    RunId,
    Reason,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Rollouts::Table)
                    .col(pk_uuid(Rollouts::Id))
                    .col(big_integer(Rollouts::TemplateId))
                    .col(string_len(Rollouts::UserVersion, 64))
                    .col(string_len(Rollouts::Status, 16))
                    .col(text_null(Rollouts::PausedReason))
                    .col(integer(Rollouts::Concurrency))
                    .col(integer(Rollouts::PerMinute))
                    .col(timestamp_with_time_zone_null(Rollouts::DriverUntil))
                    .col(uuid_null(Rollouts::CreatedBy))
                    .col(timestamp_with_time_zone(Rollouts::CreatedAt))
                    .col(timestamp_with_time_zone(Rollouts::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Rollouts::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RolloutTargets::Table)
                    .col(uuid(RolloutTargets::RolloutId))
                    .col(uuid(RolloutTargets::TenantId))
                    .col(string_len(RolloutTargets::Status, 16))
                    .col(uuid_null(RolloutTargets::RunId))
                    .col(text_null(RolloutTargets::Reason))
                    .col(timestamp_with_time_zone(RolloutTargets::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(RolloutTargets::RolloutId)
                            .col(RolloutTargets::TenantId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_rollout_targets_tenant")
                    .table(RolloutTargets::Table)
                    .col(RolloutTargets::TenantId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RolloutTargets::Table.into_iden(),
            Rollouts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
