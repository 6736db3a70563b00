//! WeChat platform access: the encrypted token vault (ticket, component token), the
//! per-tenant binding and authorizer tokens, refresh leases, push replay guard, and the
//! authorization attempts behind the merchants' links.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WechatVault {
    Table,
    Name,
    Ciphertext,
    ExpiresAt,
    Version,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WechatBindings {
    Table,
    TenantId,
    Appid,
    Status,
    FuncIds,
    UserName,
    NickName,
    BoundAt,
    RevokedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WechatAuthorizerTokens {
    Table,
    TenantId,
    Appid,
    RefreshTokenEnc,
    AccessTokenEnc,
    AccessExpiresAt,
    Version,
    LastError,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WechatTokenLeases {
    Table,
    Name,
    Holder,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum WechatPushReplays {
    Table,
    Timestamp,
    Nonce,
    Signature,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum WechatAuthorizations {
    Table,
    Id,
    TenantId,
    UserId,
    PreAuthCodeHash,
    Status,
    Appid,
    Outcome,
    ExpiresAt,
    StateUsedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WechatVault::Table)
                    .col(string_len(WechatVault::Name, 64).primary_key())
                    .col(text(WechatVault::Ciphertext))
                    .col(timestamp_with_time_zone_null(WechatVault::ExpiresAt))
                    .col(big_integer(WechatVault::Version))
                    .col(timestamp_with_time_zone(WechatVault::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WechatBindings::Table)
                    .col(uuid(WechatBindings::TenantId).primary_key())
                    .col(string_len(WechatBindings::Appid, 64))
                    .col(string_len(WechatBindings::Status, 16))
                    .col(json_binary(WechatBindings::FuncIds))
                    .col(string_len_null(WechatBindings::UserName, 64))
                    .col(string_len_null(WechatBindings::NickName, 200))
                    .col(timestamp_with_time_zone(WechatBindings::BoundAt))
                    .col(timestamp_with_time_zone_null(WechatBindings::RevokedAt))
                    .col(timestamp_with_time_zone(WechatBindings::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_wechat_bindings_appid")
                    .table(WechatBindings::Table)
                    .col(WechatBindings::Appid)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WechatAuthorizerTokens::Table)
                    .col(uuid(WechatAuthorizerTokens::TenantId).primary_key())
                    .col(string_len(WechatAuthorizerTokens::Appid, 64))
                    .col(text(WechatAuthorizerTokens::RefreshTokenEnc))
                    .col(text_null(WechatAuthorizerTokens::AccessTokenEnc))
                    .col(timestamp_with_time_zone_null(
                        WechatAuthorizerTokens::AccessExpiresAt,
                    ))
                    .col(big_integer(WechatAuthorizerTokens::Version))
                    .col(text_null(WechatAuthorizerTokens::LastError))
                    .col(timestamp_with_time_zone(WechatAuthorizerTokens::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WechatTokenLeases::Table)
                    .col(string_len(WechatTokenLeases::Name, 100).primary_key())
                    .col(string_len(WechatTokenLeases::Holder, 64))
                    .col(timestamp_with_time_zone(WechatTokenLeases::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WechatPushReplays::Table)
                    .col(string_len(WechatPushReplays::Timestamp, 20))
                    .col(string_len(WechatPushReplays::Nonce, 64))
                    .col(string_len(WechatPushReplays::Signature, 64))
                    .col(timestamp_with_time_zone(WechatPushReplays::ReceivedAt))
                    .primary_key(
                        Index::create()
                            .col(WechatPushReplays::Timestamp)
                            .col(WechatPushReplays::Nonce)
                            .col(WechatPushReplays::Signature),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_wechat_push_replays_received")
                    .table(WechatPushReplays::Table)
                    .col(WechatPushReplays::ReceivedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WechatAuthorizations::Table)
                    .col(pk_uuid(WechatAuthorizations::Id))
                    .col(uuid(WechatAuthorizations::TenantId))
                    .col(uuid(WechatAuthorizations::UserId))
                    .col(string_len(WechatAuthorizations::PreAuthCodeHash, 64))
                    .col(string_len(WechatAuthorizations::Status, 16))
                    .col(string_len_null(WechatAuthorizations::Appid, 64))
                    .col(string_len_null(WechatAuthorizations::Outcome, 64))
                    .col(timestamp_with_time_zone(WechatAuthorizations::ExpiresAt))
                    .col(timestamp_with_time_zone_null(
                        WechatAuthorizations::StateUsedAt,
                    ))
                    .col(timestamp_with_time_zone(WechatAuthorizations::CreatedAt))
                    .col(timestamp_with_time_zone(WechatAuthorizations::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_wechat_authorizations_code")
                    .table(WechatAuthorizations::Table)
                    .col(WechatAuthorizations::PreAuthCodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_wechat_authorizations_tenant")
                    .table(WechatAuthorizations::Table)
                    .col(WechatAuthorizations::TenantId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WechatAuthorizations::Table.into_iden(),
            WechatPushReplays::Table.into_iden(),
            WechatTokenLeases::Table.into_iden(),
            WechatAuthorizerTokens::Table.into_iden(),
            WechatBindings::Table.into_iden(),
            WechatVault::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
