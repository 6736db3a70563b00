//! The token vault: the push ticket, the component token and each tenant's authorizer
//! tokens, stored encrypted. A token is refreshed ahead of its expiry by one instance at a
//! time — the one holding the refresh lease, a row with an expiry so a crashed holder does
//! not block the others — and the rest keep using the still-valid token or wait for the
//! new one. A call refused with 40001/40014/42001 expires the stored token only if it is
//! still the one that failed (compare-and-expire by version), refreshes once and retries
//! once.

use super::{WechatPlatform, WxFailure, answer_str};
use crate::domain::ids::TenantId;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;
use crate::wechat::client::{TokenParam, WechatError, redact_tokens};
use chrono::{DateTime, Duration, Utc};
use entity::{wechat_authorizer_tokens, wechat_vault};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, Value as DbValue,
};
use serde_json::json;
use std::future::Future;

/// Vault row of the latest `component_verify_ticket`.
pub const TICKET: &str = "component_verify_ticket";
/// Vault row of the component access token.
pub const COMPONENT_TOKEN: &str = "component_access_token";
/// How long a ticket is usable after it arrived (WeChat: 12 hours).
const TICKET_TTL_HOURS: i64 = 12;
/// A token this close to its expiry is not handed out while another instance refreshes.
const MIN_REMAINING_SECS: i64 = 60;
/// How long a caller waits for another instance's refresh before answering `wechat_busy`.
const WAIT_FOR_REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

/// Which token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The platform's component access token.
    Component,
    /// A tenant's authorizer access token.
    Authorizer(TenantId),
}

impl Slot {
    fn lease_name(self) -> String {
        match self {
            Slot::Component => COMPONENT_TOKEN.to_owned(),
            Slot::Authorizer(t) => format!("authorizer_access_token:{t}"),
        }
    }
}

/// The purpose (associated data) of a tenant's sealed access token.
pub fn access_purpose(tenant: TenantId) -> String {
    format!("authorizer_access_token:{tenant}")
}

/// The purpose (associated data) of a tenant's sealed refresh token.
pub fn refresh_purpose(tenant: TenantId) -> String {
    format!("authorizer_refresh_token:{tenant}")
}

/// A usable token and the version it was stored as (for compare-and-expire).
#[derive(Clone)]
pub struct Token {
    /// The token.
    pub value: String,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    version: i64,
    slot: Slot,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("slot", &self.slot)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Stores a pushed ticket (sealed), replacing the previous one.
pub async fn store_ticket(
    conn: &impl ConnectionTrait,
    state: &AppState,
    ticket: &str,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    upsert_vault(
        conn,
        TICKET,
        state.vault.seal(TICKET, ticket),
        Some(now + Duration::hours(TICKET_TTL_HOURS)),
        None,
        now,
    )
    .await
}

async fn upsert_vault(
    conn: &impl ConnectionTrait,
    name: &str,
    ciphertext: String,
    expires_at: Option<DateTime<Utc>>,
    previous_version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    wechat_vault::Entity::insert(wechat_vault::ActiveModel {
        name: Set(name.to_owned()),
        ciphertext: Set(ciphertext),
        expires_at: Set(expires_at),
        version: Set(previous_version.unwrap_or(0) + 1),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(wechat_vault::Column::Name)
            .update_columns([
                wechat_vault::Column::Ciphertext,
                wechat_vault::Column::ExpiresAt,
                wechat_vault::Column::Version,
                wechat_vault::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// The stored ticket, if one arrived and is still usable.
pub async fn ticket(state: &AppState) -> Result<Option<String>, AppError> {
    let Some(row) = wechat_vault::Entity::find_by_id(TICKET.to_owned())
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    if row.expires_at.is_some_and(|e| e <= state.clock.now()) {
        return Ok(None);
    }
    Ok(Some(
        state
            .vault
            .open(TICKET, &row.ciphertext)
            .map_err(AppError::internal)?,
    ))
}

/// The stored token of `slot` as it is now (possibly expired), or `None`.
async fn load(state: &AppState, slot: Slot) -> Result<Option<Token>, AppError> {
    let (sealed, purpose, expires_at, version) = match slot {
        Slot::Component => {
            match wechat_vault::Entity::find_by_id(COMPONENT_TOKEN.to_owned())
                .one(&state.db)
                .await?
            {
                Some(row) => (
                    row.ciphertext,
                    COMPONENT_TOKEN.to_owned(),
                    row.expires_at,
                    row.version,
                ),
                None => return Ok(None),
            }
        }
        Slot::Authorizer(tenant) => {
            let row = wechat_authorizer_tokens::Entity::find_by_id(tenant.0)
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::new(ErrorCode::WechatNotBound))?;
            match row.access_token_enc {
                Some(sealed) => (
                    sealed,
                    access_purpose(tenant),
                    row.access_expires_at,
                    row.version,
                ),
                None => return Ok(None),
            }
        }
    };
    let Some(expires_at) = expires_at else {
        return Ok(None);
    };
    let value = state
        .vault
        .open(&purpose, &sealed)
        .map_err(AppError::internal)?;
    Ok(Some(Token {
        value,
        expires_at,
        version,
        slot,
    }))
}

/// A valid token of `slot`, refreshed first when it expires within
/// `wechat.refresh_ahead_secs` (by this instance if it gets the lease).
pub async fn token(state: &AppState, wx: &WechatPlatform, slot: Slot) -> Result<Token, WxFailure> {
    let ahead = Duration::seconds(wx.settings.refresh_ahead_secs.max(0));
    let started = std::time::Instant::now();
    loop {
        let now = state.clock.now();
        let stored = load(state, slot).await?;
        if let Some(t) = &stored
            && t.expires_at - ahead > now
        {
            return Ok(t.clone());
        }
        let lease = slot.lease_name();
        let holder = format!("{}:{}", state.instance_id, uuid::Uuid::now_v7().simple());
        if acquire_lease(state, &lease, &holder, wx.settings.refresh_lease_secs).await? {
            let refreshed = refresh_holding_lease(state, wx, slot, ahead).await;
            release_lease(state, &lease, &holder).await;
            return refreshed;
        }
        // Another instance is refreshing: its old token is still good meanwhile.
        if let Some(t) = stored
            && t.expires_at - Duration::seconds(MIN_REMAINING_SECS) > now
        {
            return Ok(t);
        }
        if started.elapsed() > WAIT_FOR_REFRESH {
            return Err(AppError::new(ErrorCode::WechatBusy)
                .with_retry_after(5)
                .into());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn refresh_holding_lease(
    state: &AppState,
    wx: &WechatPlatform,
    slot: Slot,
    ahead: Duration,
) -> Result<Token, WxFailure> {
    // Double-check: another instance may have refreshed between our read and the lease.
    let stored = load(state, slot).await?;
    if let Some(t) = &stored
        && t.expires_at - ahead > state.clock.now()
    {
        return Ok(t.clone());
    }
    let version = stored.as_ref().map(|t| t.version);
    match slot {
        Slot::Component => refresh_component(state, wx, version).await,
        Slot::Authorizer(tenant) => refresh_authorizer(state, wx, tenant).await,
    }
}

/// Asks WeChat to push a ticket now instead of within 10 minutes; the caller answers 503
/// `wechat_ticket_missing` meanwhile.
async fn ask_for_ticket(wx: &WechatPlatform) -> WxFailure {
    let asked = wx
        .client
        .post(
            "/cgi-bin/component/api_start_push_ticket",
            TokenParam::None,
            &json!({"component_appid": wx.component_appid, "component_secret": wx.component_secret}),
        )
        .await;
    if let Err(e) = asked {
        tracing::warn!(error = %e, "asking WeChat to push a ticket failed");
    }
    AppError::new(ErrorCode::WechatTicketMissing)
        .with_retry_after(10)
        .into()
}

async fn refresh_component(
    state: &AppState,
    wx: &WechatPlatform,
    version: Option<i64>,
) -> Result<Token, WxFailure> {
    let Some(ticket) = ticket(state).await? else {
        return Err(ask_for_ticket(wx).await);
    };
    let answer = wx
        .client
        .post(
            "/cgi-bin/component/api_component_token",
            TokenParam::None,
            &json!({
                "component_appid": wx.component_appid,
                "component_appsecret": wx.component_secret,
                "component_verify_ticket": ticket,
            }),
        )
        .await;
    let answer = match answer {
        // The stored ticket expired or was replaced (61005/61006): forget it and ask for
        // a fresh push rather than failing every call until the next one.
        Err(e) if matches!(e.errcode(), Some(61005 | 61006)) => {
            tracing::warn!(error = %e, "the stored ticket was refused; asking for a new one");
            wechat_vault::Entity::delete_by_id(TICKET.to_owned())
                .exec(&state.db)
                .await?;
            return Err(ask_for_ticket(wx).await);
        }
        other => other?,
    };
    let value = answer_str(&answer, "component_access_token")?.to_owned();
    let now = state.clock.now();
    let expires_at = now + Duration::seconds(answer["expires_in"].as_i64().unwrap_or(7200));
    upsert_vault(
        &state.db,
        COMPONENT_TOKEN,
        state.vault.seal(COMPONENT_TOKEN, &value),
        Some(expires_at),
        version,
        now,
    )
    .await?;
    tracing::info!(expires_at = %expires_at, "component access token refreshed");
    Ok(Token {
        value,
        expires_at,
        version: version.unwrap_or(0) + 1,
        slot: Slot::Component,
    })
}

async fn refresh_authorizer(
    state: &AppState,
    wx: &WechatPlatform,
    tenant: TenantId,
) -> Result<Token, WxFailure> {
    let row = wechat_authorizer_tokens::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::WechatNotBound))?;
    let refresh_token = state
        .vault
        .open(&refresh_purpose(tenant), &row.refresh_token_enc)
        .map_err(AppError::internal)?;
    let body = json!({
        "component_appid": wx.component_appid,
        "authorizer_appid": row.appid,
        "authorizer_refresh_token": refresh_token,
    });
    let answer = with_component_token(state, wx, |token| {
        let body = body.clone();
        async move {
            wx.client
                .post(
                    "/cgi-bin/component/api_authorizer_token",
                    TokenParam::Component(&token),
                    &body,
                )
                .await
        }
    })
    .await;
    let answer = match answer {
        Ok(a) => a,
        Err(failure) => {
            let text = match &failure {
                WxFailure::Wechat(e) => e.to_string(),
                WxFailure::App(e) => e.to_string(),
            };
            set_last_error(state, tenant, &text).await;
            return Err(failure);
        }
    };
    let value = answer_str(&answer, "authorizer_access_token")?.to_owned();
    let now = state.clock.now();
    let expires_at = now + Duration::seconds(answer["expires_in"].as_i64().unwrap_or(7200));
    let version = row.version + 1;
    let mut update = wechat_authorizer_tokens::ActiveModel {
        tenant_id: sea_orm::ActiveValue::Unchanged(tenant.0),
        access_token_enc: Set(Some(state.vault.seal(&access_purpose(tenant), &value))),
        access_expires_at: Set(Some(expires_at)),
        version: Set(version),
        last_error: Set(None),
        updated_at: Set(now),
        ..Default::default()
    };
    // WeChat may hand out a new refresh token; the old one then stops working.
    if let Some(new_refresh) = answer["authorizer_refresh_token"]
        .as_str()
        .filter(|r| !r.is_empty() && *r != refresh_token)
    {
        update.refresh_token_enc = Set(state.vault.seal(&refresh_purpose(tenant), new_refresh));
    }
    wechat_authorizer_tokens::Entity::update(update)
        .exec(&state.db)
        .await?;
    tracing::info!(tenant.id = %tenant, expires_at = %expires_at, "authorizer access token refreshed");
    Ok(Token {
        value,
        expires_at,
        version,
        slot: Slot::Authorizer(tenant),
    })
}

async fn set_last_error(state: &AppState, tenant: TenantId, text: &str) {
    let result = wechat_authorizer_tokens::Entity::update_many()
        .col_expr(
            wechat_authorizer_tokens::Column::LastError,
            sea_orm::sea_query::Expr::value(Some(redact_tokens(text))),
        )
        .filter(wechat_authorizer_tokens::Column::TenantId.eq(tenant.0))
        .exec(&state.db)
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "recording a token error failed");
    }
}

/// Takes the lease `name` when it is free, expired or already this holder's; `true` when
/// this caller holds it.
pub(crate) async fn acquire_lease(
    state: &AppState,
    name: &str,
    holder: &str,
    lease_secs: i64,
) -> Result<bool, AppError> {
    let now = state.clock.now();
    let backend = state.db.get_database_backend();
    let result = state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO wechat_token_leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, \
             expires_at = excluded.expires_at \
             WHERE wechat_token_leases.expires_at < $4 OR wechat_token_leases.holder = excluded.holder",
            [
                name.into(),
                holder.into(),
                DbValue::from(now + Duration::seconds(lease_secs.max(1))),
                DbValue::from(now),
            ],
        ))
        .await?;
    Ok(result.rows_affected() == 1)
}

pub(crate) async fn release_lease(state: &AppState, name: &str, holder: &str) {
    let backend = state.db.get_database_backend();
    let result = state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "DELETE FROM wechat_token_leases WHERE name = $1 AND holder = $2",
            [name.into(), holder.into()],
        ))
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, lease = name, "releasing a token lease failed; it expires");
    }
}

/// Expires the stored token if it is still the one that failed (a newer one stays).
async fn expire_if_current(state: &AppState, token: &Token) -> Result<(), AppError> {
    let backend = state.db.get_database_backend();
    let epoch = DbValue::from(DateTime::<Utc>::UNIX_EPOCH);
    let (sql, key): (&str, DbValue) = match token.slot {
        Slot::Component => (
            "UPDATE wechat_vault SET expires_at = $1 WHERE name = $2 AND version = $3",
            COMPONENT_TOKEN.into(),
        ),
        Slot::Authorizer(tenant) => (
            "UPDATE wechat_authorizer_tokens SET access_expires_at = $1 \
             WHERE tenant_id = $2 AND version = $3",
            tenant.0.into(),
        ),
    };
    state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [epoch, key, token.version.into()],
        ))
        .await?;
    tracing::info!(slot = ?token.slot, "WeChat refused a token; it was expired for a refresh");
    Ok(())
}

async fn with_token<T, F, Fut>(
    state: &AppState,
    wx: &WechatPlatform,
    slot: Slot,
    mut call: F,
) -> Result<T, WxFailure>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, WechatError>>,
{
    let first = token(state, wx, slot).await?;
    match call(first.value.clone()).await {
        Err(e) if e.is_token_error() => {
            expire_if_current(state, &first).await?;
            let second = token(state, wx, slot).await?;
            Ok(call(second.value.clone()).await?)
        }
        other => Ok(other?),
    }
}

/// Calls WeChat with the component token; on a token error the token is refreshed once
/// and the call retried once.
pub async fn with_component_token<T, F, Fut>(
    state: &AppState,
    wx: &WechatPlatform,
    call: F,
) -> Result<T, WxFailure>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, WechatError>>,
{
    Box::pin(with_token(state, wx, Slot::Component, call)).await
}

/// Calls WeChat with the tenant's authorizer token, refreshed and retried once on a token
/// error like [`with_component_token`].
pub async fn with_authorizer_token<T, F, Fut>(
    state: &AppState,
    wx: &WechatPlatform,
    tenant: TenantId,
    call: F,
) -> Result<T, WxFailure>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, WechatError>>,
{
    Box::pin(with_token(state, wx, Slot::Authorizer(tenant), call)).await
}

/// Vault facts for the platform status (never the secrets).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct VaultEntryStatus {
    /// When it was stored.
    pub updated_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: Option<DateTime<Utc>>,
}

/// When the ticket and the component token were stored and when they expire.
pub async fn vault_status(
    state: &AppState,
) -> Result<(Option<VaultEntryStatus>, Option<VaultEntryStatus>), AppError> {
    let rows = wechat_vault::Entity::find().all(&state.db).await?;
    let status = |name: &str| {
        rows.iter()
            .find(|r| r.name == name)
            .map(|r| VaultEntryStatus {
                updated_at: r.updated_at,
                expires_at: r.expires_at,
            })
    };
    Ok((status(TICKET), status(COMPONENT_TOKEN)))
}

/// Refreshes tokens ahead of their expiry every tick, so calls rarely wait for a refresh:
/// the component token once a ticket is stored, and the authorizer tokens of bound
/// tenants (a batch per tick). The lease keeps it to one instance per token.
pub struct TokenRefreshSweep;

/// Authorizer tokens refreshed per tick at most.
const AUTHORIZER_BATCH: u64 = 50;

impl crate::scheduler::Sweep for TokenRefreshSweep {
    fn name(&self) -> &'static str {
        "wechat_tokens"
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        now: DateTime<Utc>,
    ) -> crate::jobs::BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let Some(wx) = state.wechat.clone() else {
                return Ok(());
            };
            let due = now + Duration::seconds(wx.settings.refresh_ahead_secs.max(0));
            if ticket(state).await?.is_some()
                && let Err(e) = token(state, &wx, Slot::Component).await
            {
                tracing::warn!(error = ?e, "refreshing the component token ahead failed");
            }
            let stale: Vec<uuid::Uuid> = wechat_authorizer_tokens::Entity::find()
                .select_only()
                .column(wechat_authorizer_tokens::Column::TenantId)
                .filter(
                    sea_orm::Condition::any()
                        .add(wechat_authorizer_tokens::Column::AccessExpiresAt.is_null())
                        .add(wechat_authorizer_tokens::Column::AccessExpiresAt.lt(due)),
                )
                .order_by_asc(wechat_authorizer_tokens::Column::AccessExpiresAt)
                .limit(AUTHORIZER_BATCH)
                .into_tuple()
                .all(&state.db)
                .await?;
            for tenant in stale {
                if let Err(e) = token(state, &wx, Slot::Authorizer(TenantId(tenant))).await {
                    tracing::warn!(tenant.id = %tenant, error = ?e, "refreshing an authorizer token ahead failed");
                }
            }
            Ok(())
        })
    }
}
