//! Staff contact details (a merchant sees its account manager's phone and e-mail) and the
//! agency's branding (its name and logo on the sign-in page and the console header).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Phone,
    Email,
}

#[derive(DeriveIden)]
enum AgencyBranding {
    Table,
    Id,
    Name,
    LogoKey,
    LogoContentType,
    LogoSha256,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one at a time.
        for column in [Users::Phone, Users::Email] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(ColumnDef::new(column).string().null())
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(AgencyBranding::Table)
                    // One row (id 1): the agency running this instance.
                    .col(
                        ColumnDef::new(AgencyBranding::Id)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(AgencyBranding::Name).string().null())
                    .col(ColumnDef::new(AgencyBranding::LogoKey).string().null())
                    .col(
                        ColumnDef::new(AgencyBranding::LogoContentType)
                            .string()
                            .null(),
                    )
                    .col(ColumnDef::new(AgencyBranding::LogoSha256).string().null())
                    .col(
                        ColumnDef::new(AgencyBranding::UpdatedAt)
                            .timestamp_with_time_zone()
                            .not_null(),
                    )
                    .col(ColumnDef::new(AgencyBranding::UpdatedBy).uuid().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AgencyBranding::Table).to_owned())
            .await?;
        for column in [Users::Email, Users::Phone] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
