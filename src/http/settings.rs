//! Tenant settings: tab bar and theme (merchant admins change them).

use super::extract::{JsonBody, MerchantAccess};
use crate::error::{AppResult, ErrorBody};
use crate::services::RequestMeta;
use crate::services::settings::{self, SettingsView};
use crate::state::AppState;
use actix_web::{get, put, web};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the settings routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_settings)
        .service(put_tab_bar)
        .service(put_theme);
}

/// Tab bar and theme.
#[utoipa::path(tag = "settings", security(("bearer" = [])), responses((status = 200, description = "OK", body = SettingsView)))]
#[get("/settings")]
async fn get_settings(
    state: web::Data<AppState>,
    access: MerchantAccess,
) -> AppResult<web::Json<SettingsView>> {
    Ok(web::Json(settings::get(&state, access.tenant).await?))
}

/// Replaces the tab bar: `{"items": [...]}` with 0 or 2–5 entries, each a published page
/// with a label (≤ 8 characters) and image icons.
#[utoipa::path(tag = "settings", request_body = crate::services::settings::TabBar, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = SettingsView), (status = 403, description = "Only the merchant admin", body = ErrorBody), (status = 422, description = "Invalid entry", body = ErrorBody)))]
#[put("/settings/tab-bar")]
async fn put_tab_bar(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    body: JsonBody<serde_json::Value>,
) -> AppResult<web::Json<SettingsView>> {
    access.require_admin()?;
    access.write()?;
    Ok(web::Json(
        settings::put_tab_bar(&state, access.user(), &meta, access.tenant, body.0).await?,
    ))
}

/// Replaces the theme: primary / background / text colours and navigation-bar defaults.
#[utoipa::path(tag = "settings", request_body = crate::services::settings::Theme, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = SettingsView), (status = 403, description = "Only the merchant admin", body = ErrorBody), (status = 422, description = "Invalid theme", body = ErrorBody)))]
#[put("/settings/theme")]
async fn put_theme(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    body: JsonBody<serde_json::Value>,
) -> AppResult<web::Json<SettingsView>> {
    access.require_admin()?;
    access.write()?;
    Ok(web::Json(
        settings::put_theme(&state, access.user(), &meta, access.tenant, body.0).await?,
    ))
}
