//! `wechat_authorizations`: one merchant authorization attempt (pre_auth_code → tenant).
use sea_orm::entity::prelude::*;

/// A row of `wechat_authorizations`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "wechat_authorizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub pre_auth_code_hash: String,
    pub status: String,
    pub appid: Option<String>,
    pub outcome: Option<String>,
    pub expires_at: DateTimeUtc,
    pub state_used_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
