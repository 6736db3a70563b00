//! Folders and files only the service's own user can read: the data folder, the SQLite
//! file, the object folder and the generated secrets hold every tenant's data.

use std::path::Path;

/// Creates `path` and any missing parents with mode 0700 (existing folders are left as
/// they are: an operator may have chosen their mode).
pub fn create_dir_all(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// The async form of [`create_dir_all`], for the object store's sub-folders.
pub async fn create_dir_all_async(path: &Path) -> std::io::Result<()> {
    let mut builder = tokio::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    builder.mode(0o700);
    builder.create(path).await
}

/// Creates an empty file with mode 0600 when `path` does not exist yet (SQLite then gives
/// its `-wal` and `-shm` files the same mode).
pub fn touch(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn folders_and_files_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data/objects");
        super::create_dir_all(&data).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&dir.path().join("data")), 0o700);
        let db = dir.path().join("data/weapp.db");
        super::touch(&db).unwrap();
        assert_eq!(mode(&db), 0o600);
        super::touch(&db).unwrap();
    }
}
