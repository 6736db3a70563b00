//! The WeChat third-party-platform adapter: push crypto (`crypto`), the HTTP client with
//! its errcode classification (`client`). Depends on `domain` at most.

pub mod client;
pub mod crypto;
pub mod errors;
