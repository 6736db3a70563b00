//! The local-folder object store: one file per key under a root folder. Writes go to a
//! temporary file and are renamed into place, so a reader never sees half an object.

use super::{ObjectStore, check_key};
use futures_util::future::BoxFuture;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Objects in a folder.
pub struct LocalFolderStore {
    root: PathBuf,
}

impl LocalFolderStore {
    /// A store rooted at `root` (created when missing).
    pub fn new(root: impl Into<PathBuf>) -> anyhow::Result<Self> {
        let root = root.into();
        crate::private_fs::create_dir_all(&root)?;
        Ok(Self { root })
    }

    fn path(&self, key: &str) -> anyhow::Result<PathBuf> {
        check_key(key)?;
        Ok(self.root.join(key))
    }
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&path, root, out)?;
        } else if path.extension().is_none_or(|e| e != "partial")
            && let Ok(rel) = path.strip_prefix(root)
        {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

impl ObjectStore for LocalFolderStore {
    fn backend(&self) -> &'static str {
        "local"
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        bytes: Vec<u8>,
        _content_type: &'a str,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let path = self.path(key)?;
            if let Some(parent) = path.parent() {
                crate::private_fs::create_dir_all_async(parent).await?;
            }
            let tmp = path.with_extension(format!("{}.partial", uuid::Uuid::now_v7().simple()));
            tokio::fs::write(&tmp, &bytes).await?;
            tokio::fs::rename(&tmp, &path).await?;
            Ok(())
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<Vec<u8>>>> {
        Box::pin(async move {
            match tokio::fs::read(self.path(key)?).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            match tokio::fs::remove_file(self.path(key)?).await {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn remove_leftovers<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let dir = self.path(prefix.trim_end_matches('/'))?;
            if dir == self.root {
                anyhow::bail!("refusing to remove the whole object store");
            }
            tokio::task::spawn_blocking(move || match std::fs::remove_dir_all(&dir) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            })
            .await??;
            Ok(())
        })
    }

    fn list<'a>(
        &'a self,
        prefix: &'a str,
        after: Option<&'a str>,
        limit: usize,
    ) -> BoxFuture<'a, anyhow::Result<Vec<String>>> {
        Box::pin(async move {
            let root = self.root.clone();
            let start = match prefix.rsplit_once('/') {
                Some((dir, _)) if !dir.is_empty() => {
                    check_key(dir)?;
                    root.join(dir)
                }
                _ => root.clone(),
            };
            let prefix = prefix.to_owned();
            let after = after.map(str::to_owned);
            tokio::task::spawn_blocking(move || {
                let mut keys = Vec::new();
                walk(&start, &root, &mut keys)?;
                keys.retain(|k| {
                    k.starts_with(&prefix) && after.as_deref().is_none_or(|a| k.as_str() > a)
                });
                keys.sort();
                keys.truncate(limit);
                Ok(keys)
            })
            .await?
        })
    }

    fn presigned_get<'a>(
        &'a self,
        _key: &'a str,
        _ttl: Duration,
    ) -> BoxFuture<'a, anyhow::Result<Option<String>>> {
        Box::pin(async { Ok(None) })
    }
}
