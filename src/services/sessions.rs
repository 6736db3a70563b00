//! Sign-in and sessions: login with a per-(username, client IP) throttle that treats
//! unknown names exactly like wrong passwords, rotating refresh tokens whose reuse revokes
//! the whole family, logout, and the password change.

use crate::auth::jwt::Claims;
use crate::auth::password::{verify_against_dummy, verify_password};
use crate::auth::tokens::{generate_opaque_token, token_hash};
use crate::db;
use crate::domain::ids::{SessionId, TenantId, UserId};
use crate::domain::login_throttle::lockout_after;
use crate::domain::password::NewPassword;
use crate::domain::role::Role;
use crate::domain::username::Username;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::accounts::{AccountView, hash_blocking};
use crate::services::audit::{self, Actor, AuditRecord};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use entity::{login_throttles, refresh_tokens, sessions, users};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Tokens handed to a client after login, refresh or a password change.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    /// The JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single-use token for `POST /api/v1/auth/refresh`; each use returns a new one.
    /// Absent when the console asked for cookie sessions: it is then in the HttpOnly
    /// `weapp_refresh` cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Until the system-issued password is changed, the access token allows only
    /// `POST /api/v1/auth/password` (and logout).
    pub must_change_password: bool,
    /// The signed-in account.
    pub account: AccountView,
}

/// The per-address key (no username normalizes to it).
const ADDRESS_KEY: &str = "\u{1}address";

/// The ceiling per client address across user names: 20 failed attempts (an office
/// behind one address), then the address waits a minute, doubling up to an hour.
pub fn address_lockout_after(failures: i32) -> Option<Duration> {
    match failures {
        i32::MIN..=19 => None,
        n => Some(Duration::minutes((1i64 << (n - 20).min(6)).min(60))),
    }
}

fn throttle_key(username: &str, client_ip: &str) -> String {
    let mut h = Sha256::new();
    h.update(username.as_bytes());
    h.update([0u8]);
    h.update(client_ip.as_bytes());
    hex::encode(h.finalize())
}

/// Refuses with 429 while the key is locked.
/// Reserves one login attempt for `key` before any password is checked: in one write
/// transaction the attempt is counted as a failure and the lock the schedule demands is
/// set, unless the key is locked already (429). Counting first means concurrent guesses
/// cannot all pass a check that a later write would have closed; a success gives the
/// attempt back ([`clear_throttle`], [`forgive_attempt`]).
async fn reserve_attempt(
    state: &AppState,
    key: &str,
    now: DateTime<Utc>,
    schedule: fn(i32) -> Option<Duration>,
) -> AppResult<()> {
    let txn = db::begin_write(&state.db).await?;
    // The upsert takes the row's lock (PostgreSQL) or the write lock (SQLite) first, so the
    // read below sees every attempt reserved before this one.
    login_throttles::Entity::insert(login_throttles::ActiveModel {
        key: Set(key.to_owned()),
        failures: Set(1),
        locked_until: Set(None),
        last_failure_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(login_throttles::Column::Key)
            .value(
                login_throttles::Column::Failures,
                sea_orm::sea_query::ExprTrait::add(
                    Expr::col((login_throttles::Entity, login_throttles::Column::Failures)),
                    1,
                ),
            )
            .value(login_throttles::Column::LastFailureAt, Expr::value(now))
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let row = login_throttles::Entity::find_by_id(key.to_owned())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("throttle row vanished")))?;
    if let Some(locked_until) = row.locked_until
        && locked_until > now
    {
        // Locked: this attempt is not counted (the transaction is dropped).
        let secs = (((locked_until - now).num_milliseconds() + 999) / 1000).max(1) as u64;
        return Err(AppError::new(ErrorCode::TooManyAttempts)
            .with_retry_after(secs)
            .with_details(serde_json::json!({ "retry_after_seconds": secs })));
    }
    if let Some(wait) = schedule(row.failures) {
        login_throttles::Entity::update_many()
            .col_expr(
                login_throttles::Column::LockedUntil,
                Expr::value(Some(now + wait)),
            )
            .filter(login_throttles::Column::Key.eq(key))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Gives back an attempt reserved on a per-address key that turned out to be a success.
async fn forgive_attempt(state: &AppState, key: &str) -> Result<(), DbErr> {
    login_throttles::Entity::update_many()
        .col_expr(
            login_throttles::Column::Failures,
            sea_orm::sea_query::ExprTrait::sub(Expr::col(login_throttles::Column::Failures), 1),
        )
        .filter(login_throttles::Column::Key.eq(key))
        .filter(login_throttles::Column::Failures.gt(0))
        .exec(&state.db)
        .await?;
    Ok(())
}

async fn clear_throttle(state: &AppState, key: &str) -> Result<(), DbErr> {
    login_throttles::Entity::delete_by_id(key.to_owned())
        .exec(&state.db)
        .await?;
    Ok(())
}

async fn verify_blocking(password: String, hash: Option<String>) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || match hash {
        Some(hash) => verify_password(&password, &hash),
        None => {
            verify_against_dummy(&password);
            false
        }
    })
    .await
    .map_err(AppError::internal)
}

/// Signs in. Unknown usernames, malformed usernames and wrong passwords get the same
/// answer (401 `invalid_credentials`), the same work (a dummy argon2 verification) and the
/// same throttle; facts about the account (disabled, one-time password expired) are told
/// only to someone who knows its password.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    meta: &RequestMeta,
) -> AppResult<TokenPair> {
    let username = Username::normalize_attempt(username);
    let key = throttle_key(&username, &meta.client_ip);
    let address = throttle_key(ADDRESS_KEY, &meta.client_ip);
    let now = state.clock.now();
    reserve_attempt(state, &address, now, address_lockout_after).await?;
    if let Err(locked) = reserve_attempt(state, &key, now, lockout_after).await {
        forgive_attempt(state, &address).await?;
        return Err(locked);
    }

    let user = users::Entity::find()
        .filter(users::Column::Username.eq(username.as_str()))
        .one(&state.db)
        .await?;
    let ok = verify_blocking(
        password.to_owned(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => {
            // Already counted when the attempt was reserved.
            tracing::info!(auth.outcome = "invalid_credentials", "login failed");
            return Err(AppError::new(ErrorCode::InvalidCredentials));
        }
    };
    clear_throttle(state, &key).await?;
    forgive_attempt(state, &address).await?;
    if user.disabled_at.is_some() {
        return Err(AppError::new(ErrorCode::AccountDisabled));
    }
    if user.must_change_password && user.password_expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::new(ErrorCode::PasswordExpired));
    }
    let txn = db::begin_write(&state.db).await?;
    let pair = open_session(&txn, state, &user, now).await?;
    txn.commit().await?;
    tracing::info!(user.id = %user.id, auth.outcome = "ok", "login succeeded");
    Ok(pair)
}

/// Creates a session with its first refresh token and signs an access token.
async fn open_session(
    conn: &impl ConnectionTrait,
    state: &AppState,
    user: &users::Model,
    now: DateTime<Utc>,
) -> AppResult<TokenPair> {
    let session = SessionId::new();
    sessions::Entity::insert(sessions::ActiveModel {
        id: Set(session.0),
        user_id: Set(user.id),
        tenant_id: Set(user.tenant_id),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(now + Duration::days(state.settings.auth.session_ttl_days)),
        revoked_at: Set(None),
        revoke_reason: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    let refresh = insert_refresh_token(conn, session, user.tenant_id, now).await?;
    sign(state, user, session, refresh, now)
}

async fn insert_refresh_token(
    conn: &impl ConnectionTrait,
    session: SessionId,
    tenant: Option<uuid::Uuid>,
    now: DateTime<Utc>,
) -> Result<String, DbErr> {
    let token = generate_opaque_token();
    refresh_tokens::Entity::insert(refresh_tokens::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        session_id: Set(session.0),
        tenant_id: Set(tenant),
        token_hash: Set(token_hash(&token)),
        issued_at: Set(now),
        used_at: Set(None),
        successor_sealed: Set(None),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(token)
}

fn sign(
    state: &AppState,
    user: &users::Model,
    session: SessionId,
    refresh_token: String,
    now: DateTime<Utc>,
) -> AppResult<TokenPair> {
    let role: Role = user
        .role
        .parse()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    let ttl = state.settings.auth.access_token_ttl_secs;
    let claims = Claims {
        sub: UserId(user.id),
        role,
        tid: user.tenant_id.map(TenantId),
        sid: session,
        iat: now.timestamp(),
        exp: now.timestamp() + ttl,
    };
    let access_token = state.jwt.issue(&claims).map_err(AppError::internal)?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
        refresh_token: Some(refresh_token),
        must_change_password: user.must_change_password,
        account: user.clone().into(),
    })
}

/// Exchanges a refresh token for a new pair. A token used twice means it leaked: the whole
/// session is revoked and both holders must sign in again. Never refused for the tenant's
/// state.
pub async fn refresh(
    state: &AppState,
    refresh_token: &str,
    meta: &RequestMeta,
) -> AppResult<TokenPair> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let Some(token) = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash(refresh_token)))
        .one(&txn)
        .await?
    else {
        return Err(AppError::new(ErrorCode::InvalidRefreshToken));
    };
    let session_id = SessionId(token.session_id);
    let session = sessions::Entity::find_by_id(token.session_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvalidRefreshToken))?;
    // Spend the token with a conditional update, so two concurrent uses cannot both win.
    let spent = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::UsedAt, Expr::value(Some(now)))
        .filter(refresh_tokens::Column::Id.eq(token.id))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    if !spent {
        // Read again: a concurrent refresh that spent it may have committed since the first
        // read (on PostgreSQL the update above waited for it).
        let spent_token = refresh_tokens::Entity::find_by_id(token.id)
            .one(&txn)
            .await?
            .unwrap_or(token.clone());
        if let Some(pair) = successor_within_grace(state, &txn, &spent_token, &session, now).await?
        {
            txn.commit().await?;
            return Ok(pair);
        }
        if session.revoked_at.is_none() {
            revoke_sessions(&txn, &[session_id], now, "refresh_token_reused").await?;
            audit::record(
                &txn,
                now,
                AuditRecord {
                    actor: Actor::system(),
                    tenant_id: session.tenant_id.map(TenantId),
                    action: "session.revoked_token_reuse",
                    subject_type: "session",
                    subject_id: Some(session_id.to_string()),
                    summary: serde_json::json!({ "user_id": session.user_id }),
                    request_id: meta.request_id.clone(),
                },
            )
            .await?;
        }
        txn.commit().await?;
        state.principals.invalidate_session(session_id);
        tracing::warn!(session.id = %session_id, "refresh token reused: session revoked");
        return Err(AppError::new(ErrorCode::InvalidRefreshToken));
    }
    if session.revoked_at.is_some() || session.expires_at <= now {
        return Err(AppError::new(ErrorCode::InvalidRefreshToken));
    }
    let user = users::Entity::find_by_id(session.user_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvalidRefreshToken))?;
    if user.disabled_at.is_some() {
        return Err(AppError::new(ErrorCode::AccountDisabled));
    }
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastUsedAt, Expr::value(now))
        .filter(sessions::Column::Id.eq(session.id))
        .exec(&txn)
        .await?;
    let new_refresh = insert_refresh_token(&txn, session_id, user.tenant_id, now).await?;
    refresh_tokens::Entity::update_many()
        .col_expr(
            refresh_tokens::Column::SuccessorSealed,
            Expr::value(Some(state.vault.seal(SUCCESSOR_PURPOSE, &new_refresh))),
        )
        .filter(refresh_tokens::Column::Id.eq(token.id))
        .exec(&txn)
        .await?;
    let pair = sign(state, &user, session_id, new_refresh, now)?;
    txn.commit().await?;
    Ok(pair)
}

/// How long a spent refresh token still answers with its successor: two tabs refreshing
/// at once, or a refresh whose answer was lost, are not theft.
pub const REUSE_GRACE_SECS: i64 = 10;
const SUCCESSOR_PURPOSE: &str = "refresh_successor";

/// The pair for a spent token's successor, when the token was spent within the grace
/// period and its successor is still unused in a live session.
async fn successor_within_grace(
    state: &AppState,
    conn: &impl ConnectionTrait,
    token: &refresh_tokens::Model,
    session: &sessions::Model,
    now: DateTime<Utc>,
) -> AppResult<Option<TokenPair>> {
    let within = token
        .used_at
        .is_some_and(|used| now - used <= chrono::Duration::seconds(REUSE_GRACE_SECS));
    if !within || session.revoked_at.is_some() || session.expires_at <= now {
        return Ok(None);
    }
    let Some(successor) = token
        .successor_sealed
        .as_deref()
        .and_then(|sealed| state.vault.open(SUCCESSOR_PURPOSE, sealed).ok())
    else {
        return Ok(None);
    };
    let unused = refresh_tokens::Entity::find()
        .filter(refresh_tokens::Column::TokenHash.eq(token_hash(&successor)))
        .filter(refresh_tokens::Column::UsedAt.is_null())
        .one(conn)
        .await?
        .is_some();
    let Some(user) = users::Entity::find_by_id(session.user_id).one(conn).await? else {
        return Ok(None);
    };
    if !unused || user.disabled_at.is_some() {
        return Ok(None);
    }
    Ok(Some(sign(
        state,
        &user,
        SessionId(session.id),
        successor,
        now,
    )?))
}

/// Ends the caller's session, or every session of the account with `everywhere`.
pub async fn logout(
    state: &AppState,
    user: UserId,
    session: SessionId,
    everywhere: bool,
) -> AppResult<()> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let revoked = if everywhere {
        revoke_all_sessions(&txn, user, now, "logout_everywhere").await?
    } else {
        revoke_sessions(&txn, &[session], now, "logout").await?;
        vec![session]
    };
    txn.commit().await?;
    for s in revoked {
        state.principals.invalidate_session(s);
    }
    Ok(())
}

/// Changes the caller's password (required first for system-issued passwords). Every
/// session of the account ends and a new one is returned; audited.
pub async fn change_password(
    state: &AppState,
    user_id: UserId,
    current: &str,
    new: &str,
    meta: &RequestMeta,
) -> AppResult<TokenPair> {
    let now = state.clock.now();
    let user = users::Entity::find_by_id(user_id.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::InvalidToken))?;
    let key = throttle_key(&user.username, &meta.client_ip);
    reserve_attempt(state, &key, now, lockout_after).await?;
    if !verify_blocking(current.to_owned(), Some(user.password_hash.clone())).await? {
        return Err(AppError::invalid_field(
            "current_password",
            Localized::new("当前密码不正确", "is not the current password"),
        ));
    }
    clear_throttle(state, &key).await?;
    let new = NewPassword::parse(new, &user.username, "new_password")?;
    if new.expose() == current {
        return Err(AppError::invalid_field(
            "new_password",
            Localized::new(
                "不能与当前密码相同",
                "must differ from the current password",
            ),
        ));
    }
    let hash = hash_blocking(new.expose().to_owned()).await?;
    let txn = db::begin_write(&state.db).await?;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .col_expr(users::Column::MustChangePassword, Expr::value(false))
        .col_expr(
            users::Column::PasswordExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(users::Column::UpdatedAt, Expr::value(now))
        .filter(users::Column::Id.eq(user.id))
        .exec(&txn)
        .await?;
    let revoked = revoke_all_sessions(&txn, user_id, now, "password_changed").await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: Actor::user(
                user_id,
                user.role.parse().unwrap_or(Role::MerchantEditor),
                &user.username,
            ),
            tenant_id: user.tenant_id.map(TenantId),
            action: "account.password_changed",
            subject_type: "user",
            subject_id: Some(user.id.to_string()),
            summary: serde_json::json!({ "first_change": user.must_change_password }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    let updated = users::Model {
        must_change_password: false,
        password_expires_at: None,
        updated_at: now,
        ..user
    };
    let pair = open_session(&txn, state, &updated, now).await?;
    txn.commit().await?;
    clear_throttle(state, &key).await?;
    state.principals.invalidate_user(user_id);
    for s in revoked {
        state.principals.invalidate_session(s);
    }
    Ok(pair)
}

/// Revokes the given sessions that are still open.
pub async fn revoke_sessions(
    conn: &impl ConnectionTrait,
    ids: &[SessionId],
    now: DateTime<Utc>,
    reason: &str,
) -> Result<(), DbErr> {
    if ids.is_empty() {
        return Ok(());
    }
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(Some(now)))
        .col_expr(
            sessions::Column::RevokeReason,
            Expr::value(Some(reason.to_owned())),
        )
        .filter(sessions::Column::Id.is_in(ids.iter().map(|s| s.0)))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes every open session of an account; returns their ids for cache invalidation.
pub async fn revoke_all_sessions(
    conn: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
    reason: &str,
) -> Result<Vec<SessionId>, DbErr> {
    let ids: Vec<uuid::Uuid> = sessions::Entity::find()
        .select_only()
        .column(sessions::Column::Id)
        .filter(sessions::Column::UserId.eq(user.0))
        .filter(sessions::Column::RevokedAt.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    let ids: Vec<SessionId> = ids.into_iter().map(SessionId).collect();
    revoke_sessions(conn, &ids, now, reason).await?;
    Ok(ids)
}
