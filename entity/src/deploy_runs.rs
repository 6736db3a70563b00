//! `deploy_runs`: One deployment of the code template to a tenant's mini-program.
use sea_orm::entity::prelude::*;

/// A row of `deploy_runs`.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "deploy_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub appid: String,
    pub template_id: i64,
    pub user_version: String,
    pub user_desc: String,
    pub status: String,
    pub step: String,
    pub auto_release: bool,
    pub auditid: Option<i64>,
    pub audit_reason: Option<String>,
    pub gray_percentage: Option<i32>,
    pub qr_key: Option<String>,
    pub errcode: Option<i64>,
    pub error_message: Option<String>,
    pub requested_by: Option<Uuid>,
    pub rollout_id: Option<Uuid>,
    pub driver_until: Option<DateTimeUtc>,
    pub driver_job_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

/// No navigable relations: queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
