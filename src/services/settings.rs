//! Tenant settings served in the app config: the tab bar (0 or 2–5 entries, each a
//! published page with a label and icon assets) and the theme (colours and
//! navigation-bar defaults).

use crate::db;
use crate::domain::ids::TenantId;
use crate::domain::schema::{AssetKind, AssetRef, Schema};
use crate::error::{AppError, AppResult, Localized};
use crate::services::RequestMeta;
use crate::services::assets::{check_refs, layout_error};
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use entity::{pages, tenant_settings};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::OnceLock;
use uuid::Uuid;

/// The tenant's settings.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    /// The tab bar.
    #[schema(value_type = TabBar)]
    pub tab_bar: Value,
    /// The theme.
    #[schema(value_type = Theme)]
    pub theme: Value,
    /// Bumped by every change.
    pub revision: i32,
}

/// The theme a tenant starts with.
pub fn default_theme() -> Value {
    json!({
        "primary_color": "#07C160",
        "background_color": "#F7F7F7",
        "text_color": "#333333",
        "navigation_bar": { "background_color": "#FFFFFF", "text_style": "black" }
    })
}

fn theme_schema_json() -> Value {
    let color = json!({"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"});
    json!({
        "type": "object", "additionalProperties": false,
        "required": ["primary_color", "background_color", "text_color", "navigation_bar"],
        "properties": {
            "primary_color": color, "background_color": color, "text_color": color,
            "navigation_bar": {
                "type": "object", "additionalProperties": false, "required": ["background_color", "text_style"],
                "properties": {
                    "background_color": color,
                    "text_style": {"type": "string", "enum": ["black", "white"]},
                    "title": {"type": "string", "maxLength": 32}
                }
            }
        }
    })
}

fn theme_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| Schema::compile(&theme_schema_json()).expect("the theme schema compiles"))
}

fn tab_bar_schema_json() -> Value {
    json!({
        "type": "object", "additionalProperties": false, "required": ["items"],
        "properties": {"items": {"type": "array", "maxItems": 5, "items": {
            "type": "object", "additionalProperties": false,
            "required": ["page_id", "label", "icon_asset_id", "selected_icon_asset_id"],
            "properties": {
                "page_id": {"type": "string", "minLength": 36, "maxLength": 36},
                "label": {"type": "string", "minLength": 1, "maxLength": 8},
                "icon_asset_id": {"type": "string", "format": "asset-image"},
                "selected_icon_asset_id": {"type": "string", "format": "asset-image"}
            }
        }}}
    })
}

fn tab_bar_schema() -> &'static Schema {
    static S: OnceLock<Schema> = OnceLock::new();
    S.get_or_init(|| Schema::compile(&tab_bar_schema_json()).expect("the tab-bar schema compiles"))
}

/// A settings schema as the OpenAPI document states it: the one the server checks, its
/// asset formats (ours, not JSON Schema's) said in words.
fn documented(
    mut schema: Value,
    description: &str,
    example: Value,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    fn plain_formats(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.get("format").and_then(Value::as_str) == Some("asset-image") {
                    map.remove("format");
                    map.insert(
                        "description".into(),
                        json!("An image asset id (`GET /assets`) or a system placeholder."),
                    );
                }
                map.values_mut().for_each(plain_formats);
            }
            Value::Array(items) => items.iter_mut().for_each(plain_formats),
            _ => {}
        }
    }
    plain_formats(&mut schema);
    schema["description"] = json!(description);
    schema["example"] = example;
    serde_json::from_value(schema).expect("a settings schema is an OpenAPI schema")
}

/// The tab bar: 0 or 2–5 entries.
pub struct TabBar;

impl utoipa::PartialSchema for TabBar {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        documented(
            tab_bar_schema_json(),
            "The tab bar: 0 or 2–5 entries, each a published page of the tenant with a label \
             of 1–8 characters and two image icons (normal and selected).",
            json!({"items": []}),
        )
    }
}

impl utoipa::ToSchema for TabBar {}

/// The theme.
pub struct Theme;

impl utoipa::PartialSchema for Theme {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        documented(
            theme_schema_json(),
            "Colours (`#RRGGBB`) and the navigation bar's defaults.",
            default_theme(),
        )
    }
}

impl utoipa::ToSchema for Theme {}

async fn load(conn: &impl ConnectionTrait, tenant: TenantId) -> AppResult<SettingsView> {
    Ok(
        match tenant_settings::Entity::find_by_id(tenant.0)
            .one(conn)
            .await?
        {
            Some(s) => SettingsView {
                tab_bar: s.tab_bar,
                theme: s.theme,
                revision: s.revision,
            },
            None => SettingsView {
                tab_bar: json!({"items": []}),
                theme: default_theme(),
                revision: 0,
            },
        },
    )
}

/// The tenant's settings (defaults until changed).
pub async fn get(state: &AppState, tenant: TenantId) -> AppResult<SettingsView> {
    load(&state.db, tenant).await
}

async fn save(
    conn: &impl ConnectionTrait,
    state: &AppState,
    actor: &CachedUser,
    tenant: TenantId,
    current: &SettingsView,
    tab_bar: Value,
    theme: Value,
) -> AppResult<()> {
    let now = state.clock.now();
    let exists = tenant_settings::Entity::find_by_id(tenant.0)
        .one(conn)
        .await?
        .is_some();
    if exists {
        tenant_settings::Entity::update_many()
            .col_expr(
                tenant_settings::Column::TabBar,
                sea_orm::sea_query::Expr::value(tab_bar),
            )
            .col_expr(
                tenant_settings::Column::Theme,
                sea_orm::sea_query::Expr::value(theme),
            )
            .col_expr(
                tenant_settings::Column::Revision,
                sea_orm::sea_query::Expr::value(current.revision + 1),
            )
            .col_expr(
                tenant_settings::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .col_expr(
                tenant_settings::Column::UpdatedBy,
                sea_orm::sea_query::Expr::value(Some(actor.id.0)),
            )
            .filter(tenant_settings::Column::TenantId.eq(tenant.0))
            .exec(conn)
            .await?;
    } else {
        tenant_settings::Entity::insert(tenant_settings::ActiveModel {
            tenant_id: Set(tenant.0),
            tab_bar: Set(tab_bar),
            theme: Set(theme),
            revision: Set(current.revision + 1),
            content_version: Set(0),
            app_config: Set(None),
            app_config_etag: Set(None),
            updated_at: Set(now),
            updated_by: Set(Some(actor.id.0)),
        })
        .exec_without_returning(conn)
        .await?;
    }
    crate::services::client_content::refresh_here(conn, state, tenant).await?;
    Ok(())
}

/// Replaces the tab bar: 0 or 2–5 entries, each a published page (not taken down) of this
/// tenant, with image icons (uploaded or system placeholders).
pub async fn put_tab_bar(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    tab_bar: Value,
) -> AppResult<SettingsView> {
    let mut refs = Vec::new();
    tab_bar_schema()
        .validate(&tab_bar, "", &mut refs)
        .map_err(|f| AppError::invalid_field(format!("tab_bar{}", f.pointer), f.reason))?;
    let items = tab_bar["items"].as_array().cloned().unwrap_or_default();
    if items.len() == 1 {
        return Err(AppError::invalid_field(
            "tab_bar/items",
            Localized::new("须为 0 或 2–5 项", "must have 0 or 2–5 entries"),
        ));
    }
    let txn = db::begin_write(&state.db).await?;
    for (i, item) in items.iter().enumerate() {
        let pointer = format!("tab_bar/items/{i}/page_id");
        let id = item["page_id"]
            .as_str()
            .and_then(|s| Uuid::parse_str(s).ok());
        let page = match id {
            Some(id) => {
                pages::Entity::find_by_id(id)
                    .filter(pages::Column::TenantId.eq(tenant.0))
                    .one(&txn)
                    .await?
            }
            None => None,
        };
        match page {
            None => {
                return Err(AppError::invalid_field(
                    pointer,
                    Localized::new("页面不存在", "no such page"),
                ));
            }
            Some(p) if !p.is_published || p.taken_down_at.is_some() => {
                return Err(AppError::invalid_field(
                    pointer,
                    Localized::new("只能指向已发布的页面", "must point at a published page"),
                ));
            }
            Some(_) => {}
        }
        if items[..i]
            .iter()
            .any(|other| other["page_id"] == item["page_id"])
        {
            return Err(AppError::invalid_field(
                pointer,
                Localized::new("页面重复", "is listed twice"),
            ));
        }
    }
    let refs: Vec<AssetRef> = refs
        .into_iter()
        .map(|r| AssetRef {
            pointer: format!("/tab_bar{}", r.pointer),
            kind: AssetKind::Image,
            ..r
        })
        .collect();
    if let Some(fault) = check_refs(state, &txn, tenant, &refs)
        .await?
        .into_iter()
        .next()
    {
        return Err(layout_error(fault));
    }
    let current = load(&txn, tenant).await?;
    save(
        &txn,
        state,
        actor,
        tenant,
        &current,
        tab_bar.clone(),
        current.theme.clone(),
    )
    .await?;
    audit::record(
        &txn,
        state.clock.now(),
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: "settings.tab_bar_changed",
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary: json!({ "before": current.tab_bar, "after": tab_bar }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    let written = load(&txn, tenant).await?;
    txn.commit().await?;
    state.refresh_tenant(tenant).await;
    Ok(written)
}

/// Replaces the theme.
pub async fn put_theme(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    theme: Value,
) -> AppResult<SettingsView> {
    theme_schema()
        .validate(&theme, "", &mut Vec::new())
        .map_err(|f| AppError::invalid_field(format!("theme{}", f.pointer), f.reason))?;
    let txn = db::begin_write(&state.db).await?;
    let current = load(&txn, tenant).await?;
    save(
        &txn,
        state,
        actor,
        tenant,
        &current,
        current.tab_bar.clone(),
        theme.clone(),
    )
    .await?;
    audit::record(
        &txn,
        state.clock.now(),
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: "settings.theme_changed",
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary: json!({ "before": current.theme, "after": theme }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    let written = load(&txn, tenant).await?;
    txn.commit().await?;
    state.refresh_tenant(tenant).await;
    Ok(written)
}
