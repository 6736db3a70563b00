//! Everything built from `page-templates/` once at start: the component catalogue (schemas,
//! metadata), starter pages and system placeholder assets.

pub mod catalog;
pub mod fixtures;
pub mod notices;
pub mod renderer;
