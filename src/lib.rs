//! weapp-builder: the backend of a WeChat mini-program builder sold as a yearly service.

pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod http;
pub mod jobs;
pub mod lifecycle;
pub mod metrics;
pub mod private_fs;
pub mod render;
pub mod scheduler;
pub mod services;
pub mod sms;
pub mod sms_fake;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod wechat;
pub mod wechat_sim;
