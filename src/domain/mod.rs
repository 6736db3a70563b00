//! Pure types and rules: no I/O, no sea-orm. Parse, don't validate: a value of one of
//! these types is valid by construction.

pub mod apps;
pub mod calendar;
pub mod contact;
pub mod contract;
pub mod ids;
pub mod layout;
pub mod lifecycle;
pub mod login_throttle;
pub mod media;
pub mod notice;
pub mod password;
pub mod rich_text;
pub mod role;
pub mod schema;
pub mod tenant;
pub mod text;
pub mod time;
pub mod username;
