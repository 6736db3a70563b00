//! `wechat_authorizer_tokens`: a tenant's authorizer refresh and access tokens, encrypted.
use sea_orm::entity::prelude::*;

/// A row of `wechat_authorizer_tokens`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wechat_authorizer_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub appid: String,
    pub refresh_token_enc: String,
    pub access_token_enc: Option<String>,
    pub access_expires_at: Option<DateTimeUtc>,
    pub version: i64,
    pub last_error: Option<String>,
    pub updated_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
