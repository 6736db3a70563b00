//! WeChat publishing: the agency's code templates, deploy runs (commit → audit → release)
//! with one row per step, recorded in flight before each call so a restart can reconcile.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CodeTemplates {
    Table,
    Id,
    TemplateId,
    UserVersion,
    UserDesc,
    IsCurrent,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DeployRuns {
    Table,
    Id,
    TenantId,
    Appid,
    TemplateId,
    UserVersion,
    UserDesc,
    Status,
    Step,
    AutoRelease,
    Auditid,
    AuditReason,
    GrayPercentage,
    QrKey,
    Errcode,
    ErrorMessage,
    RequestedBy,
    RolloutId,
    DriverUntil,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum DeploySteps {
    Table,
    Id,
    RunId,
    TenantId,
    Name,
    Status,
    Attempts,
    Detail,
    Errcode,
    Error,
    StartedAt,
    FinishedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CodeTemplates::Table)
                    .col(pk_uuid(CodeTemplates::Id))
                    .col(big_integer(CodeTemplates::TemplateId))
                    .col(string_len(CodeTemplates::UserVersion, 64))
                    .col(text(CodeTemplates::UserDesc))
                    .col(boolean(CodeTemplates::IsCurrent))
                    .col(uuid_null(CodeTemplates::CreatedBy))
                    .col(timestamp_with_time_zone(CodeTemplates::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeployRuns::Table)
                    .col(pk_uuid(DeployRuns::Id))
                    .col(uuid(DeployRuns::TenantId))
                    .col(string_len(DeployRuns::Appid, 64))
                    .col(big_integer(DeployRuns::TemplateId))
                    .col(string_len(DeployRuns::UserVersion, 64))
                    .col(text(DeployRuns::UserDesc))
                    .col(string_len(DeployRuns::Status, 24))
                    .col(string_len(DeployRuns::Step, 24))
                    .col(boolean(DeployRuns::AutoRelease))
                    .col(big_integer_null(DeployRuns::Auditid))
                    .col(text_null(DeployRuns::AuditReason))
                    .col(integer_null(DeployRuns::GrayPercentage))
                    .col(text_null(DeployRuns::QrKey))
                    .col(big_integer_null(DeployRuns::Errcode))
                    .col(text_null(DeployRuns::ErrorMessage))
                    .col(uuid_null(DeployRuns::RequestedBy))
                    .col(uuid_null(DeployRuns::RolloutId))
                    .col(timestamp_with_time_zone_null(DeployRuns::DriverUntil))
                    .col(timestamp_with_time_zone(DeployRuns::CreatedAt))
                    .col(timestamp_with_time_zone(DeployRuns::UpdatedAt))
                    .col(timestamp_with_time_zone_null(DeployRuns::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deploy_runs_tenant")
                    .table(DeployRuns::Table)
                    .col(DeployRuns::TenantId)
                    .col(DeployRuns::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_deploy_runs_status")
                    .table(DeployRuns::Table)
                    .col(DeployRuns::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DeploySteps::Table)
                    .col(pk_uuid(DeploySteps::Id))
                    .col(uuid(DeploySteps::RunId))
                    .col(uuid(DeploySteps::TenantId))
                    .col(string_len(DeploySteps::Name, 24))
                    .col(string_len(DeploySteps::Status, 16))
                    .col(integer(DeploySteps::Attempts))
                    .col(json_binary_null(DeploySteps::Detail))
                    .col(big_integer_null(DeploySteps::Errcode))
                    .col(text_null(DeploySteps::Error))
                    .col(timestamp_with_time_zone(DeploySteps::StartedAt))
                    .col(timestamp_with_time_zone_null(DeploySteps::FinishedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_deploy_steps_run_name")
                    .table(DeploySteps::Table)
                    .col(DeploySteps::RunId)
                    .col(DeploySteps::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            DeploySteps::Table.into_iden(),
            DeployRuns::Table.into_iden(),
            CodeTemplates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
