//! In-system notices (inbox for every account, broadcast for agency admins), tenant
//! exports, and the lifecycle planner (staff).

use super::extract::{AgencyAdmin, Authenticated, JsonBody, Staff, TenantAccess};
use crate::domain::role::Role;
use crate::error::{AppResult, ErrorBody};
use crate::http::extract::Query;
use crate::lifecycle::planner::{self, PlannedDay};
use crate::services::RequestMeta;
use crate::services::exports::{self, Download, ExportView};
use crate::services::listing::ItemList;
use crate::services::notifications::{
    self, BroadcastCreated, BroadcastInput, InboxPage, InboxQuery,
};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the notice and planner routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_inbox)
        .service(inbox_unread_count)
        .service(mark_inbox_entry_read)
        .service(mark_inbox_read)
        .service(broadcast_notice)
        .service(lifecycle_plan)
        .service(list_calendar_years)
        .service(put_calendar_year)
        .service(request_export)
        .service(list_exports)
        .service(download_export);
}

const EXPORTERS: &[Role] = &[Role::AgencyAdmin, Role::AccountManager, Role::MerchantAdmin];

/// Requests an export of everything the tenant owns (any state, frozen tenants too, until
/// the deletion is due). A job builds the zip; poll the list for its link.
#[utoipa::path(tag = "lifecycle", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = ExportView), (status = 403, description = "Not a merchant admin or the tenant's staff", body = ErrorBody), (status = 404, description = "No such tenant", body = ErrorBody), (status = 409, description = "`tenant_deletion_due`: the tenant's data is due for deletion (`details.delete_after`)", body = ErrorBody)))]
#[post("/tenants/{tenant_id}/exports")]
async fn request_export(
    state: web::Data<AppState>,
    access: TenantAccess,
    meta: RequestMeta,
) -> AppResult<HttpResponse> {
    access.require(EXPORTERS)?;
    let export = exports::request(&state, access.user(), &meta, access.tenant).await?;
    Ok(HttpResponse::Accepted().json(export))
}

/// The tenant's exports, newest first, with their download links while valid.
#[utoipa::path(tag = "lifecycle", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ItemList<ExportView>), (status = 404, description = "No such tenant", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/exports")]
async fn list_exports(
    state: web::Data<AppState>,
    access: TenantAccess,
) -> AppResult<web::Json<ItemList<ExportView>>> {
    access.require(EXPORTERS)?;
    Ok(web::Json(ItemList::whole(
        exports::list(&state, access.tenant).await?,
    )))
}

/// Downloads a ready export (a redirect to object storage where it has signed URLs).
#[utoipa::path(tag = "lifecycle", params(("tenant_id" = uuid::Uuid, Path, description = "Tenant id"), ("export_id" = uuid::Uuid, Path, description = "Export id")), security(("bearer" = [])),
    responses((status = 200, description = "The zip", content_type = "application/zip"), (status = 302, description = "To the object store's signed URL"),
        (status = 404, description = "No such export", body = ErrorBody), (status = 409, description = "`export_not_ready`", body = ErrorBody), (status = 410, description = "`export_expired`", body = ErrorBody)))]
#[get("/tenants/{tenant_id}/exports/{export_id}/download")]
async fn download_export(
    state: web::Data<AppState>,
    access: TenantAccess,
    path: web::Path<(uuid::Uuid, uuid::Uuid)>,
) -> AppResult<HttpResponse> {
    access.require(EXPORTERS)?;
    let (_, id) = path.into_inner();
    Ok(match exports::download(&state, access.tenant, id).await? {
        Download::Redirect(url) => HttpResponse::Found()
            .insert_header((actix_web::http::header::LOCATION, url))
            .finish(),
        Download::Bytes(bytes) => HttpResponse::Ok()
            .content_type("application/zip")
            .insert_header((
                actix_web::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"export-{id}.zip\""),
            ))
            .body(bytes),
    })
}

/// The signed-in account's notices, newest first.
#[utoipa::path(tag = "notifications", params(InboxQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = InboxPage), (status = 422, description = "A query value is invalid", body = ErrorBody)))]
#[get("/inbox")]
async fn list_inbox(
    state: web::Data<AppState>,
    auth: Authenticated,
    q: Query<InboxQuery>,
) -> AppResult<web::Json<InboxPage>> {
    Ok(web::Json(
        notifications::inbox(&state, auth.0.user.id, q.into_inner()).await?,
    ))
}

/// Unread notices.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnreadCount {
    /// How many.
    pub unread: u64,
}

/// How many notices the signed-in account has not read.
#[utoipa::path(tag = "notifications", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = UnreadCount)))]
#[get("/inbox/unread-count")]
async fn inbox_unread_count(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> AppResult<web::Json<UnreadCount>> {
    Ok(web::Json(UnreadCount {
        unread: notifications::unread_count(&state, auth.0.user.id).await?,
    }))
}

/// Entries marked read.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MarkedRead {
    /// How many entries changed (0 when already read).
    pub marked: u64,
}

/// Marks one inbox entry read (idempotent).
#[utoipa::path(tag = "notifications", params(("entry_id" = uuid::Uuid, Path, description = "Inbox entry id")), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = MarkedRead), (status = 404, description = "Not in your inbox", body = ErrorBody)))]
#[post("/inbox/{entry_id}/read")]
async fn mark_inbox_entry_read(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<MarkedRead>> {
    Ok(web::Json(MarkedRead {
        marked: notifications::mark_read(&state, auth.0.user.id, Some(path.into_inner())).await?,
    }))
}

/// Marks every inbox entry read.
#[utoipa::path(tag = "notifications", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = MarkedRead)))]
#[post("/inbox/read-all")]
async fn mark_inbox_read(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> AppResult<web::Json<MarkedRead>> {
    Ok(web::Json(MarkedRead {
        marked: notifications::mark_read(&state, auth.0.user.id, None).await?,
    }))
}

/// Sends a notice to every tenant's merchant accounts, or one plan's tenants (agency
/// admins). Inboxes are filled by a job within seconds.
#[utoipa::path(tag = "notifications", request_body = BroadcastInput, security(("bearer" = [])),
    responses((status = 202, description = "Accepted", body = BroadcastCreated), (status = 403, description = "Not an agency admin", body = ErrorBody), (status = 422, description = "A field is invalid", body = ErrorBody)))]
#[post("/notifications/broadcast")]
async fn broadcast_notice(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    body: JsonBody<BroadcastInput>,
) -> AppResult<HttpResponse> {
    let created = notifications::broadcast(&state, &admin.0.user, &meta, body.0).await?;
    Ok(HttpResponse::Accepted().json(created))
}

/// The working-day calendar in force: every year with its holidays and make-up days and
/// where it comes from, and how far deletion dates can be computed (staff).
#[utoipa::path(tag = "lifecycle", security(("bearer" = [])),
    responses((status = 200, description = "OK", body = crate::services::calendar_years::CalendarView), (status = 403, description = "Not staff", body = ErrorBody)))]
#[get("/calendar/years")]
async fn list_calendar_years(
    state: web::Data<AppState>,
    _staff: Staff,
) -> AppResult<web::Json<crate::services::calendar_years::CalendarView>> {
    Ok(web::Json(
        crate::services::calendar_years::list(&state).await?,
    ))
}

/// Adds a year's arrangement from the State Council's notice, or corrects one added before
/// (agency admins): every date inside the year, make-up days on weekends, no date in both
/// lists. In force at once here and on every instance at its next tick; deletion dates it
/// reaches are filled in and announced, and a correction moves announced dates later only.
#[utoipa::path(tag = "lifecycle", params(("year" = i32, Path, description = "The year, e.g. 2027", minimum = 2000, maximum = 2100)), request_body = crate::services::calendar_years::YearInput, security(("bearer" = [])),
    responses((status = 201, description = "Added", body = crate::services::calendar_years::YearView),
        (status = 200, description = "Corrected", body = crate::services::calendar_years::YearView),
        (status = 403, description = "Not an agency admin", body = ErrorBody),
        (status = 409, description = "`calendar_year_shipped`: the binary ships this year", body = ErrorBody),
        (status = 422, description = "A date is invalid (`details.field`: `holidays[i]`, `workdays[i]`, `year`, `source`)", body = ErrorBody)))]
#[put("/calendar/years/{year}")]
async fn put_calendar_year(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    year: web::Path<i32>,
    body: JsonBody<crate::services::calendar_years::YearInput>,
) -> AppResult<HttpResponse> {
    let (created, view) =
        crate::services::calendar_years::put_year(&state, &admin.0.user, &meta, *year, body.0)
            .await?;
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Planner window.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    /// Days ahead, 1–366 (default 30).
    #[param(minimum = 1, maximum = 366)]
    pub days: Option<i64>,
}

/// What the lifecycle sweeps will do per day — reminders, freezes, overdue holds, purges —
/// and why, assuming nobody pays or renews in between. Changes nothing.
#[utoipa::path(tag = "lifecycle", params(PlanQuery), security(("bearer" = [])),
    responses((status = 200, description = "OK", body = ItemList<PlannedDay>), (status = 403, description = "Not staff", body = ErrorBody), (status = 422, description = "`days` is out of range", body = ErrorBody)))]
#[get("/lifecycle/plan")]
async fn lifecycle_plan(
    state: web::Data<AppState>,
    staff: Staff,
    q: Query<PlanQuery>,
) -> AppResult<web::Json<ItemList<PlannedDay>>> {
    let mut days = planner::plan(&state, state.clock.now(), q.days.unwrap_or(30)).await?;
    if staff.0.user.role == crate::domain::role::Role::AccountManager {
        // Account managers see their own tenants only.
        let mine: std::collections::HashSet<uuid::Uuid> = {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
            entity::tenants::Entity::find()
                .select_only()
                .column(entity::tenants::Column::Id)
                .filter(entity::tenants::Column::AccountManagerId.eq(staff.0.user.id.0))
                .into_tuple::<uuid::Uuid>()
                .all(&state.db)
                .await?
                .into_iter()
                .collect()
        };
        for day in &mut days {
            day.actions.retain(|a| mine.contains(&a.tenant_id));
        }
        days.retain(|d| !d.actions.is_empty());
    }
    Ok(web::Json(ItemList::whole(days)))
}
