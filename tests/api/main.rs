//! The one integration-test binary: every test drives the real HTTP app.

#[path = "../support/mod.rs"]
mod support;

mod agency;
mod assets;
mod auth;
mod branding;
mod builder;
mod calendar_years;
mod client;
mod client_assets;
mod console;
mod deploy;
mod editors;
mod errors;
mod finance;
mod health;
mod jobs;
mod lifecycle;
mod matrix;
mod merchant_matrix;
mod money;
mod openapi;
mod pages;
mod public_url;
mod publishing;
mod races;
mod secrets_in_logs;
mod security;
mod sms;
mod staff;
mod stopping;
mod wechat;
mod wechat_sim;
