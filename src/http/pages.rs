//! Merchant pages: CRUD with conflict-checked saves (ETag = revision, `If-Match`
//! required), publish, versions, restore, starter templates and the component catalogue.

use super::extract::{JsonBody, MerchantAccess, TenantAccess};
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, ErrorBody, ErrorCode};
use crate::http::extract::Query;
use crate::render::catalog::{ComponentInfo, StarterPage};
use crate::services::RequestMeta;
use crate::services::assets::plan_apps;
use crate::services::pages::{self, PageInput, PageView, VersionView};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

/// Largest page body: 512 KiB.
pub const PAGE_BODY_LIMIT: usize = 512 * 1024;

/// Registers the page routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_components)
        .service(list_page_templates)
        .service(create_page_from_template)
        .service(list_pages)
        .service(create_page)
        .service(render_unsaved_page)
        .service(get_page)
        .service(replace_page)
        .service(delete_page)
        .service(publish_page)
        .service(unpublish_page)
        .service(unpublish_pages)
        .service(list_page_versions)
        .service(get_page_version)
        .service(restore_page_version)
        .service(preview_page)
        .service(preview_link)
        .service(publish_check)
        .service(preview_qrcode)
        .service(staff_list_pages)
        .service(take_down_page)
        .service(lift_page_takedown);
}

fn etag(revision: i32) -> (header::HeaderName, String) {
    (header::ETAG, format!("\"{revision}\""))
}

/// The revision named by `If-Match` (`"3"`, `W/"3"` or `*` for "whatever is current").
fn if_match(req: &HttpRequest, required: bool) -> AppResult<Option<i32>> {
    let Some(raw) = req.headers().get(header::IF_MATCH) else {
        return if required {
            Err(AppError::new(ErrorCode::PreconditionRequired))
        } else {
            Ok(None)
        };
    };
    let text = raw.to_str().unwrap_or("").trim();
    if text == "*" {
        return Ok(None);
    }
    let value = text.trim_start_matches("W/").trim_matches('"');
    value.parse::<i32>().map(Some).map_err(|_| {
        AppError::invalid_field(
            "If-Match",
            crate::error::Localized::new(
                "须为页面的 ETag，例如 \"3\"",
                "must be the page's ETag, e.g. \"3\"",
            ),
        )
    })
}

/// Component types.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ComponentList {
    /// Types of the plan's apps, by name.
    pub items: Vec<ComponentInfo>,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// Component types available to the tenant's plan, with display names, icons and JSON
/// Schemas so the builder can generate its property panels.
#[utoipa::path(tag = "pages", security(("bearer" = [])), responses((status = 200, description = "OK", body = ComponentList), (status = 403, description = "Not a merchant user", body = ErrorBody)))]
#[get("/components")]
async fn list_components(
    state: web::Data<AppState>,
    access: MerchantAccess,
) -> AppResult<web::Json<ComponentList>> {
    let apps = plan_apps(&state.db, access.tenant).await?;
    Ok(web::Json(ComponentList {
        items: state.catalog.components_for(&apps),
        next_cursor: None,
    }))
}

/// Starter pages.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StarterPageList {
    /// Home, catalogue, about us, contact.
    pub items: Vec<StarterPage>,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// Starter page templates (layout only, with system placeholder images).
#[utoipa::path(tag = "pages", security(("bearer" = [])), responses((status = 200, description = "OK", body = StarterPageList)))]
#[get("/page-templates")]
async fn list_page_templates(
    state: web::Data<AppState>,
    _access: MerchantAccess,
) -> web::Json<StarterPageList> {
    web::Json(StarterPageList {
        items: state.catalog.starter_pages().to_vec(),
        next_cursor: None,
    })
}

/// Which template to copy.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"template": "store-home", "slug": "home", "title": "首页"}))]
pub struct FromTemplateRequest {
    /// Template key (`home`, `catalogue`, `about`, `contact`).
    pub template: String,
    /// Slug of the copy (default: the template's).
    #[serde(default)]
    pub slug: Option<String>,
    /// Title of the copy (default: the template's).
    #[serde(default)]
    pub title: Option<String>,
}

/// Copies a starter template into the tenant as a new draft page.
#[utoipa::path(tag = "pages", request_body = FromTemplateRequest, security(("bearer" = [])),
    responses((status = 201, description = "Created", body = PageView), (status = 403, description = "Not allowed in this state", body = ErrorBody), (status = 409, description = "Slug taken", body = ErrorBody), (status = 422, description = "Unknown template, outside the plan, or over quota", body = ErrorBody)))]
#[post("/pages/from-template")]
async fn create_page_from_template(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    body: JsonBody<FromTemplateRequest>,
) -> AppResult<HttpResponse> {
    access.write()?;
    let b = body.0;
    let page = pages::create_from_template(
        &state,
        access.user(),
        &meta,
        access.tenant,
        &b.template,
        b.slug,
        b.title,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(page.revision))
        .json(page))
}

/// Pages.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PageList {
    /// By slug, without layouts.
    pub items: Vec<PageView>,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// The tenant's pages.
#[utoipa::path(tag = "pages", security(("bearer" = [])), responses((status = 200, description = "OK", body = PageList), (status = 403, description = "Not a merchant user", body = ErrorBody)))]
#[get("/pages")]
async fn list_pages(
    state: web::Data<AppState>,
    access: MerchantAccess,
) -> AppResult<web::Json<PageList>> {
    Ok(web::Json(PageList {
        items: pages::list(&state, access.tenant).await?,
        next_cursor: None,
    }))
}

/// Creates a page. Refused with 422 and the JSON pointer (into `layout`) of the first
/// fault; 413 over 512 KiB; nothing is stored on refusal.
#[utoipa::path(tag = "pages", request_body = PageInput, security(("bearer" = [])),
    responses((status = 201, description = "Created; ETag is the revision", body = PageView),
        (status = 403, description = "`tenant_pending`, `tenant_on_hold`, `tenant_frozen`", body = ErrorBody),
        (status = 409, description = "Slug taken", body = ErrorBody), (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "`validation_failed` with `details.pointer`, or `quota_exceeded`", body = ErrorBody)))]
#[post("/pages")]
async fn create_page(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    body: JsonBody<PageInput, PAGE_BODY_LIMIT>,
) -> AppResult<HttpResponse> {
    access.write()?;
    let page = pages::create(&state, access.user(), &meta, access.tenant, body.0).await?;
    Ok(HttpResponse::Created()
        .insert_header(etag(page.revision))
        .json(page))
}

/// Renders a layout that is not saved, as publishing would render it, and stores nothing
/// (the builder's preview). Image URLs are relative and load in the console before the
/// tenant has an appid. Faults: 422 `validation_failed` with every fault under
/// `details.errors` (`pointer`, `component_id`, `reason` in zh-CN and en).
#[utoipa::path(tag = "pages", request_body = PageInput, security(("bearer" = [])),
    responses((status = 200, description = "The page JSON the client API would serve"),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 422, description = "`validation_failed` with `details.errors`, or `render_failed`", body = ErrorBody)))]
#[post("/pages/render")]
async fn render_unsaved_page(
    state: web::Data<AppState>,
    access: MerchantAccess,
    body: JsonBody<PageInput, PAGE_BODY_LIMIT>,
) -> AppResult<HttpResponse> {
    let rendered =
        crate::services::page_checks::render_unsaved(&state, access.tenant, body.0).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(rendered.bytes))
}

/// A page with its draft; `ETag` is its revision.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PageView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/pages/{page_id}")]
async fn get_page(
    state: web::Data<AppState>,
    access: MerchantAccess,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    let page = pages::get(&state, access.tenant, *id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(page.revision))
        .json(page))
}

/// Replaces the draft. `If-Match` must carry the current ETag: missing → 428, stale → 412
/// with `details.current_revision`.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id"), ("If-Match" = String, Header, pattern = r#"^[ \t]*(\*|(W/)?"[0-9]{1,9}")[ \t]*$"#, description = "The page's ETag (`\"3\"`), or `*` for whatever is current")),
    request_body = PageInput, security(("bearer" = [])),
    responses((status = 200, description = "Saved; new ETag", body = PageView),
        (status = 409, description = "`already_exists`: another page has the slug", body = ErrorBody),
        (status = 412, description = "`revision_mismatch`", body = ErrorBody), (status = 428, description = "`precondition_required`", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody), (status = 422, description = "Invalid layout", body = ErrorBody)))]
#[put("/pages/{page_id}")]
async fn replace_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    access: MerchantAccess,
    id: web::Path<uuid::Uuid>,
    body: JsonBody<PageInput, PAGE_BODY_LIMIT>,
) -> AppResult<HttpResponse> {
    access.write()?;
    let expected = match if_match(&req, true)? {
        Some(r) => r,
        None => pages::get(&state, access.tenant, *id).await?.revision,
    };
    let page = pages::replace(&state, access.user(), access.tenant, *id, expected, body.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(page.revision))
        .json(page))
}

/// Deletes a page and its versions (merchant admin); 409 `in_use` while the tab bar points
/// at it.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id")), security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 403, description = "Editors cannot delete", body = ErrorBody), (status = 409, description = "`in_use` (tab bar), or `page_linked`: published pages link to it (`details.linked_from`)", body = ErrorBody)))]
#[delete("/pages/{page_id}")]
async fn delete_page(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    access.require_admin()?;
    access.write()?;
    pages::delete(&state, access.user(), &meta, access.tenant, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Publishes the draft as a new immutable version (merchant admin).
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id")), security(("bearer" = [])),
    responses((status = 201, description = "Published", body = VersionView), (status = 403, description = "Editors cannot publish", body = ErrorBody), (status = 409, description = "`page_taken_down`", body = ErrorBody),
        (status = 422, description = "`publish_blocked`: `details.errors` names every invalid property, missing asset and dead link (as `GET /pages/{page_id}/publish-check`)", body = ErrorBody)))]
#[post("/pages/{page_id}/publish")]
async fn publish_page(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    access.require_admin()?;
    access.write()?;
    let version = pages::publish(&state, access.user(), &meta, access.tenant, *id).await?;
    Ok(HttpResponse::Created().json(version))
}

/// Removes the page from the client API (merchant admin); its versions stay.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PageView), (status = 409, description = "`in_use` by the tab bar, or `page_linked`: published pages link to it (`details.linked_from`)", body = ErrorBody)))]
#[post("/pages/{page_id}/unpublish")]
async fn unpublish_page(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<PageView>> {
    access.require_admin()?;
    access.write()?;
    Ok(web::Json(
        pages::unpublish(&state, access.user(), &meta, access.tenant, *id).await?,
    ))
}

/// Pages to take off the client API together.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnpublishManyRequest {
    /// 1–100 page ids.
    #[schema(min_items = 1, max_items = 100)]
    pub page_ids: Vec<uuid::Uuid>,
}

/// Removes several pages from the client API at once, or none (merchant admin): pages
/// that link only to each other can go together, which one by one would be refused.
#[utoipa::path(tag = "pages", request_body = UnpublishManyRequest, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = [PageView]), (status = 404, description = "A page does not exist", body = ErrorBody),
        (status = 409, description = "`in_use` by the tab bar, or `page_linked`: published pages outside the set link to one (`details.linked_from`)", body = ErrorBody),
        (status = 422, description = "`page_ids` empty or over 100", body = ErrorBody)))]
#[post("/pages/unpublish")]
async fn unpublish_pages(
    state: web::Data<AppState>,
    access: MerchantAccess,
    meta: RequestMeta,
    body: JsonBody<UnpublishManyRequest>,
) -> AppResult<web::Json<Vec<PageView>>> {
    access.require_admin()?;
    access.write()?;
    let mut ids = body.0.page_ids;
    ids.sort();
    ids.dedup();
    if ids.is_empty() || ids.len() > 100 {
        return Err(crate::error::AppError::invalid_field(
            "page_ids",
            crate::error::Localized::new("须为 1–100 个页面", "must name 1–100 pages"),
        ));
    }
    Ok(web::Json(
        pages::unpublish_many(&state, access.user(), &meta, access.tenant, &ids).await?,
    ))
}

/// Versions.
#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionList {
    /// Newest first, without layouts.
    pub items: Vec<VersionView>,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// The page's published versions.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = VersionList), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/pages/{page_id}/versions")]
async fn list_page_versions(
    state: web::Data<AppState>,
    access: MerchantAccess,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<VersionList>> {
    Ok(web::Json(VersionList {
        items: pages::versions(&state, access.tenant, *id).await?,
        next_cursor: None,
    }))
}

/// One version with its layout.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id"), ("version" = i32, Path, description = "Version number")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = VersionView), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/pages/{page_id}/versions/{version}")]
async fn get_page_version(
    state: web::Data<AppState>,
    access: MerchantAccess,
    path: web::Path<(uuid::Uuid, i32)>,
) -> AppResult<web::Json<VersionView>> {
    Ok(web::Json(
        pages::version(&state, access.tenant, path.0, path.1).await?,
    ))
}

/// Copies version n into the draft as a new revision (merchant admin). `If-Match` is
/// checked when sent.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id"), ("version" = i32, Path, description = "Version number")), security(("bearer" = [])),
    responses((status = 200, description = "Restored; new ETag", body = PageView), (status = 412, description = "`revision_mismatch`", body = ErrorBody)))]
#[post("/pages/{page_id}/versions/{version}/restore")]
async fn restore_page_version(
    state: web::Data<AppState>,
    req: HttpRequest,
    access: MerchantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, i32)>,
) -> AppResult<HttpResponse> {
    access.require_admin()?;
    access.write()?;
    let expected = if_match(&req, false)?;
    let page = pages::restore(
        &state,
        access.user(),
        &meta,
        access.tenant,
        path.0,
        path.1,
        expected,
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(page.revision))
        .json(page))
}

/// Which version to preview.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PreviewQuery {
    /// A published version; omitted: the draft.
    pub version: Option<i32>,
}

/// Renders the draft (or version n) exactly as the client API would serve it.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id"), PreviewQuery), security(("bearer" = [])),
    responses((status = 200, description = "The client's view JSON"), (status = 404, description = "Not found", body = ErrorBody), (status = 422, description = "`render_failed`", body = ErrorBody)))]
#[get("/pages/{page_id}/preview")]
async fn preview_page(
    state: web::Data<AppState>,
    access: MerchantAccess,
    id: web::Path<uuid::Uuid>,
    q: Query<PreviewQuery>,
) -> AppResult<HttpResponse> {
    let rendered = pages::preview(&state, access.tenant, *id, q.version).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::ETAG, rendered.etag))
        .body(rendered.bytes))
}

/// A link that opens the page's draft on a phone (the trial version, path
/// `pages/page/page?slug=…&preview=…`); it works for 30 minutes.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id")), security(("bearer" = [])),
    responses((status = 201, description = "Created", body = crate::services::preview_links::PreviewLink), (status = 404, description = "Not found", body = ErrorBody)))]
#[post("/pages/{page_id}/preview-link")]
async fn preview_link(
    state: web::Data<AppState>,
    access: MerchantAccess,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    let link = crate::services::preview_links::issue(&state, access.tenant, *id).await?;
    Ok(HttpResponse::Created().json(link))
}

/// What publishing the draft would refuse (every invalid property, missing asset and
/// link to a page that is not published) and warn about (component types the released
/// mini-program does not draw).
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = crate::services::page_checks::PublishCheck), (status = 404, description = "Not found", body = ErrorBody)))]
#[get("/pages/{page_id}/publish-check")]
async fn publish_check(
    state: web::Data<AppState>,
    access: MerchantAccess,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<crate::services::page_checks::PublishCheck>> {
    Ok(web::Json(
        crate::services::page_checks::check(&state, access.tenant, *id).await?,
    ))
}

/// The trial version's QR code opening the page's draft on a phone (scan with WeChat): a
/// fresh 30-minute preview token each time; `X-Preview-Expires-At` says until when. Needs
/// a bound mini-program with a trial or released version.
#[utoipa::path(tag = "pages", params(("page_id" = uuid::Uuid, Path, description = "Page id")), security(("bearer" = [])),
    responses((status = 200, description = "The QR code image", content_type = "image/jpeg"), (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "`wechat_not_bound`, or `invalid_transition`: no trial or released version yet", body = ErrorBody),
        (status = 502, description = "`wechat_call_failed`", body = ErrorBody), (status = 503, description = "`wechat_not_configured`", body = ErrorBody)))]
#[post("/pages/{page_id}/preview-qrcode")]
async fn preview_qrcode(
    state: web::Data<AppState>,
    access: MerchantAccess,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    let (link, bytes, content_type) =
        crate::services::preview_links::qrcode(&state, access.tenant, *id).await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Preview-Expires-At", link.expires_at.to_rfc3339()))
        .body(bytes))
}

/// A tenant's pages, for staff (takedown decisions).
#[utoipa::path(tag = "pages", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PageList), (status = 403, description = "Not staff", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/pages")]
async fn staff_list_pages(
    state: web::Data<AppState>,
    access: TenantAccess,
) -> AppResult<web::Json<PageList>> {
    access.require_staff()?;
    Ok(web::Json(PageList {
        items: pages::list(&state, access.tenant).await?,
        next_cursor: None,
    }))
}

/// A reason for a page takedown change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "页面含未经授权的商标图片"}))]
pub struct PageTakedownRequest {
    /// Why (audited).
    #[schema(value_type = crate::domain::text::HoldReason)]
    pub reason: String,
}

/// Takes one page down (agency admins): it leaves the client API and cannot be published
/// until lifted.
#[utoipa::path(tag = "pages", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("page_id" = uuid::Uuid, Path, description = "Page id")),
    request_body = PageTakedownRequest, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PageView), (status = 403, description = "Not an agency admin", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/pages/{page_id}/takedown")]
async fn take_down_page(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    body: JsonBody<PageTakedownRequest>,
) -> AppResult<web::Json<PageView>> {
    access.require(&[Role::AgencyAdmin])?;
    Ok(web::Json(
        pages::set_takedown(
            &state,
            access.user(),
            &meta,
            access.tenant,
            path.1,
            true,
            &body.0.reason,
        )
        .await?,
    ))
}

/// Lifts a page takedown (agency admins).
#[utoipa::path(tag = "pages", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("page_id" = uuid::Uuid, Path, description = "Page id")),
    request_body = PageTakedownRequest, security(("bearer" = [])),
    responses((status = 200, description = "OK", body = PageView), (status = 403, description = "Not an agency admin", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/pages/{page_id}/takedown/lift")]
async fn lift_page_takedown(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
    body: JsonBody<PageTakedownRequest>,
) -> AppResult<web::Json<PageView>> {
    access.require(&[Role::AgencyAdmin])?;
    Ok(web::Json(
        pages::set_takedown(
            &state,
            access.user(),
            &meta,
            access.tenant,
            path.1,
            false,
            &body.0.reason,
        )
        .await?,
    ))
}
