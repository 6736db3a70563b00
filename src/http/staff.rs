//! Staff accounts (agency admins only): create, list, disable, enable, new one-time password.

use super::extract::{AgencyAdmin, JsonBody, Staff};
use crate::domain::ids::UserId;
use crate::domain::role::StaffRole;
use crate::domain::username::Username;
use crate::error::{AppResult, ErrorBody};
use crate::services::RequestMeta;
use crate::services::accounts::{self, AccountView, CreatedAccount};
use crate::state::AppState;
use actix_web::{HttpResponse, get, post, put, web};
use serde::{Deserialize, Serialize};
use utoipa_actix_web::service_config::ServiceConfig;

/// Registers the staff routes.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_staff)
        .service(create_staff)
        .service(disable_staff)
        .service(enable_staff)
        .service(reset_password)
        .service(set_staff_contact);
}

/// A new staff account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStaffRequest {
    /// Login name: 3–64 of `a-z 0-9 . _ -` (stored lower-case).
    #[schema(value_type = crate::domain::username::Username)]
    pub username: String,
    /// Shown in the console and the audit log.
    #[schema(value_type = crate::domain::text::PersonName)]
    pub display_name: String,
    /// `agency_admin` or `account_manager`.
    pub role: StaffRole,
    /// Mobile number merchants call (an account manager's is shown to their merchants).
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::contact::MobilePhoneOrBlank>)]
    pub phone: Option<String>,
    /// E-mail merchants write to.
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::contact::EmailOrBlank>)]
    pub email: Option<String>,
}

/// A staff member's contact details, replaced whole (`null` or blank removes one).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "13912345678", "email": "zhang.wei@agency.example.cn"}))]
pub struct StaffContactRequest {
    /// Mainland-China mobile number.
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::contact::MobilePhoneOrBlank>)]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::contact::EmailOrBlank>)]
    pub email: Option<String>,
}

/// Staff accounts.
#[derive(Serialize, utoipa::ToSchema)]
pub struct StaffList {
    /// Oldest first.
    pub items: Vec<AccountView>,
    /// Always `null`: the list answers whole (the shape every list shares).
    pub next_cursor: Option<uuid::Uuid>,
}

/// Lists every staff account.
#[utoipa::path(
    tag = "staff",
    security(("bearer" = [])),
    responses((status = 200, description = "OK", body = StaffList), (status = 401, description = "Not signed in, or the token is invalid", body = ErrorBody), (status = 403, description = "Not allowed for this role or state", body = ErrorBody))
)]
#[get("/staff")]
async fn list_staff(
    state: web::Data<AppState>,
    _admin: AgencyAdmin,
) -> AppResult<web::Json<StaffList>> {
    Ok(web::Json(StaffList {
        items: accounts::list_staff(&state).await?,
        next_cursor: None,
    }))
}

/// Creates a staff account with a one-time password, returned only in this answer.
#[utoipa::path(
    tag = "staff",
    request_body = CreateStaffRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = CreatedAccount),
        (status = 409, description = "`already_exists`: the username is taken", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    )
)]
#[post("/staff")]
async fn create_staff(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    body: JsonBody<CreateStaffRequest>,
) -> AppResult<HttpResponse> {
    let body = body.0;
    let username = Username::parse(&body.username, "username")?;
    let display_name = accounts::parse_display_name(&body.display_name, "display_name")?;
    let contact = accounts::StaffContact::parse(body.phone.as_deref(), body.email.as_deref())?;
    let created = accounts::create_staff(
        &state,
        &admin.0.user,
        &meta,
        username,
        display_name,
        body.role.into(),
        contact,
    )
    .await?;
    Ok(HttpResponse::Created()
        .insert_header(crate::http::NO_STORE)
        .json(created))
}

/// Disables a staff account: its sessions end and its tokens stop working. Idempotent.
#[utoipa::path(
    tag = "staff",
    params(("id" = uuid::Uuid, Path, description = "Account id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "OK", body = AccountView),
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 409, description = "`invalid_transition`: your own account", body = ErrorBody),
    )
)]
#[post("/staff/{id}/disable")]
async fn disable_staff(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<AccountView>> {
    Ok(web::Json(
        accounts::set_staff_disabled(&state, &admin.0.user, &meta, UserId(*id), true).await?,
    ))
}

/// Enables a disabled staff account. Idempotent.
#[utoipa::path(
    tag = "staff",
    params(("id" = uuid::Uuid, Path, description = "Account id")),
    security(("bearer" = [])),
    responses((status = 200, description = "OK", body = AccountView), (status = 404, description = "Not found", body = ErrorBody))
)]
#[post("/staff/{id}/enable")]
async fn enable_staff(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<web::Json<AccountView>> {
    Ok(web::Json(
        accounts::set_staff_disabled(&state, &admin.0.user, &meta, UserId(*id), false).await?,
    ))
}

/// Issues a new one-time password (the old password stops working, sessions end).
#[utoipa::path(
    tag = "staff",
    params(("id" = uuid::Uuid, Path, description = "Account id")),
    security(("bearer" = [])),
    responses((status = 200, description = "OK", body = CreatedAccount), (status = 404, description = "Not found", body = ErrorBody))
)]
#[post("/staff/{id}/one-time-password")]
async fn reset_password(
    state: web::Data<AppState>,
    admin: AgencyAdmin,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
) -> AppResult<HttpResponse> {
    let created = accounts::reset_staff_password(&state, &admin.0.user, &meta, UserId(*id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(crate::http::NO_STORE)
        .json(created))
}

/// Replaces a staff member's phone and e-mail (admins for anyone; a staff member for
/// themself). An account manager's are shown to their merchants.
#[utoipa::path(
    tag = "staff",
    params(("id" = uuid::Uuid, Path, description = "Account id")),
    request_body = StaffContactRequest,
    security(("bearer" = [])),
    responses((status = 200, description = "OK", body = AccountView),
        (status = 403, description = "Another staff member's contact, and not an admin", body = ErrorBody),
        (status = 404, description = "Not found", body = ErrorBody),
        (status = 422, description = "`phone` or `email` is invalid", body = ErrorBody))
)]
#[put("/staff/{id}/contact")]
async fn set_staff_contact(
    state: web::Data<AppState>,
    staff: Staff,
    meta: RequestMeta,
    id: web::Path<uuid::Uuid>,
    body: JsonBody<StaffContactRequest>,
) -> AppResult<web::Json<AccountView>> {
    let body = body.0;
    let contact = accounts::StaffContact::parse(body.phone.as_deref(), body.email.as_deref())?;
    Ok(web::Json(
        accounts::set_staff_contact(&state, &staff.0.user, &meta, UserId(*id), contact).await?,
    ))
}
