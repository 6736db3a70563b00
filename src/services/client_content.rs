//! What phones see: each change that alters it (publish, unpublish, takedown, tab bar,
//! theme, tenant state) calls [`refresh`] in its own transaction, which re-renders the app
//! config, bumps the tenant's content version and, on PostgreSQL, sends a `NOTIFY` that is
//! delivered to every instance when the transaction commits.

use crate::domain::ids::TenantId;
use crate::error::{AppError, AppResult};
use crate::render::renderer::Rendered;
use crate::services::settings::default_theme;
use crate::state::AppState;
use entity::{page_versions, pages, tenant_settings, tenants};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter,
    QueryOrder, Statement,
};
use serde_json::{Value, json};

/// The PostgreSQL channel of client-cache invalidations (payload: a tenant id, or several
/// separated by commas).
pub const NOTIFY_CHANNEL: &str = "weapp_client_cache";

/// URL prefix of a tenant's assets as phones fetch them.
pub fn asset_base(state: &AppState, appid: Option<&str>) -> String {
    format!(
        "{}/client/v1/{}/assets/",
        state.settings.client.public_base_url.trim_end_matches('/'),
        appid.unwrap_or("-")
    )
}

/// Renders the app config from the database as it is on `conn`.
pub async fn render_app_config(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    content_version: i64,
) -> AppResult<Rendered> {
    let row = tenants::Entity::find_by_id(tenant.0)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("tenant {tenant} vanished")))?;
    let settings = tenant_settings::Entity::find_by_id(tenant.0)
        .one(conn)
        .await?;
    let theme = settings
        .as_ref()
        .map(|s| s.theme.clone())
        .unwrap_or_else(default_theme);
    let tab_bar = settings
        .as_ref()
        .map(|s| s.tab_bar.clone())
        .unwrap_or_else(|| json!({"items": []}));
    let live = pages::Entity::find()
        .filter(pages::Column::TenantId.eq(tenant.0))
        .filter(pages::Column::IsPublished.eq(true))
        .filter(pages::Column::TakenDownAt.is_null())
        .order_by_asc(pages::Column::Slug)
        .all(conn)
        .await?;
    let mut page_list = Vec::new();
    for p in &live {
        let etag = match p.published_version {
            Some(v) => page_versions::Entity::find()
                .filter(page_versions::Column::PageId.eq(p.id))
                .filter(page_versions::Column::Version.eq(v))
                .one(conn)
                .await?
                .and_then(|v| v.rendered_etag)
                .unwrap_or_default(),
            None => String::new(),
        };
        page_list.push(json!({"slug": p.slug, "title": p.title, "version": p.published_version, "etag": etag.trim_matches('"')}));
    }
    let tab_items: Vec<Value> = tab_bar["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|item| {
            let page = live
                .iter()
                .find(|p| Some(p.id.to_string().as_str()) == item["page_id"].as_str())?;
            let mut item = item.clone();
            item["slug"] = Value::String(page.slug.clone());
            Some(item)
        })
        .collect();
    let doc = json!({
        "appid": row.appid,
        "tenant_name": row.business_name,
        "content_version": content_version,
        "theme": theme,
        "tab_bar": if tab_items.len() >= 2 { Value::Array(tab_items) } else { Value::Null },
        "pages": page_list,
    });
    state
        .renderer
        .render_app_config(&doc, &asset_base(state, row.appid.as_deref()))
        .map_err(AppError::internal)
}

/// Re-renders the app config, bumps the content version and notifies other instances, in
/// the caller's transaction. Callers invalidate this instance's cache after commit
/// ([`AppState::invalidate_tenant`]).
pub async fn refresh(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
) -> AppResult<i64> {
    bump(conn, state, tenant, None).await
}

/// [`refresh`] for a write that refreshes this instance's cache itself after commit
/// ([`AppState::refresh_tenant`]): the notification names this instance, whose listener
/// then leaves it alone (a publish would otherwise reload the tenant twice here).
pub async fn refresh_here(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
) -> AppResult<i64> {
    bump(conn, state, tenant, Some(&state.instance_id)).await
}

async fn bump(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    origin: Option<&str>,
) -> AppResult<i64> {
    let now = state.clock.now();
    let current = tenant_settings::Entity::find_by_id(tenant.0)
        .one(conn)
        .await?;
    let version = current.as_ref().map(|s| s.content_version).unwrap_or(0) + 1;
    match &current {
        Some(_) => {
            tenant_settings::Entity::update_many()
                .col_expr(
                    tenant_settings::Column::ContentVersion,
                    Expr::value(version),
                )
                .filter(tenant_settings::Column::TenantId.eq(tenant.0))
                .exec(conn)
                .await?;
        }
        None => {
            tenant_settings::Entity::insert(tenant_settings::ActiveModel {
                tenant_id: Set(tenant.0),
                tab_bar: Set(json!({"items": []})),
                theme: Set(default_theme()),
                revision: Set(0),
                content_version: Set(version),
                app_config: Set(None),
                app_config_etag: Set(None),
                updated_at: Set(now),
                updated_by: Set(None),
            })
            .exec_without_returning(conn)
            .await?;
        }
    }
    let rendered = render_app_config(conn, state, tenant, version).await?;
    tenant_settings::Entity::update_many()
        .col_expr(
            tenant_settings::Column::AppConfig,
            Expr::value(Some(String::from_utf8_lossy(&rendered.bytes).into_owned())),
        )
        .col_expr(
            tenant_settings::Column::AppConfigEtag,
            Expr::value(Some(rendered.etag)),
        )
        .filter(tenant_settings::Column::TenantId.eq(tenant.0))
        .exec(conn)
        .await?;
    notify_from(conn, tenant, origin).await?;
    Ok(version)
}

/// `NOTIFY` other instances (PostgreSQL; delivered at commit). SQLite runs one instance.
pub async fn notify(conn: &impl ConnectionTrait, tenant: TenantId) -> AppResult<()> {
    notify_from(conn, tenant, None).await
}

/// The payload is the tenant id, with `@<instance id>` when the writing instance handles
/// its own cache (see [`refresh_here`]).
async fn notify_from(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    origin: Option<&str>,
) -> AppResult<()> {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        let payload = match origin {
            Some(instance) => format!("{tenant}@{instance}"),
            None => tenant.to_string(),
        };
        conn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [NOTIFY_CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}
