//! WeChat's pushes (PROTOCOL.md §2): authorization events to the component endpoint and
//! message events to each mini-program's endpoint. A push is processed only when its
//! `msg_signature` matches (constant time), its `timestamp` is within
//! `wechat.push_max_skew_secs` of the clock, it decrypts to a message addressed to our
//! component appid, its XML has no DOCTYPE, and its (timestamp, nonce, signature) was not
//! seen before by any instance. The replay row and the event's effects commit together,
//! so a push that failed half-way can be delivered again.

use super::{WechatPlatform, binding, platform, tokens};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::NewJob;
use crate::state::AppState;
use crate::wechat::crypto::{PushError, parse_flat_xml};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// Job kind that exchanges an authorization code pushed with `authorized` or
/// `updateauthorized`.
pub const AUTHORIZED_JOB: &str = "wechat.authorized";

/// Query parameters WeChat adds to a push (or to the URL verification).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PushQuery {
    /// Unix seconds when WeChat signed the push.
    pub timestamp: Option<String>,
    /// Random nonce.
    pub nonce: Option<String>,
    /// SHA-1 over (token, timestamp, nonce, Encrypt).
    pub msg_signature: Option<String>,
    /// `aes` for encrypted pushes.
    pub encrypt_type: Option<String>,
    /// SHA-1 over (token, timestamp, nonce): the URL verification's signature.
    pub signature: Option<String>,
    /// Echoed back by the URL verification.
    pub echostr: Option<String>,
}

fn rejected(reason: &'static str) -> AppError {
    tracing::warn!(reason, "WeChat push refused");
    AppError::new(ErrorCode::WechatPushRejected)
        .with_details(serde_json::json!({ "reason": reason }))
}

fn push_error(e: PushError) -> AppError {
    rejected(match e {
        PushError::BadKey => "key",
        PushError::Signature => "signature",
        PushError::Base64 => "base64",
        PushError::Decrypt => "decrypt",
        PushError::Appid => "appid",
        PushError::Doctype => "doctype",
        PushError::Xml(_) => "xml",
    })
}

fn required(value: &Option<String>) -> AppResult<&str> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| rejected("missing_parameter"))
}

/// The URL verification (`GET` with `signature`, `timestamp`, `nonce`, `echostr`): the
/// `echostr` to answer when the signature matches.
pub fn verify_url(state: &AppState, query: &PushQuery) -> AppResult<String> {
    let wx = platform(state)?;
    let (timestamp, nonce) = (required(&query.timestamp)?, required(&query.nonce)?);
    wx.crypto
        .verify_url_signature(timestamp, nonce, required(&query.signature)?)
        .map_err(push_error)?;
    Ok(required(&query.echostr)?.to_owned())
}

/// A verified, decrypted push.
struct OpenedPush {
    fields: BTreeMap<String, String>,
    timestamp: String,
    nonce: String,
    signature: String,
}

fn open(
    wx: &WechatPlatform,
    now: DateTime<Utc>,
    query: &PushQuery,
    body: &str,
) -> AppResult<OpenedPush> {
    let timestamp = required(&query.timestamp)?;
    let nonce = required(&query.nonce)?;
    let signature = required(&query.msg_signature)?;
    let envelope = parse_flat_xml(body).map_err(push_error)?;
    let encrypt = envelope
        .get("Encrypt")
        .filter(|e| !e.is_empty())
        .ok_or_else(|| rejected("xml"))?;
    wx.crypto
        .verify_msg_signature(timestamp, nonce, encrypt, signature)
        .map_err(push_error)?;
    let sent: i64 = timestamp.parse().map_err(|_| rejected("timestamp"))?;
    if (now.timestamp() - sent).abs() > wx.settings.push_max_skew_secs {
        return Err(rejected("timestamp"));
    }
    let inner = wx.crypto.decrypt(encrypt).map_err(push_error)?;
    let fields = parse_flat_xml(&inner).map_err(push_error)?;
    Ok(OpenedPush {
        fields,
        timestamp: timestamp.to_owned(),
        nonce: nonce.to_owned(),
        signature: signature.to_owned(),
    })
}

/// Records the push as seen, in the caller's transaction; 409 when any instance saw it.
async fn claim(
    conn: &impl ConnectionTrait,
    push: &OpenedPush,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let backend = conn.get_database_backend();
    let inserted = conn
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "INSERT INTO wechat_push_replays (timestamp, nonce, signature, received_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            [
                push.timestamp.clone().into(),
                push.nonce.clone().into(),
                push.signature.clone().into(),
                now.into(),
            ],
        ))
        .await?;
    if inserted.rows_affected() == 0 {
        tracing::warn!("WeChat push replayed; refused");
        return Err(AppError::new(ErrorCode::WechatPushReplayed));
    }
    Ok(())
}

/// Forgets replay keys old enough that their timestamp is refused anyway.
async fn prune_replays(state: &AppState, wx: &WechatPlatform, now: DateTime<Utc>) {
    let cutoff = now - Duration::seconds(2 * wx.settings.push_max_skew_secs.max(60));
    let backend = state.db.get_database_backend();
    let result = state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            "DELETE FROM wechat_push_replays WHERE received_at < $1",
            [cutoff.into()],
        ))
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "pruning WeChat replay keys failed");
    }
}

/// SHA-256 hex of a pre-auth code: attempts are found by it without storing the code.
pub fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// Handles a push to `/wechat/component/events`.
pub async fn receive_component_event(
    state: &AppState,
    query: &PushQuery,
    body: &str,
) -> AppResult<()> {
    let wx = platform(state)?;
    let now = state.clock.now();
    let push = open(&wx, now, query, body)?;
    let info_type = push.fields.get("InfoType").cloned().unwrap_or_default();
    let field = |k: &str| push.fields.get(k).cloned().unwrap_or_default();
    let txn = crate::db::begin_write(&state.db).await?;
    claim(&txn, &push, now).await?;
    match info_type.as_str() {
        "component_verify_ticket" => {
            let ticket = field("ComponentVerifyTicket");
            if ticket.is_empty() {
                return Err(rejected("xml"));
            }
            tokens::store_ticket(&txn, state, &ticket, now).await?;
        }
        "authorized" | "updateauthorized" => {
            let (appid, code) = (field("AuthorizerAppid"), field("AuthorizationCode"));
            if appid.is_empty() || code.is_empty() {
                return Err(rejected("xml"));
            }
            let pre_auth_code = field("PreAuthCode");
            state
                .jobs
                .enqueue(
                    &txn,
                    NewJob::new(
                        AUTHORIZED_JOB,
                        serde_json::json!({
                            "info_type": info_type,
                            "appid": appid,
                            "code": state.vault.seal(AUTHORIZED_JOB, &code),
                            "pre_auth_code_hash": (!pre_auth_code.is_empty()).then(|| code_hash(&pre_auth_code)),
                        }),
                    )
                    .dedup_key(format!("{AUTHORIZED_JOB}:{}", code_hash(&code))),
                )
                .await?;
        }
        "unauthorized" => {
            let appid = field("AuthorizerAppid");
            if appid.is_empty() {
                return Err(rejected("xml"));
            }
            if let Some(tenant) = binding::revoke(&txn, &appid, now).await? {
                txn.commit().await?;
                state.invalidate_tenant(tenant);
                tracing::info!(tenant.id = %tenant, appid, "mini-program authorization revoked");
                return Ok(());
            }
        }
        other => tracing::info!(info_type = other, "WeChat component event ignored"),
    }
    txn.commit().await?;
    tracing::info!(info_type, "WeChat component event received");
    if info_type == "component_verify_ticket" {
        prune_replays(state, &wx, now).await;
    }
    Ok(())
}

/// Handles a push to `/wechat/apps/{appid}/events` (message events: audit results and
/// the like). They are verified, guarded against replay and logged; the publishing
/// pipeline acts on the audit events.
pub async fn receive_app_event(
    state: &AppState,
    appid: &str,
    query: &PushQuery,
    body: &str,
) -> AppResult<BTreeMap<String, String>> {
    let wx = platform(state)?;
    let now = state.clock.now();
    let push = open(&wx, now, query, body)?;
    let txn = crate::db::begin_write(&state.db).await?;
    claim(&txn, &push, now).await?;
    let event = push.fields.get("Event").map(String::as_str).unwrap_or("");
    if event.starts_with("weapp_audit_") {
        super::deploy::audit_event(&txn, state, appid, event).await?;
    }
    txn.commit().await?;
    tracing::info!(
        appid,
        msg_type = push.fields.get("MsgType").map(String::as_str).unwrap_or(""),
        event = push.fields.get("Event").map(String::as_str).unwrap_or(""),
        "WeChat message event received"
    );
    Ok(push.fields)
}
