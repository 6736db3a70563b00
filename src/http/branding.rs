//! The agency's branding: read by anyone (the sign-in page shows it), set by admins.

use super::assets::read_file_field;
use super::extract::{AgencyAdmin, JsonBody};
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::services::RequestMeta;
use crate::services::branding::{self, BrandingView, MAX_LOGO_BYTES};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{HttpResponse, delete, get, http::header, put, web};
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the branding routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_branding)
        .service(set_branding)
        .service(branding_logo)
        .service(set_branding_logo)
        .service(delete_branding_logo);
}

/// The agency's name.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "好帮手数字科技"}))]
pub struct BrandingRequest {
    /// 1–40 characters; `null` or blank shows the product name.
    #[schema(value_type = Option<crate::domain::text::BrandName>)]
    pub name: Option<String>,
}

/// The logo upload.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct LogoForm {
    /// PNG, JPEG or WebP, at most 256 KiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// The agency's name and logo (no sign-in needed: the sign-in page shows them).
#[utoipa::path(tag = "branding", responses((status = 200, description = "OK", body = BrandingView)))]
#[get("/branding")]
async fn get_branding(state: web::Data<AppState>) -> AppResult<web::Json<BrandingView>> {
    Ok(web::Json(branding::get(&state).await?))
}

/// Sets the agency's name (agency admins).
#[utoipa::path(tag = "branding", request_body = BrandingRequest, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = BrandingView),
        (status = 403, description = "Not an agency admin", body = ErrorBody),
        (status = 422, description = "`name` is too long or has control characters", body = ErrorBody)))]
#[put("/branding")]
async fn set_branding(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    body: JsonBody<BrandingRequest>,
) -> AppResult<web::Json<BrandingView>> {
    let name = body.0.name;
    Ok(web::Json(
        branding::set_name(&state, &admin.0.user, &meta, name.as_deref()).await?,
    ))
}

/// The logo image (no sign-in needed).
#[utoipa::path(tag = "branding",
    responses((status = 200, description = "The image", content_type = "image/*"),
        (status = 404, description = "No logo is set", body = ErrorBody)))]
#[get("/branding/logo")]
async fn branding_logo(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let (content_type, bytes) = branding::logo(&state)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    // The URL carries the content hash: a new logo is a new URL.
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(bytes))
}

/// Sets the logo (agency admins; `multipart/form-data`, field `file`): a PNG, JPEG or
/// WebP image of at most 256 KiB, judged by its content.
#[utoipa::path(tag = "branding", request_body(content = LogoForm, content_type = "multipart/form-data"), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = BrandingView),
        (status = 403, description = "Not an agency admin", body = ErrorBody),
        (status = 413, description = "Over 256 KiB", body = ErrorBody),
        (status = 415, description = "Not `multipart/form-data`", body = ErrorBody),
        (status = 422, description = "`unsupported_file_type` (not PNG, JPEG or WebP) or `file_not_whole`", body = ErrorBody)))]
#[put("/branding/logo")]
async fn set_branding_logo(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    mut form: Multipart,
) -> AppResult<web::Json<BrandingView>> {
    let (_, bytes) = read_file_field(&mut form, MAX_LOGO_BYTES).await?;
    Ok(web::Json(
        branding::set_logo(&state, &admin.0.user, &meta, bytes).await?,
    ))
}

/// Removes the logo (agency admins).
#[utoipa::path(tag = "branding", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = BrandingView),
        (status = 403, description = "Not an agency admin", body = ErrorBody)))]
#[delete("/branding/logo")]
async fn delete_branding_logo(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
) -> AppResult<web::Json<BrandingView>> {
    Ok(web::Json(
        branding::clear_logo(&state, &admin.0.user, &meta).await?,
    ))
}
