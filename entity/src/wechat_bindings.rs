//! `wechat_bindings`: which mini-program a tenant authorized, and whether it still is.
use sea_orm::entity::prelude::*;

/// A row of `wechat_bindings`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "wechat_bindings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub appid: String,
    pub status: String,
    pub func_ids: Json,
    pub user_name: Option<String>,
    pub nick_name: Option<String>,
    pub bound_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
