//! The one integration-test binary: every test drives the real HTTP app.

#[path = "../support/mod.rs"]
mod support;

mod agency;
mod auth;
mod errors;
mod health;
mod jobs;
mod matrix;
mod money;
mod openapi;
mod secrets_in_logs;
mod staff;
