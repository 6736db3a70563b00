//! Merchant assets: multipart upload (judged by content), list, metadata, delete.

use super::extract::MerchantAccess;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::assets::{self, AssetView};
use crate::state::AppState;
use actix_multipart::Multipart;
use actix_web::{HttpResponse, delete, get, post, web};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the asset routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(upload_asset)
        .service(asset_links)
        .service(list_assets)
        .service(get_asset)
        .service(delete_asset);
}

/// The upload form.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file (PNG, JPEG, GIF, WebP up to 10 MiB; MP4 up to 50 MiB by default).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads an image or video (`multipart/form-data`, field `file`). The type is judged by
/// the content, never the name; the plan's storage quota is checked.
#[utoipa::path(tag = "assets", request_body(content = UploadForm, content_type = "multipart/form-data"), security(("bearer" = [])),
    responses((status = 201, description = "Stored", body = AssetView),
        (status = 413, description = "Over the kind's size limit (`details` has the numbers)", body = ErrorBody),
        (status = 415, description = "Not `multipart/form-data`", body = ErrorBody),
        (status = 422, description = "`unsupported_file_type` or `quota_exceeded` (used, limit, requested)", body = ErrorBody)))]
#[post("/assets")]
async fn upload_asset(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    mut form: Multipart,
) -> AppResult<HttpResponse> {
    access.write()?;
    let limit = state
        .settings
        .storage
        .max_image_bytes
        .max(state.settings.storage.max_video_bytes);
    let (name, bytes) = read_file_field(&mut form, limit).await?;
    let asset = assets::upload(&state, access.user(), &meta, access.tenant, &name, bytes).await?;
    Ok(HttpResponse::Created().json(asset))
}

/// The multipart field `file`: its name and bytes, at most `limit` bytes (413 beyond,
/// read no further); 422 naming `file` when the form has none.
pub(super) async fn read_file_field(
    form: &mut Multipart,
    limit: usize,
) -> AppResult<(String, Vec<u8>)> {
    while let Some(field) = form.next().await {
        let mut field = field.map_err(multipart_error)?;
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .unwrap_or("upload")
            .to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(multipart_error)?;
            if bytes.len() + chunk.len() > limit {
                return Err(AppError::new(ErrorCode::PayloadTooLarge)
                    .with_details(serde_json::json!({ "field": "file", "limit_bytes": limit })));
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok((name, bytes));
    }
    Err(AppError::invalid_field(
        "file",
        Localized::new("缺少 file 字段", "the multipart field `file` is missing"),
    ))
}

/// A body that is not `multipart/form-data` is 415 saying what to send; a broken one 400.
fn multipart_error(e: actix_multipart::MultipartError) -> AppError {
    use actix_multipart::MultipartError as E;
    match e {
        E::ContentTypeMissing | E::ContentTypeParse | E::ContentTypeIncompatible => {
            AppError::new(ErrorCode::UnsupportedMediaType).with_message(Localized::new(
                "请以 multipart/form-data 上传，文件放在 file 字段。",
                "Send multipart/form-data with the file in the field `file`.",
            ))
        }
        other => {
            let reason = other.to_string();
            AppError::new(ErrorCode::BadRequest)
                .with_message(Localized::new(
                    format!("multipart 请求体无效：{reason}"),
                    format!("The multipart body is malformed: {reason}"),
                ))
                .with_details(serde_json::json!({ "reason": reason }))
        }
    }
}

/// Assets and storage use.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AssetList {
    /// Newest first.
    pub items: Vec<AssetView>,
    /// Bytes stored.
    pub storage_used_bytes: i64,
    /// The plan's storage quota.
    pub storage_quota_bytes: i64,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// The tenant's assets.
#[utoipa::path(tag = "assets", security(("bearer" = [])), responses((status = 200, description = "OK", body = AssetList)))]
#[get("/assets")]
async fn list_assets(
    state: web::Data<AppState>,
    access: MerchantAccess,
) -> AppResult<web::Json<AssetList>> {
    let (items, used, quota) = assets::list(&state, access.tenant).await?;
    Ok(web::Json(AssetList {
        items,
        storage_used_bytes: used,
        storage_quota_bytes: quota,
        next_cursor: None,
    }))
}

/// The URL prefix under which the console loads this tenant's images and videos
/// (`{url}{asset_id}`): a signed link that needs no bearer header, the same for 12 hours
/// (browsers cache the images) and valid until `expires_at`; fetch it again before then.
/// It works in any tenant state, unlike the phones' client route.
#[utoipa::path(tag = "assets", security(("bearer" = [])), responses((status = 200, description = "OK", body = crate::services::signed_links::SignedLink)))]
#[get("/asset-links")]
async fn asset_links(
    state: web::Data<AppState>,
    access: MerchantAccess,
) -> AppResult<web::Json<crate::services::signed_links::SignedLink>> {
    Ok(web::Json(crate::services::signed_links::asset_prefix(
        &state,
        access.tenant,
    )?))
}

/// One asset's metadata.
#[utoipa::path(tag = "assets", params(("asset_id" = uuid::Uuid, Path, description = "Asset id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = AssetView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/assets/{asset_id}")]
async fn get_asset(
    state: web::Data<AppState>,
    access: MerchantAccess,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<AssetView>> {
    Ok(web::Json(assets::view(&state, access.tenant, *id).await?))
}

/// Deletes an asset (merchant admin); 409 `in_use` naming the drafts, versions and tab bar
/// that reference it.
#[utoipa::path(tag = "assets", params(("asset_id" = uuid::Uuid, Path, description = "Asset id")), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 403, description = "Editors cannot delete", body = ErrorBody), (status = 409, description = "`in_use`", body = ErrorBody)))]
#[delete("/assets/{asset_id}")]
async fn delete_asset(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    access.require_admin()?;
    access.write()?;
    assets::delete(&state, access.user(), &meta, access.tenant, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
