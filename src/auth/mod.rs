//! Password hashing (argon2id), access tokens (JWT), refresh-token material.

pub mod jwt;
pub mod password;
pub mod tokens;
