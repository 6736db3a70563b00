//! `refresh_tokens`: SHA-256 hashes of issued refresh tokens; a used one is spent.
use sea_orm::entity::prelude::*;

/// One issued refresh token (only its hash).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub tenant_id: Option<Uuid>,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub issued_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    /// The token that replaced this one, sealed; honoured only briefly after `used_at`.
    pub successor_sealed: Option<String>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
