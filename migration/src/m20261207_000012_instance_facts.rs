//! Facts the instances agree on across restarts, e.g. the public base URL the published
//! documents were rendered with (a change re-renders them).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InstanceFacts {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(InstanceFacts::Table)
                    .col(string_len(InstanceFacts::Key, 64).primary_key())
                    .col(text(InstanceFacts::Value))
                    .col(timestamp_with_time_zone(InstanceFacts::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(InstanceFacts::Table).to_owned())
            .await
    }
}
