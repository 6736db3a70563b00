//! The web console and the mini-program: a spent refresh token keeps its successor
//! (sealed with the vault) for a few seconds, so two tabs refreshing with the same token,
//! or a refresh whose answer was lost, get the same new token instead of a revoked
//! session; a code template keeps the component types its package renders.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    SuccessorSealed,
}

#[derive(DeriveIden)]
enum CodeTemplates {
    Table,
    SupportedTypes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .add_column(ColumnDef::new(RefreshTokens::SuccessorSealed).text().null())
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(CodeTemplates::Table)
                    .add_column(ColumnDef::new(CodeTemplates::SupportedTypes).json().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CodeTemplates::Table)
                    .drop_column(CodeTemplates::SupportedTypes)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RefreshTokens::Table)
                    .drop_column(RefreshTokens::SuccessorSealed)
                    .to_owned(),
            )
            .await
    }
}
