//! The one shape every list answers with.

use serde::Serialize;
use uuid::Uuid;

/// A list: its items and, where more follow, the cursor that fetches them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemList<T> {
    /// The items, in the order the operation states.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page (and on lists that
    /// always answer whole).
    pub next_cursor: Option<Uuid>,
}

impl<T> ItemList<T> {
    /// A list answered whole.
    pub fn whole(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
        }
    }
}
