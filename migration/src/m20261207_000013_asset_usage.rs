//! Phone-facing asset requests are metered apart from page documents: their own counters
//! in `usage_daily`, so images neither use up nor inflate the page figures.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsageDaily {
    Table,
    AssetRequests,
    AssetThrottled,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [UsageDaily::AssetRequests, UsageDaily::AssetThrottled] {
            manager
                .alter_table(
                    Table::alter()
                        .table(UsageDaily::Table)
                        .add_column(ColumnDef::new(column).big_integer().not_null().default(0))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [UsageDaily::AssetThrottled, UsageDaily::AssetRequests] {
            manager
                .alter_table(
                    Table::alter()
                        .table(UsageDaily::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
