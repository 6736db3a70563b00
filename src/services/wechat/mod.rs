//! The WeChat third-party platform: credentials at rest, tokens, pushes and the binding
//! of merchants' mini-programs.

pub mod vault;
