//! What a tenant owns, found from the database catalog rather than a hand-kept list: every
//! table with a `tenant_id` column. Purge and export both use it, so a table a later
//! capability adds is purged and exported without anyone remembering to.

use crate::error::AppResult;
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use std::collections::{BTreeMap, BTreeSet};

/// Tables whose rows outlive a tenant's deletion (SPEC §2.8): the audit log, contracts and
/// their milestones and payments (accounting), and SMS billing statistics. The tenant row
/// itself stays as a tombstone (it has no `tenant_id` column).
pub const PURGE_SURVIVORS: &[&str] = &[
    "audit_events",
    "contracts",
    "contract_milestones",
    "payments",
    "sms_usage_monthly",
];

/// Every table with a `tenant_id` column, from the catalog, sorted by name.
pub async fn tables_with_tenant_id(conn: &impl ConnectionTrait) -> AppResult<Vec<String>> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.columns \
             WHERE column_name = 'tenant_id' AND table_schema = current_schema() \
             ORDER BY table_name"
        }
        _ => {
            "SELECT m.name AS name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND p.name = 'tenant_id' ORDER BY m.name"
        }
    };
    let rows = conn
        .query_all_raw(Statement::from_string(backend, sql))
        .await?;
    rows.into_iter()
        .map(|r| Ok(r.try_get::<String>("", "name")?))
        .collect()
}

/// (child, parent) foreign keys between tables, from the catalog.
async fn foreign_keys(
    conn: &impl ConnectionTrait,
    tables: &[String],
) -> AppResult<Vec<(String, String)>> {
    let backend = conn.get_database_backend();
    let mut out = Vec::new();
    match backend {
        DatabaseBackend::Postgres => {
            let rows = conn
                .query_all_raw(Statement::from_string(
                    backend,
                    "SELECT tc.table_name::text AS child, ccu.table_name::text AS parent \
                     FROM information_schema.table_constraints tc \
                     JOIN information_schema.constraint_column_usage ccu \
                       ON ccu.constraint_name = tc.constraint_name \
                      AND ccu.constraint_schema = tc.constraint_schema \
                     WHERE tc.constraint_type = 'FOREIGN KEY' \
                       AND tc.table_schema = current_schema()",
                ))
                .await?;
            for r in rows {
                out.push((r.try_get("", "child")?, r.try_get("", "parent")?));
            }
        }
        _ => {
            for table in tables {
                let rows = conn
                    .query_all_raw(Statement::from_sql_and_values(
                        backend,
                        "SELECT \"table\" AS parent FROM pragma_foreign_key_list($1)",
                        [table.clone().into()],
                    ))
                    .await?;
                for r in rows {
                    out.push((table.clone(), r.try_get("", "parent")?));
                }
            }
        }
    }
    Ok(out)
}

/// The tables a purge empties of the tenant's rows, children before parents so foreign
/// keys never block a delete.
pub async fn purge_order(conn: &impl ConnectionTrait) -> AppResult<Vec<String>> {
    let tables: Vec<String> = tables_with_tenant_id(conn)
        .await?
        .into_iter()
        .filter(|t| !PURGE_SURVIVORS.contains(&t.as_str()))
        .collect();
    let fks = foreign_keys(conn, &tables).await?;
    let set: BTreeSet<&String> = tables.iter().collect();
    // parent -> children among the purged tables
    let mut children: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (child, parent) in &fks {
        if child != parent && set.contains(child) && set.contains(parent) {
            children
                .entry(parent.as_str())
                .or_default()
                .insert(child.as_str());
        }
    }
    let mut remaining: BTreeSet<&str> = tables.iter().map(String::as_str).collect();
    let mut order = Vec::new();
    while !remaining.is_empty() {
        // A table none of whose remaining children still has rows to delete goes next.
        let next: Vec<&str> = remaining
            .iter()
            .copied()
            .filter(|t| {
                children
                    .get(t)
                    .is_none_or(|c| c.iter().all(|c| !remaining.contains(c)))
            })
            .collect();
        if next.is_empty() {
            return Err(crate::error::AppError::internal(anyhow::anyhow!(
                "foreign keys form a cycle among {remaining:?}"
            )));
        }
        for t in next {
            remaining.remove(t);
            order.push(t.to_owned());
        }
    }
    Ok(order)
}
