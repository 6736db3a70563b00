//! Calendar years in the database: the State Council's arrangement for a year the binary
//! does not ship, added by an agency admin through the API and in force on every instance
//! at its next tick.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CalendarYears {
    Table,
    Year,
    Holidays,
    Workdays,
    Source,
    Revision,
    UpdatedBy,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CalendarYears::Table)
                    .col(integer(CalendarYears::Year).primary_key())
                    .col(json_binary(CalendarYears::Holidays))
                    .col(json_binary(CalendarYears::Workdays))
                    .col(text_null(CalendarYears::Source))
                    .col(integer(CalendarYears::Revision))
                    .col(uuid_null(CalendarYears::UpdatedBy))
                    .col(timestamp_with_time_zone(CalendarYears::CreatedAt))
                    .col(timestamp_with_time_zone(CalendarYears::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CalendarYears::Table).to_owned())
            .await
    }
}
