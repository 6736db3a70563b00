//! Merchant side: pages with drafts and immutable versions, the assets they reference,
//! uploaded assets, and per-tenant settings (tab bar, theme).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Pages {
    Table,
    Id,
    TenantId,
    Slug,
    Title,
    NavigationBar,
    DraftLayout,
    Revision,
    PublishedVersion,
    IsPublished,
    TakenDownAt,
    TakedownReason,
    CreatedAt,
    UpdatedAt,
    UpdatedBy,
}

#[derive(DeriveIden)]
enum PageVersions {
    Table,
    Id,
    TenantId,
    PageId,
    Version,
    Title,
    NavigationBar,
    Layout,
    PublishedAt,
    PublishedBy,
    Rendered,
    RenderedEtag,
}

#[derive(DeriveIden)]
enum UsageDaily {
    Table,
    TenantId,
    Day,
    PageSlug,
    Requests,
    Throttled,
    NotModified,
    PageViews,
}

#[derive(DeriveIden)]
enum PageAssetRefs {
    Table,
    TenantId,
    PageId,
    Version,
    AssetId,
}

#[derive(DeriveIden)]
enum Assets {
    Table,
    Id,
    TenantId,
    Kind,
    ContentType,
    SizeBytes,
    Width,
    Height,
    OriginalName,
    StorageKey,
    Sha256,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum TenantSettings {
    Table,
    TenantId,
    TabBar,
    Theme,
    Revision,
    ContentVersion,
    AppConfig,
    AppConfigEtag,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Pages::Table)
                    .col(pk_uuid(Pages::Id))
                    .col(uuid(Pages::TenantId))
                    .col(string_len(Pages::Slug, 64))
                    .col(string_len(Pages::Title, 64))
                    .col(json_binary(Pages::NavigationBar))
                    .col(json_binary(Pages::DraftLayout))
                    .col(integer(Pages::Revision))
                    .col(integer_null(Pages::PublishedVersion))
                    .col(boolean(Pages::IsPublished))
                    .col(timestamp_with_time_zone_null(Pages::TakenDownAt))
                    .col(text_null(Pages::TakedownReason))
                    .col(timestamp_with_time_zone(Pages::CreatedAt))
                    .col(timestamp_with_time_zone(Pages::UpdatedAt))
                    .col(uuid_null(Pages::UpdatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_pages_tenant_slug")
                    .table(Pages::Table)
                    .col(Pages::TenantId)
                    .col(Pages::Slug)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PageVersions::Table)
                    .col(pk_uuid(PageVersions::Id))
                    .col(uuid(PageVersions::TenantId))
                    .col(uuid(PageVersions::PageId))
                    .col(integer(PageVersions::Version))
                    .col(string_len(PageVersions::Title, 64))
                    .col(json_binary(PageVersions::NavigationBar))
                    .col(json_binary(PageVersions::Layout))
                    .col(timestamp_with_time_zone(PageVersions::PublishedAt))
                    .col(uuid_null(PageVersions::PublishedBy))
                    .col(text_null(PageVersions::Rendered))
                    .col(string_len_null(PageVersions::RenderedEtag, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_page_versions_page_version")
                    .table(PageVersions::Table)
                    .col(PageVersions::PageId)
                    .col(PageVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PageAssetRefs::Table)
                    .col(uuid(PageAssetRefs::TenantId))
                    .col(uuid(PageAssetRefs::PageId))
                    // 0 = the draft; n = version n.
                    .col(integer(PageAssetRefs::Version))
                    .col(string_len(PageAssetRefs::AssetId, 64))
                    .primary_key(
                        Index::create()
                            .col(PageAssetRefs::PageId)
                            .col(PageAssetRefs::Version)
                            .col(PageAssetRefs::AssetId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_page_asset_refs_asset")
                    .table(PageAssetRefs::Table)
                    .col(PageAssetRefs::TenantId)
                    .col(PageAssetRefs::AssetId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Assets::Table)
                    .col(pk_uuid(Assets::Id))
                    .col(uuid(Assets::TenantId))
                    .col(string_len(Assets::Kind, 16))
                    .col(string_len(Assets::ContentType, 64))
                    .col(big_integer(Assets::SizeBytes))
                    .col(integer_null(Assets::Width))
                    .col(integer_null(Assets::Height))
                    .col(string_len(Assets::OriginalName, 255))
                    .col(string_len(Assets::StorageKey, 512))
                    .col(string_len(Assets::Sha256, 64))
                    .col(timestamp_with_time_zone(Assets::CreatedAt))
                    .col(uuid_null(Assets::CreatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_assets_tenant")
                    .table(Assets::Table)
                    .col(Assets::TenantId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TenantSettings::Table)
                    .col(pk_uuid(TenantSettings::TenantId))
                    .col(json_binary(TenantSettings::TabBar))
                    .col(json_binary(TenantSettings::Theme))
                    .col(integer(TenantSettings::Revision))
                    .col(big_integer(TenantSettings::ContentVersion))
                    .col(text_null(TenantSettings::AppConfig))
                    .col(string_len_null(TenantSettings::AppConfigEtag, 64))
                    .col(timestamp_with_time_zone(TenantSettings::UpdatedAt))
                    .col(uuid_null(TenantSettings::UpdatedBy))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UsageDaily::Table)
                    .col(uuid(UsageDaily::TenantId))
                    .col(date(UsageDaily::Day))
                    // '' for tenant-wide counters; a slug for page views.
                    .col(string_len(UsageDaily::PageSlug, 64))
                    .col(big_integer(UsageDaily::Requests))
                    .col(big_integer(UsageDaily::Throttled))
                    .col(big_integer(UsageDaily::NotModified))
                    .col(big_integer(UsageDaily::PageViews))
                    .primary_key(
                        Index::create()
                            .col(UsageDaily::TenantId)
                            .col(UsageDaily::Day)
                            .col(UsageDaily::PageSlug),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            UsageDaily::Table.into_iden(),
            TenantSettings::Table.into_iden(),
            Assets::Table.into_iden(),
            PageAssetRefs::Table.into_iden(),
            PageVersions::Table.into_iden(),
            Pages::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
