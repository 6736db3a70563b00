//! Object storage behind one trait: a local folder (the zero-config default) and any
//! S3-compatible service. Every tenant-owned object lives under `tenants/<tenant_id>/`.

pub mod local;
pub mod s3;

use futures_util::future::BoxFuture;
use std::time::Duration;

/// Where tenant objects of a kind live: `tenants/<tenant_id>/<kind>/<id>`.
pub fn tenant_key(tenant: uuid::Uuid, kind: &str, id: &str) -> String {
    format!("tenants/{tenant}/{kind}/{id}")
}

/// The prefix of everything a tenant owns.
pub fn tenant_prefix(tenant: uuid::Uuid) -> String {
    format!("tenants/{tenant}/")
}

/// An object store.
pub trait ObjectStore: Send + Sync {
    /// `local` or `s3`.
    fn backend(&self) -> &'static str;
    /// Stores `bytes` at `key`, replacing any object there.
    fn put<'a>(
        &'a self,
        key: &'a str,
        bytes: Vec<u8>,
        content_type: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
    /// The object at `key`, or `None`.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<Vec<u8>>>>;
    /// Deletes `key`; deleting a missing object succeeds (idempotent).
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
    /// Up to `limit` keys under `prefix` that sort after `after`, in order (for paging
    /// through large prefixes in batches).
    fn list<'a>(
        &'a self,
        prefix: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, anyhow::Result<Vec<String>>>;
    /// Removes whatever is left under `prefix` that no listing shows — in a folder store
    /// the folders and the temporary files of writes that never finished (a process killed
    /// mid-write); nothing in S3, where an unfinished upload leaves no object. Only for a
    /// prefix whose objects are all to go (a purge): it removes them too.
    fn remove_leftovers<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        let _ = prefix;
        Box::pin(async { Ok(()) })
    }
    /// A short-lived URL that serves the object directly, where the backend has one (S3);
    /// `None` means the service must serve the bytes itself.
    fn presigned_get<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, anyhow::Result<Option<String>>>;
}

/// Refuses keys that could escape the store's root or are not ours.
pub fn check_key(key: &str) -> anyhow::Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 512
        && !key.starts_with('/')
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'));
    anyhow::ensure!(ok, "invalid object key `{key}`");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert!(check_key("tenants/01/assets/02").is_ok());
        for bad in ["", "/etc/passwd", "tenants/../x", "a//b", "a/./b", "a b"] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
    }
}
