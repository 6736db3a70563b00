//! Signed links: an export's zip or a deploy's trial QR for a plain browser link or an
//! `<img>`, with the credential in the URL instead of a bearer header.

use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::services::exports::{self, Download};
use crate::services::signed_links::{self, Linked};
use crate::services::wechat::deploy;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the signed-link route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(open_link).service(open_asset_link);
}

/// Opens a signed link (from an export's `download_url` or a deploy run's `qrcode_url`).
/// No bearer header: the token in the path is the credential, valid for 10 minutes.
#[utoipa::path(tag = "links", params(("token" = String, Path, description = "The signed link's token")),
    responses((status = 200, description = "The export's zip or the trial QR image", content(("application/zip"), ("image/jpeg"))),
        (status = 302, description = "To the object store's own signed URL (S3)"),
        (status = 403, description = "`link_invalid`", body = ErrorBody),
        (status = 404, description = "The export or run no longer exists", body = ErrorBody),
        (status = 409, description = "`export_not_ready`", body = ErrorBody),
        (status = 410, description = "`link_expired` or `export_expired`", body = ErrorBody)))]
#[get("/links/{token}")]
async fn open_link(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (what, tenant, id) = signed_links::open(&state, &token)?;
    let mut answer = HttpResponse::Ok();
    // The link is a credential: neither it nor what it opens belongs in a shared cache.
    answer.insert_header((header::CACHE_CONTROL, "private, no-store"));
    Ok(match what {
        Linked::Export => match exports::download(&state, tenant, id).await? {
            Download::Redirect(url) => HttpResponse::Found()
                .insert_header((header::LOCATION, url))
                .insert_header((header::CACHE_CONTROL, "private, no-store"))
                .finish(),
            Download::Bytes(bytes) => answer
                .content_type("application/zip")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"export-{id}.zip\""),
                ))
                .body(bytes),
        },
        Linked::DeployQrcode => answer
            .content_type("image/jpeg")
            .body(deploy::qrcode(&state, tenant, id).await?),
        Linked::TenantAssets => return Err(AppError::new(ErrorCode::LinkInvalid)),
    })
}

/// One of a tenant's images or videos through the console's signed prefix (from
/// `GET /api/v1/tenants/{tenant_id}/asset-links`). Whatever the tenant's state, so a
/// frozen or held tenant's builder still shows its images; no bearer header.
#[utoipa::path(tag = "links", params(("token" = String, Path, description = "The prefix's token"), ("asset_id" = String, Path, description = "Asset id, or a system placeholder's id")),
    responses((status = 200, description = "The bytes"),
        (status = 302, description = "To the object store's own signed URL (S3)"),
        (status = 403, description = "`link_invalid`", body = ErrorBody),
        (status = 404, description = "No such asset of this tenant", body = ErrorBody),
        (status = 410, description = "`link_expired`", body = ErrorBody)))]
#[get("/links/{token}/assets/{asset_id}")]
async fn open_asset_link(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (token, asset_id) = path.into_inner();
    let (what, tenant, _) = signed_links::open(&state, &token)?;
    if what != Linked::TenantAssets {
        return Err(AppError::new(ErrorCode::LinkInvalid));
    }
    if let Some(sys) = state.catalog.system_asset(&asset_id) {
        return Ok(crate::http::client::system_asset(sys));
    }
    let id = uuid::Uuid::parse_str(&asset_id).map_err(|_| AppError::new(ErrorCode::NotFound))?;
    crate::http::client::serve_asset(&state, tenant, id, "private, max-age=3600").await
}
