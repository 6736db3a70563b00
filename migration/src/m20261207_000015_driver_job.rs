//! The job that drives a deploy run or a roll-out: the driver's lease is that job's lease
//! (kept alive by its heartbeat, given back when the job is released at a graceful stop,
//! over when a killed process's lease runs out) instead of a fixed two minutes.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum DeployRuns {
    Table,
    DriverJobId,
}

#[derive(DeriveIden)]
enum Rollouts {
    Table,
    DriverJobId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(DeployRuns::Table)
                    .add_column(ColumnDef::new(DeployRuns::DriverJobId).uuid().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Rollouts::Table)
                    .add_column(ColumnDef::new(Rollouts::DriverJobId).uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(DeployRuns::Table)
                    .drop_column(DeployRuns::DriverJobId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Rollouts::Table)
                    .drop_column(Rollouts::DriverJobId)
                    .to_owned(),
            )
            .await
    }
}
