//! Reading the database from its catalog: every table, its columns, its rows as text.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

/// User tables and their columns, from `sqlite_master` / `information_schema`.
pub async fn tables_and_columns(db: &DatabaseConnection) -> Vec<(String, Vec<String>)> {
    let backend = db.get_database_backend();
    let tables: Vec<String> = match backend {
        DatabaseBackend::Sqlite => db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect(),
        _ => db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
            ))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.try_get::<String>("", "name").unwrap())
            .collect(),
    };
    let mut out = Vec::new();
    for table in tables {
        let columns: Vec<String> = match backend {
            DatabaseBackend::Sqlite => db
                .query_all_raw(Statement::from_string(
                    backend,
                    format!("SELECT name FROM pragma_table_info('{table}')"),
                ))
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.try_get::<String>("", "name").unwrap())
                .collect(),
            _ => db
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    "SELECT column_name::text AS name FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                    [table.clone().into()],
                ))
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.try_get::<String>("", "name").unwrap())
                .collect(),
        };
        out.push((table, columns));
    }
    out
}

/// Every row of every table as one text line (`table: col1|col2|…`).
pub async fn all_rows_as_text(db: &DatabaseConnection) -> Vec<String> {
    let backend = db.get_database_backend();
    let mut lines = Vec::new();
    for (table, columns) in tables_and_columns(db).await {
        let expr = columns
            .iter()
            .map(|c| format!("COALESCE(CAST(\"{c}\" AS TEXT), '')"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT {expr} AS line FROM \"{table}\""),
            ))
            .await
            .unwrap();
        for r in rows {
            let line: String = r.try_get("", "line").unwrap_or_default();
            lines.push(format!("{table}: {line}"));
        }
    }
    lines
}
