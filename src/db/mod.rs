//! Database access: connecting (SQLite or PostgreSQL), write transactions, migrations,
//! and the few statements that differ between the two backends.

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, DbErr, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};
use std::time::Duration;

use crate::config::Settings;

/// Opens the pool for `url`. SQLite gets WAL, a busy timeout, foreign keys and a created
/// parent folder, so the embedded default never fails with SQLITE_BUSY.
pub async fn connect(url: &str, settings: &Settings) -> anyhow::Result<DatabaseConnection> {
    if let Some(path) = sqlite_file_path(url) {
        let path = std::path::Path::new(&path);
        if let Some(parent) = path.parent() {
            crate::private_fs::create_dir_all(parent)?;
        }
        crate::private_fs::touch(path)?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(settings.database.max_connections.max(1))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
        // Statements are not logged: bound values may carry personal data.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .create_if_missing(true)
        });
    Ok(Database::connect(options).await?)
}

/// The pool the client cache loads from: a few connections of its own, so a phone's cache
/// load never queues behind editors' saves holding the shared pool (on SQLite, connections
/// parked there waiting for the one write lock; on PostgreSQL, a burst of saves). On
/// SQLite its connections only read (`query_only`): in WAL mode readers never wait for the
/// writer. An in-memory SQLite database has one connection, shared (`writer`).
pub async fn connect_reader(
    url: &str,
    settings: &Settings,
    writer: &DatabaseConnection,
) -> anyhow::Result<DatabaseConnection> {
    if url.starts_with("sqlite") && sqlite_file_path(url).is_none() {
        return Ok(writer.clone());
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(READER_CONNECTIONS)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
                .pragma("query_only", "true")
        });
    Ok(Database::connect(options).await?)
}

/// Connections of the SQLite read pool: loads are short and few at a time (the cache
/// coalesces them), so a handful serves any number of phones.
const READER_CONNECTIONS: u32 = 4;

fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| path.to_owned())
}

/// Runs every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Starts a transaction that will write. On SQLite it begins `IMMEDIATE`, taking the write
/// lock up front so a read-then-write transaction waits on the busy timeout instead of
/// failing with SQLITE_BUSY when it upgrades; PostgreSQL uses a plain `BEGIN`.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            db.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
        }
        _ => db.begin().await,
    }
}

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT 1",
    ))
    .await
    .map(|_| ())
}

/// Whether the error is a unique-constraint violation (both backends).
pub fn is_unique_violation(e: &DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Rows for one set-based `INSERT … SELECT` from a single bound list: `unnest` of arrays on
/// PostgreSQL, `json_each` of a JSON array on SQLite. Each row is `(id, tenant, json)`;
/// the statement refers to them as `r.id`, `r.tenant`, `r.doc` (`doc` is JSON text).
/// Binding three lists instead of thousands of scalars is what makes large batches cheap.
pub fn bulk_rows_source(
    backend: sea_orm::DatabaseBackend,
    first_param: usize,
    rows: &[(uuid::Uuid, uuid::Uuid, serde_json::Value)],
) -> (String, Vec<sea_orm::Value>) {
    match backend {
        sea_orm::DatabaseBackend::Postgres => {
            let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.0).collect();
            let tenants: Vec<uuid::Uuid> = rows.iter().map(|r| r.1).collect();
            let docs: Vec<String> = rows.iter().map(|r| r.2.to_string()).collect();
            (
                format!(
                    "(SELECT u.id AS id, u.tenant AS tenant, u.doc::jsonb AS doc FROM unnest(${}::uuid[], ${}::uuid[], ${}::text[]) AS u(id, tenant, doc)) AS r",
                    first_param,
                    first_param + 1,
                    first_param + 2
                ),
                vec![ids.into(), tenants.into(), docs.into()],
            )
        }
        _ => {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!([r.0.simple().to_string(), r.1.simple().to_string(), r.2])
                })
                .collect();
            (
                format!(
                    "(SELECT unhex(json_extract(value, '$[0]')) AS id, \
                     unhex(json_extract(value, '$[1]')) AS tenant, \
                     json_extract(value, '$[2]') AS doc FROM json_each(${first_param})) AS r"
                ),
                vec![serde_json::Value::Array(list).to_string().into()],
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_file_path("sqlite://./data/weapp.db?mode=rwc").as_deref(),
            Some("./data/weapp.db")
        );
        assert_eq!(sqlite_file_path("sqlite::memory:"), None);
        assert_eq!(sqlite_file_path("postgres://x/y"), None);
    }
}
