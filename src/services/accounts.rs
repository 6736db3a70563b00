//! Accounts: creating staff (and, through `insert_user`, merchant users), listing,
//! disabling and enabling, and issuing one-time passwords.

use crate::auth::password::{generate_one_time_password, hash_password};
use crate::db;
use crate::domain::contact::{Email, MobilePhone};
use crate::domain::ids::{TenantId, UserId};
use crate::domain::role::Role;
use crate::domain::username::Username;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::audit::{self, Actor, AuditRecord};
use crate::services::principals::CachedUser;
use crate::services::sessions::revoke_all_sessions;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use entity::users;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;

/// An account as shown to administrators (never the hash).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    /// Account id.
    pub id: uuid::Uuid,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Tenant of a merchant user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<uuid::Uuid>,
    /// `active` or `disabled`.
    pub status: &'static str,
    /// The system-issued password has not been changed yet.
    pub must_change_password: bool,
    /// When the system-issued password stops working, if one is pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub one_time_password_expires_at: Option<DateTime<Utc>>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Mobile number a merchant calls (staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail a merchant writes to (staff).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl From<users::Model> for AccountView {
    fn from(u: users::Model) -> Self {
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role.parse().unwrap_or(Role::MerchantEditor),
            tenant_id: u.tenant_id,
            status: if u.disabled_at.is_some() {
                "disabled"
            } else {
                "active"
            },
            must_change_password: u.must_change_password,
            one_time_password_expires_at: u.password_expires_at,
            created_at: u.created_at,
            phone: u.phone,
            email: u.email,
        }
    }
}

/// A created account with its one-time password, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedAccount {
    /// The account.
    pub account: AccountView,
    /// The one-time password: shown only in this answer, only its hash is stored; it must
    /// be changed at first login and expires at `account.one_time_password_expires_at`.
    pub one_time_password: String,
}

/// What a new account needs.
pub struct NewAccount {
    /// Login name.
    pub username: Username,
    /// Display name (1–100 characters).
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Tenant, for merchant roles.
    pub tenant_id: Option<TenantId>,
    /// How merchants reach a staff member.
    pub contact: StaffContact,
}

/// How a merchant reaches a staff member (its account manager): both optional.
#[derive(Clone, Debug, Default)]
pub struct StaffContact {
    /// Mobile number.
    pub phone: Option<MobilePhone>,
    /// E-mail.
    pub email: Option<Email>,
}

impl StaffContact {
    /// Parses the request's `phone` and `email` (blank means none).
    pub fn parse(phone: Option<&str>, email: Option<&str>) -> AppResult<Self> {
        fn present(v: Option<&str>) -> Option<&str> {
            v.filter(|v| !v.trim().is_empty())
        }
        Ok(Self {
            phone: present(phone)
                .map(|p| MobilePhone::parse(p, "phone"))
                .transpose()?,
            email: present(email)
                .map(|e| Email::parse(e, "email"))
                .transpose()?,
        })
    }

    fn phone(&self) -> Option<String> {
        self.phone.as_ref().map(|p| p.as_str().to_owned())
    }

    fn email(&self) -> Option<String> {
        self.email.as_ref().map(|e| e.as_str().to_owned())
    }
}

/// Checks a display name; `field` names the request field in the error.
pub fn parse_display_name(raw: &str, field: &str) -> AppResult<String> {
    let name = raw.trim();
    let len = name.chars().count();
    if !(1..=100).contains(&len) || crate::domain::text::has_disallowed(name) {
        return Err(AppError::invalid_field(
            field,
            Localized::new(
                "须为 1–100 个字符，且不含控制字符或文字方向控制符",
                "must be 1–100 characters without control or text-direction characters",
            ),
        ));
    }
    Ok(name.to_owned())
}

/// A generated one-time password and its hash, prepared before a write transaction opens
/// (argon2 takes tens of milliseconds; it must not hold the database's write lock).
pub struct OneTimePassword {
    plain: String,
    hash: String,
}

impl OneTimePassword {
    /// Generates and hashes a new one-time password.
    pub async fn generate() -> AppResult<Self> {
        let plain = generate_one_time_password();
        let hash = hash_blocking(plain.clone()).await?;
        Ok(Self { plain, hash })
    }
}

/// Inserts an account with the prepared one-time password on `conn` (the caller's
/// transaction). A taken username answers 409 `already_exists` naming `username_field`.
pub async fn insert_user(
    conn: &impl ConnectionTrait,
    state: &AppState,
    new: NewAccount,
    otp: OneTimePassword,
    created_by: Option<UserId>,
    username_field: &str,
) -> AppResult<CreatedAccount> {
    let OneTimePassword { plain: otp, hash } = otp;
    let now = state.clock.now();
    let expires = now + Duration::hours(state.settings.auth.one_time_password_ttl_hours);
    let model = users::ActiveModel {
        id: Set(UserId::new().0),
        username: Set(new.username.as_str().to_owned()),
        display_name: Set(new.display_name),
        password_hash: Set(hash),
        role: Set(new.role.as_str().into()),
        tenant_id: Set(new.tenant_id.map(|t| t.0)),
        must_change_password: Set(true),
        password_expires_at: Set(Some(expires)),
        disabled_at: Set(None),
        created_by: Set(created_by.map(|u| u.0)),
        created_at: Set(now),
        updated_at: Set(now),
        phone: Set(new.contact.phone()),
        email: Set(new.contact.email()),
    };
    let inserted = users::Entity::insert(model.clone())
        .exec_without_returning(conn)
        .await;
    match inserted {
        Ok(_) => {}
        Err(e) if db::is_unique_violation(&e) => {
            return Err(AppError::new(ErrorCode::AlreadyExists)
                .with_details(serde_json::json!({ "field": username_field })));
        }
        Err(e) => return Err(e.into()),
    }
    let row = users::Model {
        id: model.id.unwrap(),
        username: model.username.unwrap(),
        display_name: model.display_name.unwrap(),
        password_hash: String::new(),
        role: model.role.unwrap(),
        tenant_id: model.tenant_id.unwrap(),
        must_change_password: true,
        password_expires_at: Some(expires),
        disabled_at: None,
        created_by: model.created_by.unwrap(),
        created_at: now,
        updated_at: now,
        phone: model.phone.unwrap(),
        email: model.email.unwrap(),
    };
    Ok(CreatedAccount {
        account: row.into(),
        one_time_password: otp,
    })
}

/// Creates a staff account (agency admin only), audited.
pub async fn create_staff(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    username: Username,
    display_name: String,
    role: Role,
    contact: StaffContact,
) -> AppResult<CreatedAccount> {
    if !role.is_staff() {
        return Err(AppError::invalid_field(
            "role",
            Localized::new(
                "只能是 agency_admin 或 account_manager",
                "must be agency_admin or account_manager",
            ),
        ));
    }
    let otp = OneTimePassword::generate().await?;
    let txn = db::begin_write(&state.db).await?;
    let created = insert_user(
        &txn,
        state,
        NewAccount {
            username,
            display_name,
            role,
            tenant_id: None,
            contact,
        },
        otp,
        Some(actor.id),
        "username",
    )
    .await?;
    audit::record(
        &txn,
        state.clock.now(),
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: "staff.created",
            subject_type: "user",
            subject_id: Some(created.account.id.to_string()),
            summary: serde_json::json!({
                "username": created.account.username,
                "role": role.as_str(),
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Every staff account, oldest first.
pub async fn list_staff(state: &AppState) -> AppResult<Vec<AccountView>> {
    let rows = users::Entity::find()
        .filter(users::Column::TenantId.is_null())
        .order_by_asc(users::Column::CreatedAt)
        .order_by_asc(users::Column::Id)
        .all(&state.db)
        .await?;
    Ok(rows.into_iter().map(AccountView::from).collect())
}

/// Replaces a staff member's contact details (an admin for anyone, a staff member for
/// themself); audited with the phone masked.
pub async fn set_staff_contact(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    target: UserId,
    contact: StaffContact,
) -> AppResult<AccountView> {
    if actor.role != Role::AgencyAdmin && actor.id != target {
        return Err(AppError::new(ErrorCode::Forbidden));
    }
    let txn = db::begin_write(&state.db).await?;
    let user = users::Entity::find_by_id(target.0)
        .filter(users::Column::TenantId.is_null())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let now = state.clock.now();
    let (phone, email) = (contact.phone(), contact.email());
    users::Entity::update_many()
        .col_expr(users::Column::Phone, Expr::value(phone.clone()))
        .col_expr(users::Column::Email, Expr::value(email.clone()))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(target.0))
        .exec(&txn)
        .await?;
    let masked = |p: &Option<String>| p.as_deref().map(audit::mask_phone);
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: "staff.contact_changed",
            subject_type: "user",
            subject_id: Some(target.to_string()),
            summary: serde_json::json!({
                "username": user.username,
                "before": { "phone": masked(&user.phone), "email": user.email },
                "after": { "phone": masked(&phone), "email": email },
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(users::Model {
        phone,
        email,
        updated_at: now,
        ..user
    }
    .into())
}

/// Disables or enables a staff account; idempotent. Disabling revokes every session of the
/// account, and its unexpired access tokens stop working at once on this instance (within
/// the cache TTL elsewhere). Nobody can disable their own account.
pub async fn set_staff_disabled(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    target: UserId,
    disabled: bool,
) -> AppResult<AccountView> {
    if disabled && target == actor.id {
        return Err(
            AppError::new(ErrorCode::InvalidTransition).with_message(Localized::new(
                "不能停用自己的账号。",
                "You cannot disable your own account.",
            )),
        );
    }
    let txn = db::begin_write(&state.db).await?;
    let user = users::Entity::find_by_id(target.0)
        .filter(users::Column::TenantId.is_null())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let was_disabled = user.disabled_at.is_some();
    if was_disabled == disabled {
        txn.commit().await?;
        return Ok(user.into());
    }
    let now = state.clock.now();
    users::Entity::update_many()
        .col_expr(
            users::Column::DisabledAt,
            Expr::value(if disabled { Some(now) } else { None }),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(target.0))
        .exec(&txn)
        .await?;
    let revoked = if disabled {
        revoke_all_sessions(&txn, target, now, "account_disabled").await?
    } else {
        Vec::new()
    };
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: if disabled {
                "staff.disabled"
            } else {
                "staff.enabled"
            },
            subject_type: "user",
            subject_id: Some(target.to_string()),
            summary: serde_json::json!({
                "username": user.username,
                "before": if was_disabled { "disabled" } else { "active" },
                "after": if disabled { "disabled" } else { "active" },
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    state.principals.invalidate_user(target);
    for session in revoked {
        state.principals.invalidate_session(session);
    }
    let updated = users::Entity::find_by_id(target.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    Ok(updated.into())
}

/// Issues a new one-time password for a staff account (the old password stops working and
/// every session ends), audited.
pub async fn reset_staff_password(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    target: UserId,
) -> AppResult<CreatedAccount> {
    reset_one_time_password(
        state,
        actor,
        meta,
        sea_orm::Condition::all()
            .add(users::Column::Id.eq(target.0))
            .add(users::Column::TenantId.is_null()),
        None,
        "staff.password_reset",
    )
    .await
}

/// Issues a new one-time password for the merchant admin of `tenant`; audited.
pub async fn reset_merchant_admin_password(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
) -> AppResult<CreatedAccount> {
    reset_one_time_password(
        state,
        actor,
        meta,
        sea_orm::Condition::all()
            .add(users::Column::TenantId.eq(tenant.0))
            .add(users::Column::Role.eq(Role::MerchantAdmin.as_str())),
        Some(tenant),
        "merchant_admin.password_reset",
    )
    .await
}

async fn reset_one_time_password(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    which: sea_orm::Condition,
    tenant: Option<TenantId>,
    action: &'static str,
) -> AppResult<CreatedAccount> {
    let otp = OneTimePassword::generate().await?;
    let txn = db::begin_write(&state.db).await?;
    let user = users::Entity::find()
        .filter(which)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let target = UserId(user.id);
    let now = state.clock.now();
    let expires = now + Duration::hours(state.settings.auth.one_time_password_ttl_hours);
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(otp.hash))
        .col_expr(users::Column::MustChangePassword, Expr::value(true))
        .col_expr(users::Column::PasswordExpiresAt, Expr::value(Some(expires)))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let revoked = revoke_all_sessions(&txn, target, now, "password_reset").await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: tenant,
            action,
            subject_type: "user",
            subject_id: Some(target.to_string()),
            summary: serde_json::json!({ "username": user.username }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    state.principals.invalidate_user(target);
    for session in revoked {
        state.principals.invalidate_session(session);
    }
    let mut view: AccountView = user.into();
    view.must_change_password = true;
    view.one_time_password_expires_at = Some(expires);
    Ok(CreatedAccount {
        account: view,
        one_time_password: otp.plain,
    })
}

/// Creates a merchant editor of `tenant` (by its merchant admin or staff); audited.
pub async fn create_editor(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    username: Username,
    display_name: String,
) -> AppResult<CreatedAccount> {
    let otp = OneTimePassword::generate().await?;
    let txn = db::begin_write(&state.db).await?;
    let created = insert_user(
        &txn,
        state,
        NewAccount {
            username,
            display_name,
            role: Role::MerchantEditor,
            tenant_id: Some(tenant),
            contact: Default::default(),
        },
        otp,
        Some(actor.id),
        "username",
    )
    .await?;
    audit::record(
        &txn,
        state.clock.now(),
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: "editor.created",
            subject_type: "user",
            subject_id: Some(created.account.id.to_string()),
            summary: serde_json::json!({ "username": created.account.username }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The merchant users of `tenant` (admin and editors), oldest first.
pub async fn list_tenant_users(state: &AppState, tenant: TenantId) -> AppResult<Vec<AccountView>> {
    let rows = users::Entity::find()
        .filter(users::Column::TenantId.eq(tenant.0))
        .order_by_asc(users::Column::CreatedAt)
        .order_by_asc(users::Column::Id)
        .all(&state.db)
        .await?;
    Ok(rows.into_iter().map(AccountView::from).collect())
}

/// Disables (sessions end at once) or enables an editor of `tenant`; idempotent, audited.
pub async fn set_editor_disabled(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    target: UserId,
    disabled: bool,
) -> AppResult<AccountView> {
    let txn = db::begin_write(&state.db).await?;
    let user = users::Entity::find_by_id(target.0)
        .filter(users::Column::TenantId.eq(tenant.0))
        .filter(users::Column::Role.eq(Role::MerchantEditor.as_str()))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if user.disabled_at.is_some() == disabled {
        txn.commit().await?;
        return Ok(user.into());
    }
    let now = state.clock.now();
    let disabled_at = disabled.then_some(now);
    users::Entity::update_many()
        .col_expr(users::Column::DisabledAt, Expr::value(disabled_at))
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(target.0))
        .exec(&txn)
        .await?;
    let revoked = if disabled {
        revoke_all_sessions(&txn, target, now, "account_disabled").await?
    } else {
        Vec::new()
    };
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: if disabled {
                "editor.disabled"
            } else {
                "editor.enabled"
            },
            subject_type: "user",
            subject_id: Some(target.to_string()),
            summary: serde_json::json!({ "username": user.username }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    state.principals.invalidate_user(target);
    for session in revoked {
        state.principals.invalidate_session(session);
    }
    Ok(users::Model {
        disabled_at,
        updated_at: now,
        ..user
    }
    .into())
}

/// Issues a new one-time password for an editor of `tenant` (the old password stops
/// working and every session ends), audited.
pub async fn reset_editor_password(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
    target: UserId,
) -> AppResult<CreatedAccount> {
    reset_one_time_password(
        state,
        actor,
        meta,
        sea_orm::Condition::all()
            .add(users::Column::Id.eq(target.0))
            .add(users::Column::TenantId.eq(tenant.0))
            .add(users::Column::Role.eq(Role::MerchantEditor.as_str())),
        Some(tenant),
        "editor.password_reset",
    )
    .await
}

/// Creates the first agency admin from the command line. With `password` the account is
/// ready to use; without, a one-time password is generated and returned to print once.
pub async fn create_admin_cli(
    state: &AppState,
    username: Username,
    password: Option<crate::domain::password::NewPassword>,
) -> anyhow::Result<(AccountView, Option<String>)> {
    let otp = OneTimePassword::generate()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let txn = db::begin_write(&state.db).await?;
    let created = insert_user(
        &txn,
        state,
        NewAccount {
            display_name: username.as_str().to_owned(),
            username,
            role: Role::AgencyAdmin,
            tenant_id: None,
            contact: Default::default(),
        },
        otp,
        None,
        "username",
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let id = created.account.id;
    let mut otp = Some(created.one_time_password);
    if let Some(password) = password {
        let hash = hash_blocking(password.expose().to_owned()).await?;
        users::Entity::update_many()
            .col_expr(users::Column::PasswordHash, Expr::value(hash))
            .col_expr(users::Column::MustChangePassword, Expr::value(false))
            .col_expr(
                users::Column::PasswordExpiresAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(users::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        otp = None;
    }
    audit::record(
        &txn,
        state.clock.now(),
        AuditRecord {
            actor: Actor {
                id: None,
                role: "operator".into(),
                name: "cli".into(),
            },
            tenant_id: None,
            action: "staff.created",
            subject_type: "user",
            subject_id: Some(id.to_string()),
            summary: serde_json::json!({ "username": created.account.username, "role": "agency_admin" }),
            request_id: None,
        },
    )
    .await?;
    txn.commit().await?;
    let row = users::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("created account vanished"))?;
    Ok((row.into(), otp))
}

/// Hashes on a blocking thread: argon2 must not stall the async workers.
pub async fn hash_blocking(password: String) -> AppResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)
}
