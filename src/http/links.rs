//! Signed links: an export's zip or a deploy's trial QR for a plain browser link or an
//! `<img>`, with the credential in the URL instead of a bearer header.

use crate::error::{AppResult, ErrorBody};
use crate::services::exports::{self, Download};
use crate::services::signed_links::{self, Linked};
use crate::services::wechat::deploy;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the signed-link route.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(open_link);
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
    })
}
