//! Schema migrations. Each migration is frozen once released: later changes add a new
//! migration instead of editing an old one, and nothing here imports `entity`.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_agency;
mod m20261123_000003_pages;
mod m20261123_000004_lifecycle;
mod m20261123_000005_wechat;
mod m20261123_000006_deploys;
mod m20261123_000007_rollouts;
mod m20261123_000008_sms;
mod m20261207_000009_console;
mod m20261207_000010_calendar_years;
mod m20261207_000011_contracts_end_with_tenant;
mod m20261207_000012_instance_facts;
mod m20261207_000013_asset_usage;
mod m20261207_000014_staff_contact_branding;
mod m20261207_000015_driver_job;

/// Runs every migration of weapp-builder in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_agency::Migration),
            Box::new(m20261123_000003_pages::Migration),
            Box::new(m20261123_000004_lifecycle::Migration),
            Box::new(m20261123_000005_wechat::Migration),
            Box::new(m20261123_000006_deploys::Migration),
            Box::new(m20261123_000007_rollouts::Migration),
            Box::new(m20261123_000008_sms::Migration),
            Box::new(m20261207_000009_console::Migration),
            Box::new(m20261207_000010_calendar_years::Migration),
            Box::new(m20261207_000011_contracts_end_with_tenant::Migration),
            Box::new(m20261207_000012_instance_facts::Migration),
            Box::new(m20261207_000013_asset_usage::Migration),
            Box::new(m20261207_000014_staff_contact_branding::Migration),
            Box::new(m20261207_000015_driver_job::Migration),
        ]
    }
}
