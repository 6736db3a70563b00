//! Binding a merchant's mini-program (PROTOCOL.md §3.2): the merchant admin asks for a
//! link, authorizes on WeChat's page, and the redirect or the `authorized` event —
//! whichever arrives first — exchanges the authorization code. An attempt row moves
//! `pending → exchanging → bound | refused | failed`, so the second arrival changes
//! nothing. The appid must be the one recorded on the tenant and held by no other tenant.

use super::push::{AUTHORIZED_JOB, code_hash};
use super::tokens::{
    self, access_purpose, refresh_purpose, with_authorizer_token, with_component_token,
};
use super::{WechatPlatform, WxFailure, answer_str, platform};
use crate::domain::ids::{TenantId, UserId};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler};
use crate::services::RequestMeta;
use crate::services::audit::{self, Actor, AuditRecord};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use crate::wechat::client::TokenParam;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use entity::{tenants, wechat_authorizations, wechat_authorizer_tokens, wechat_bindings};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// The permission set publishing needs (code management, PROTOCOL.md §3.2).
pub const CODE_MANAGEMENT_FUNC_ID: i64 = 18;

/// Attempt statuses.
mod attempt {
    pub const PENDING: &str = "pending";
    pub const EXCHANGING: &str = "exchanging";
    pub const BOUND: &str = "bound";
    pub const REFUSED: &str = "refused";
    pub const FAILED: &str = "failed";
}

/// An exchange that has not finished after this long is taken over (its holder crashed).
const EXCHANGE_STALE_SECS: i64 = 120;

/// The link a merchant admin opens to authorize the mini-program.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuthorizationLink {
    /// WeChat's authorization page with our pre_auth_code and redirect.
    pub url: String,
    /// The link stops working then (the pre_auth_code's lifetime).
    pub expires_at: DateTime<Utc>,
    /// The appid the link is limited to (`biz_appid`), when the tenant has one recorded.
    pub appid: Option<String>,
}

/// A tenant's binding as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BindingView {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The mini-program recorded on the tenant (kept after a revocation, so the released
    /// mini-program's client API keeps working).
    pub appid: Option<String>,
    /// `unbound`, `bound` or `revoked`.
    pub status: String,
    /// Granted permission sets (`funcscope_category` ids).
    pub func_ids: Vec<i64>,
    /// Whether code management (set 18) was granted: publishing needs it.
    pub can_publish: bool,
    /// The mini-program's original id (`gh_…`).
    pub user_name: Option<String>,
    /// The mini-program's name.
    pub nick_name: Option<String>,
    /// When it was (last) bound.
    pub bound_at: Option<DateTime<Utc>>,
    /// When the merchant revoked the authorization.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The authorizer token's state.
    pub token: Option<TokenHealth>,
}

/// An authorizer token's state (never the token).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenHealth {
    /// When the access token expires (refreshed ahead of it).
    pub access_expires_at: Option<DateTime<Utc>>,
    /// A usable refresh token is stored and the last refresh did not fail.
    pub healthy: bool,
    /// The last refresh error (URLs and tokens removed).
    pub last_error: Option<String>,
    /// When the token row last changed.
    pub updated_at: DateTime<Utc>,
}

fn func_ids_of(json: &Value) -> Vec<i64> {
    json.as_array()
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

fn state_text(attempt: Uuid, expires: i64) -> String {
    format!("{}.{expires}", attempt.simple())
}

/// Signs the redirect's `state`: `attempt.expiry.hmac`.
fn sign_state(wx: &WechatPlatform, attempt: Uuid, expires: i64) -> String {
    let text = state_text(attempt, expires);
    format!("{text}.{}", URL_SAFE_NO_PAD.encode(wx.sign_state(&text)))
}

/// The attempt a `state` names, if the signature holds and it has not expired.
fn verify_state(wx: &WechatPlatform, raw: &str, now: DateTime<Utc>) -> AppResult<Uuid> {
    let invalid = || AppError::new(ErrorCode::AuthorizationStateInvalid);
    let mut parts = raw.split('.');
    let (Some(id), Some(expires), Some(mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let id = Uuid::parse_str(id).map_err(|_| invalid())?;
    let expires: i64 = expires.parse().map_err(|_| invalid())?;
    let given = URL_SAFE_NO_PAD.decode(mac).map_err(|_| invalid())?;
    let expected = wx.sign_state(&state_text(id, expires));
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_slice(),
        expected.as_slice(),
    )) {
        return Err(invalid());
    }
    if now.timestamp() > expires {
        return Err(invalid());
    }
    Ok(id)
}

/// Creates a pre_auth_code and the authorization link for the tenant (merchant admins).
pub async fn create_link(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    tenant: TenantId,
) -> AppResult<AuthorizationLink> {
    let wx = platform(state)?;
    let row = tenants::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let body = json!({ "component_appid": wx.component_appid });
    let answer = with_component_token(state, &wx, |token| {
        let body = body.clone();
        let wx = wx.clone();
        async move {
            wx.client
                .post(
                    "/cgi-bin/component/api_create_preauthcode",
                    TokenParam::Component(&token),
                    &body,
                )
                .await
        }
    })
    .await?;
    let pre_auth_code = answer_str(&answer, "pre_auth_code").map_err(WxFailure::from)?;
    let now = state.clock.now();
    let expires_at = now + Duration::seconds(answer["expires_in"].as_i64().unwrap_or(1800));
    let id = Uuid::now_v7();
    let redirect = format!(
        "{}/wechat/authorized?state={}",
        state.settings.client.public_base_url.trim_end_matches('/'),
        sign_state(&wx, id, expires_at.timestamp())
    );
    let mut url = url::Url::parse(&format!(
        "{}/cgi-bin/componentloginpage",
        wx.settings.auth_page_base.trim_end_matches('/')
    ))
    .map_err(AppError::internal)?;
    url.query_pairs_mut()
        .append_pair("component_appid", &wx.component_appid)
        .append_pair("pre_auth_code", pre_auth_code)
        .append_pair("redirect_uri", &redirect)
        .append_pair("auth_type", "2");
    if let Some(appid) = &row.appid {
        url.query_pairs_mut().append_pair("biz_appid", appid);
    }
    let txn = crate::db::begin_write(&state.db).await?;
    wechat_authorizations::Entity::insert(wechat_authorizations::ActiveModel {
        id: Set(id),
        tenant_id: Set(tenant.0),
        user_id: Set(user.id.0),
        pre_auth_code_hash: Set(code_hash(pre_auth_code)),
        status: Set(attempt::PENDING.into()),
        appid: Set(None),
        outcome: Set(None),
        expires_at: Set(expires_at),
        state_used_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: user.actor(),
            tenant_id: Some(tenant),
            action: "wechat.authorization_requested",
            subject_type: "wechat_authorization",
            subject_id: Some(id.to_string()),
            summary: json!({ "biz_appid": row.appid, "expires_at": expires_at }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(AuthorizationLink {
        url: url.into(),
        expires_at,
        appid: row.appid,
    })
}

/// The redirect back from WeChat's page (`state` signed by us, `auth_code` from WeChat):
/// exchanges the code unless the `authorized` event already did, and answers the binding.
/// A mismatching or taken appid is refused with 409.
pub async fn complete_redirect(
    state: &AppState,
    meta: &RequestMeta,
    raw_state: Option<&str>,
    auth_code: Option<&str>,
) -> AppResult<BindingView> {
    let wx = platform(state)?;
    let now = state.clock.now();
    let id = verify_state(&wx, raw_state.unwrap_or(""), now)?;
    let code = auth_code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::new(ErrorCode::AuthorizationStateInvalid))?;
    let used = wechat_authorizations::Entity::update_many()
        .col_expr(wechat_authorizations::Column::StateUsedAt, Expr::value(now))
        .filter(wechat_authorizations::Column::Id.eq(id))
        .filter(wechat_authorizations::Column::StateUsedAt.is_null())
        .exec(&state.db)
        .await?;
    if used.rows_affected == 0 {
        return Err(
            match wechat_authorizations::Entity::find_by_id(id)
                .one(&state.db)
                .await?
            {
                Some(_) => AppError::new(ErrorCode::AuthorizationStateUsed),
                None => AppError::new(ErrorCode::AuthorizationStateInvalid),
            },
        );
    }
    let attempt_row = wechat_authorizations::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::AuthorizationStateInvalid))?;
    let tenant = TenantId(attempt_row.tenant_id);
    let actor = state
        .principals
        .user(&state.db, UserId(attempt_row.user_id))
        .await?
        .map(|u| u.actor())
        .unwrap_or_else(Actor::system);
    // Whichever of the redirect and the event claims the attempt exchanges the code; the
    // other waits briefly for the outcome.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match claim_attempt(state, id).await? {
            Claim::Claimed => {
                let target = ExchangeFor {
                    tenant,
                    attempt_id: Some(id),
                    actor,
                    request_id: meta.request_id.clone(),
                    pushed_appid: None,
                };
                return match exchange(state, &wx, target, code).await {
                    Ok(Exchanged::Bound) => view(state, tenant).await,
                    Ok(Exchanged::Refused(e)) => Err(e),
                    Err(f) => Err(f.into()),
                };
            }
            Claim::Finished(row) => return finished_answer(state, tenant, &row).await,
            Claim::Busy if std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Claim::Busy => return Err(AppError::new(ErrorCode::WechatBusy).with_retry_after(5)),
        }
    }
}

async fn finished_answer(
    state: &AppState,
    tenant: TenantId,
    row: &wechat_authorizations::Model,
) -> AppResult<BindingView> {
    match (row.status.as_str(), row.outcome.as_deref()) {
        (attempt::BOUND, _) => view(state, tenant).await,
        (_, Some("appid_mismatch")) => Err(AppError::new(ErrorCode::WechatAppidMismatch)
            .with_details(json!({ "authorized": row.appid }))),
        (_, Some("appid_taken")) => Err(AppError::new(ErrorCode::WechatAppidTaken)
            .with_details(json!({ "authorized": row.appid }))),
        (_, outcome) => {
            Err(AppError::new(ErrorCode::WechatCallFailed)
                .with_details(json!({ "errmsg": outcome })))
        }
    }
}

enum Claim {
    Claimed,
    Finished(wechat_authorizations::Model),
    Busy,
}

/// Moves the attempt `pending → exchanging` (or takes over a stale exchange).
async fn claim_attempt(state: &AppState, id: Uuid) -> AppResult<Claim> {
    let now = state.clock.now();
    let claimed = wechat_authorizations::Entity::update_many()
        .col_expr(
            wechat_authorizations::Column::Status,
            Expr::value(attempt::EXCHANGING),
        )
        .col_expr(wechat_authorizations::Column::UpdatedAt, Expr::value(now))
        .filter(wechat_authorizations::Column::Id.eq(id))
        .filter(
            sea_orm::Condition::any()
                .add(wechat_authorizations::Column::Status.eq(attempt::PENDING))
                .add(
                    sea_orm::Condition::all()
                        .add(wechat_authorizations::Column::Status.eq(attempt::EXCHANGING))
                        .add(
                            wechat_authorizations::Column::UpdatedAt
                                .lt(now - Duration::seconds(EXCHANGE_STALE_SECS)),
                        ),
                ),
        )
        .exec(&state.db)
        .await?;
    if claimed.rows_affected == 1 {
        return Ok(Claim::Claimed);
    }
    let row = wechat_authorizations::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::AuthorizationStateInvalid))?;
    Ok(if row.status == attempt::EXCHANGING {
        Claim::Busy
    } else {
        Claim::Finished(row)
    })
}

async fn set_attempt(
    conn: &impl ConnectionTrait,
    id: Option<Uuid>,
    status: &str,
    appid: Option<&str>,
    outcome: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    let Some(id) = id else { return Ok(()) };
    wechat_authorizations::Entity::update_many()
        .col_expr(wechat_authorizations::Column::Status, Expr::value(status))
        .col_expr(wechat_authorizations::Column::Appid, Expr::value(appid))
        .col_expr(wechat_authorizations::Column::Outcome, Expr::value(outcome))
        .col_expr(wechat_authorizations::Column::UpdatedAt, Expr::value(now))
        .filter(wechat_authorizations::Column::Id.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

enum Exchanged {
    Bound,
    /// Recorded and audited; the error is what the merchant is shown on the redirect.
    Refused(AppError),
}

/// The permission sets of an `authorization_info`, sorted.
fn granted_sets(info: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = info["func_info"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f["funcscope_category"]["id"].as_i64())
                .collect()
        })
        .unwrap_or_default();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What `api_query_auth` granted.
struct Grant {
    appid: String,
    access_token: String,
    expires_in: i64,
    refresh_token: String,
    func_ids: Vec<i64>,
}

async fn query_auth(state: &AppState, wx: &WechatPlatform, code: &str) -> Result<Grant, WxFailure> {
    let body = json!({ "component_appid": wx.component_appid, "authorization_code": code });
    let answer = with_component_token(state, wx, |token| {
        let body = body.clone();
        async move {
            wx.client
                .post(
                    "/cgi-bin/component/api_query_auth",
                    TokenParam::Component(&token),
                    &body,
                )
                .await
        }
    })
    .await?;
    let info = &answer["authorization_info"];
    let func_ids = granted_sets(info);
    Ok(Grant {
        appid: answer_str(info, "authorizer_appid")?.to_owned(),
        access_token: answer_str(info, "authorizer_access_token")?.to_owned(),
        expires_in: info["expires_in"].as_i64().unwrap_or(7200),
        refresh_token: answer_str(info, "authorizer_refresh_token")?.to_owned(),
        func_ids,
    })
}

/// Rebuilds a grant without its code (PROTOCOL.md §1.7): the refresh token from
/// `api_get_authorizer_list`, a fresh access token from it, the permission sets from
/// `api_get_authorizer_info`.
async fn recover_grant(
    state: &AppState,
    wx: &WechatPlatform,
    appid: &str,
) -> Result<Grant, WxFailure> {
    let component = |path: &'static str, body: Value| {
        with_component_token(state, wx, move |token| {
            let body = body.clone();
            async move {
                wx.client
                    .post(path, TokenParam::Component(&token), &body)
                    .await
            }
        })
    };
    let mut refresh_token = None;
    let mut offset = 0;
    while refresh_token.is_none() {
        let page = component(
            "/cgi-bin/component/api_get_authorizer_list",
            json!({ "component_appid": wx.component_appid, "offset": offset, "count": 500 }),
        )
        .await?;
        let list = page["list"].as_array().cloned().unwrap_or_default();
        refresh_token = list
            .iter()
            .find(|a| a["authorizer_appid"].as_str() == Some(appid))
            .and_then(|a| a["refresh_token"].as_str().map(str::to_owned));
        offset += list.len();
        if list.is_empty() || offset as i64 >= page["total_count"].as_i64().unwrap_or(0) {
            break;
        }
    }
    let refresh_token = refresh_token.ok_or_else(|| {
        WxFailure::Wechat(crate::wechat::client::WechatError::Api {
            errcode: 61003,
            errmsg: "the mini-program is not authorized to the platform".into(),
        })
    })?;
    let token = component(
        "/cgi-bin/component/api_authorizer_token",
        json!({ "component_appid": wx.component_appid, "authorizer_appid": appid,
                "authorizer_refresh_token": refresh_token }),
    )
    .await?;
    let info = component(
        "/cgi-bin/component/api_get_authorizer_info",
        json!({ "component_appid": wx.component_appid, "authorizer_appid": appid }),
    )
    .await?;
    let func_ids = granted_sets(&info["authorization_info"]);
    Ok(Grant {
        appid: appid.to_owned(),
        access_token: answer_str(&token, "authorizer_access_token")?.to_owned(),
        expires_in: token["expires_in"].as_i64().unwrap_or(7200),
        refresh_token: token["authorizer_refresh_token"]
            .as_str()
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .unwrap_or(refresh_token),
        func_ids,
    })
}

/// The mini-program's names; best effort (the binding does not depend on them).
async fn authorizer_names(
    state: &AppState,
    wx: &WechatPlatform,
    appid: &str,
) -> (Option<String>, Option<String>) {
    let body = json!({ "component_appid": wx.component_appid, "authorizer_appid": appid });
    let answer = with_component_token(state, wx, |token| {
        let body = body.clone();
        async move {
            wx.client
                .post(
                    "/cgi-bin/component/api_get_authorizer_info",
                    TokenParam::Component(&token),
                    &body,
                )
                .await
        }
    })
    .await;
    match answer {
        Ok(a) => {
            let info = &a["authorizer_info"];
            let text = |k: &str| {
                info[k]
                    .as_str()
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
            };
            (text("user_name"), text("nick_name"))
        }
        Err(e) => {
            tracing::warn!(error = ?e, appid, "reading the mini-program's names failed");
            (None, None)
        }
    }
}

/// Exchanges `code` and binds the granted appid to `tenant`, or refuses it (recorded and
/// audited). On a WeChat failure the attempt goes back to `pending` (transient) or to
/// `failed` (permanent).
/// Who an exchange is for and where it came from.
struct ExchangeFor<'a> {
    tenant: TenantId,
    attempt_id: Option<Uuid>,
    actor: Actor,
    request_id: Option<String>,
    /// The appid of the `authorized` push (the redirect does not know it).
    pushed_appid: Option<&'a str>,
}

async fn exchange(
    state: &AppState,
    wx: &WechatPlatform,
    target: ExchangeFor<'_>,
    code: &str,
) -> Result<Exchanged, WxFailure> {
    let ExchangeFor {
        tenant,
        attempt_id,
        actor,
        request_id,
        pushed_appid,
    } = target;
    let exchanged = match (query_auth(state, wx, code).await, pushed_appid) {
        // The code was used already — by an earlier try of ours whose answer was lost or
        // whose storing failed: WeChat still has the grant.
        (Err(WxFailure::Wechat(e)), Some(appid)) if e.errcode() == Some(61009) => {
            tracing::warn!(
                appid,
                "authorization code already used; recovering the grant"
            );
            recover_grant(state, wx, appid).await
        }
        (other, _) => other,
    };
    let grant = match exchanged {
        Ok(g) => g,
        Err(f) => {
            let now = state.clock.now();
            let (status, outcome) = match &f {
                WxFailure::Wechat(e) if !e.is_transient() => (
                    attempt::FAILED,
                    e.errcode()
                        .map(|c| format!("errcode {c}"))
                        .unwrap_or_else(|| "failed".into()),
                ),
                _ => (attempt::PENDING, "retrying".into()),
            };
            set_attempt(&state.db, attempt_id, status, None, Some(&outcome), now).await?;
            return Err(f);
        }
    };
    let (user_name, nick_name) = authorizer_names(state, wx, &grant.appid).await;
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    let (row, _) = crate::services::tenant_state::lock_snapshot(&txn, tenant).await?;
    let holder = tenants::Entity::find()
        .filter(tenants::Column::Appid.eq(grant.appid.as_str()))
        .filter(tenants::Column::Id.ne(tenant.0))
        .filter(tenants::Column::DeletedAt.is_null())
        .one(&txn)
        .await?
        .map(|t| t.id);
    let bound_elsewhere = wechat_bindings::Entity::find()
        .filter(wechat_bindings::Column::Appid.eq(grant.appid.as_str()))
        .filter(wechat_bindings::Column::TenantId.ne(tenant.0))
        .one(&txn)
        .await?
        .map(|b| b.tenant_id);
    let refusal = if row.deleted_at.is_some() {
        Some(("tenant_deleted", AppError::new(ErrorCode::NotFound)))
    } else if row.appid.as_deref().is_some_and(|a| a != grant.appid) {
        Some((
            "appid_mismatch",
            AppError::new(ErrorCode::WechatAppidMismatch)
                .with_details(json!({ "expected": row.appid, "authorized": grant.appid })),
        ))
    } else if holder.or(bound_elsewhere).is_some() {
        Some((
            "appid_taken",
            AppError::new(ErrorCode::WechatAppidTaken)
                .with_details(json!({ "authorized": grant.appid })),
        ))
    } else {
        None
    };
    if let Some((outcome, error)) = refusal {
        set_attempt(
            &txn,
            attempt_id,
            attempt::REFUSED,
            Some(&grant.appid),
            Some(outcome),
            now,
        )
        .await?;
        audit::record(
            &txn,
            now,
            AuditRecord {
                actor,
                tenant_id: Some(tenant),
                action: "wechat.binding_refused",
                subject_type: "tenant",
                subject_id: Some(tenant.to_string()),
                summary: json!({
                    "reason": outcome,
                    "expected_appid": row.appid,
                    "authorized_appid": grant.appid,
                    "other_tenant": holder.or(bound_elsewhere),
                }),
                request_id,
            },
        )
        .await?;
        txn.commit().await?;
        tracing::warn!(tenant.id = %tenant, appid = %grant.appid, reason = outcome, "mini-program binding refused");
        return Ok(Exchanged::Refused(error));
    }
    let previous = wechat_bindings::Entity::find_by_id(tenant.0)
        .one(&txn)
        .await?;
    // Re-authorizing the same bound mini-program (new permissions) is not a new binding.
    let bound_at = previous
        .as_ref()
        .filter(|p| p.status == "bound" && p.appid == grant.appid)
        .map_or(now, |p| p.bound_at);
    wechat_bindings::Entity::insert(wechat_bindings::ActiveModel {
        tenant_id: Set(tenant.0),
        appid: Set(grant.appid.clone()),
        status: Set("bound".into()),
        func_ids: Set(json!(grant.func_ids)),
        user_name: Set(user_name.clone()),
        nick_name: Set(nick_name.clone()),
        bound_at: Set(bound_at),
        revoked_at: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(wechat_bindings::Column::TenantId)
            .update_columns([
                wechat_bindings::Column::Appid,
                wechat_bindings::Column::Status,
                wechat_bindings::Column::FuncIds,
                wechat_bindings::Column::UserName,
                wechat_bindings::Column::NickName,
                wechat_bindings::Column::BoundAt,
                wechat_bindings::Column::RevokedAt,
                wechat_bindings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let old_version = wechat_authorizer_tokens::Entity::find_by_id(tenant.0)
        .one(&txn)
        .await?
        .map(|t| t.version)
        .unwrap_or(0);
    wechat_authorizer_tokens::Entity::insert(wechat_authorizer_tokens::ActiveModel {
        tenant_id: Set(tenant.0),
        appid: Set(grant.appid.clone()),
        refresh_token_enc: Set(state
            .vault
            .seal(&refresh_purpose(tenant), &grant.refresh_token)),
        access_token_enc: Set(Some(
            state
                .vault
                .seal(&access_purpose(tenant), &grant.access_token),
        )),
        access_expires_at: Set(Some(now + Duration::seconds(grant.expires_in))),
        version: Set(old_version + 1),
        last_error: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(wechat_authorizer_tokens::Column::TenantId)
            .update_columns([
                wechat_authorizer_tokens::Column::Appid,
                wechat_authorizer_tokens::Column::RefreshTokenEnc,
                wechat_authorizer_tokens::Column::AccessTokenEnc,
                wechat_authorizer_tokens::Column::AccessExpiresAt,
                wechat_authorizer_tokens::Column::Version,
                wechat_authorizer_tokens::Column::LastError,
                wechat_authorizer_tokens::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let appid_recorded = row.appid.is_none();
    if appid_recorded {
        tenants::Entity::update_many()
            .col_expr(tenants::Column::Appid, Expr::value(grant.appid.as_str()))
            .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
            .filter(tenants::Column::Id.eq(tenant.0))
            .exec(&txn)
            .await?;
        crate::services::pages::rerender_published(&txn, state, tenant, Some(&grant.appid)).await?;
        crate::services::client_content::refresh(&txn, state, tenant).await?;
    }
    set_attempt(
        &txn,
        attempt_id,
        attempt::BOUND,
        Some(&grant.appid),
        Some("bound"),
        now,
    )
    .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor,
            tenant_id: Some(tenant),
            action: "wechat.bound",
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary: json!({
                "appid": grant.appid,
                "func_ids": grant.func_ids,
                "can_publish": grant.func_ids.contains(&CODE_MANAGEMENT_FUNC_ID),
                "appid_recorded": appid_recorded,
                "previous": previous.map(|p| json!({"status": p.status, "func_ids": p.func_ids})),
            }),
            request_id,
        },
    )
    .await?;
    txn.commit().await?;
    state.invalidate_tenant(tenant);
    tracing::info!(tenant.id = %tenant, appid = %grant.appid, func_ids = ?grant.func_ids, "mini-program bound");
    Ok(Exchanged::Bound)
}

/// Marks the binding of `appid` revoked and deletes its tokens, in the caller's
/// transaction (the `unauthorized` event). `tenants.appid` stays, so the released
/// mini-program's client API keeps answering. Returns the tenant when a binding changed.
pub async fn revoke(
    conn: &impl ConnectionTrait,
    appid: &str,
    now: DateTime<Utc>,
) -> Result<Option<TenantId>, sea_orm::DbErr> {
    let Some(binding) = wechat_bindings::Entity::find()
        .filter(wechat_bindings::Column::Appid.eq(appid))
        .filter(wechat_bindings::Column::Status.eq("bound"))
        .one(conn)
        .await?
    else {
        tracing::info!(
            appid,
            "unauthorized for an appid without a live binding; nothing to do"
        );
        return Ok(None);
    };
    wechat_bindings::Entity::update_many()
        .col_expr(wechat_bindings::Column::Status, Expr::value("revoked"))
        .col_expr(wechat_bindings::Column::RevokedAt, Expr::value(now))
        .col_expr(wechat_bindings::Column::UpdatedAt, Expr::value(now))
        .filter(wechat_bindings::Column::TenantId.eq(binding.tenant_id))
        .exec(conn)
        .await?;
    wechat_authorizer_tokens::Entity::delete_by_id(binding.tenant_id)
        .exec(conn)
        .await?;
    let tenant = TenantId(binding.tenant_id);
    audit::record(
        conn,
        now,
        AuditRecord {
            actor: Actor::system(),
            tenant_id: Some(tenant),
            action: "wechat.unbound",
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary: json!({ "appid": appid, "cause": "unauthorized", "tokens_deleted": true }),
            request_id: None,
        },
    )
    .await?;
    Ok(Some(tenant))
}

/// The tenant's binding.
pub async fn view(state: &AppState, tenant: TenantId) -> AppResult<BindingView> {
    let row = tenants::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let binding = wechat_bindings::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?;
    let token = wechat_authorizer_tokens::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?;
    Ok(binding_view(tenant, row.appid, binding, token))
}

fn binding_view(
    tenant: TenantId,
    appid: Option<String>,
    binding: Option<wechat_bindings::Model>,
    token: Option<wechat_authorizer_tokens::Model>,
) -> BindingView {
    let func_ids = binding
        .as_ref()
        .map(|b| func_ids_of(&b.func_ids))
        .unwrap_or_default();
    let status = binding
        .as_ref()
        .map(|b| b.status.clone())
        .unwrap_or_else(|| "unbound".into());
    BindingView {
        tenant_id: tenant.0,
        appid: appid.or_else(|| binding.as_ref().map(|b| b.appid.clone())),
        can_publish: status == "bound" && func_ids.contains(&CODE_MANAGEMENT_FUNC_ID),
        status,
        func_ids,
        user_name: binding.as_ref().and_then(|b| b.user_name.clone()),
        nick_name: binding.as_ref().and_then(|b| b.nick_name.clone()),
        bound_at: binding.as_ref().map(|b| b.bound_at),
        revoked_at: binding.as_ref().and_then(|b| b.revoked_at),
        token: token.map(|t| TokenHealth {
            access_expires_at: t.access_expires_at,
            healthy: t.last_error.is_none(),
            last_error: t.last_error,
            updated_at: t.updated_at,
        }),
    }
}

/// What WeChat reports for a bound mini-program (the connection check).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectionCheck {
    /// The binding after the check.
    pub binding: BindingView,
    /// `getversioninfo`: the released and trial versions WeChat knows.
    pub version_info: Value,
}

/// Calls WeChat with the tenant's authorizer token (refreshing it from the stored refresh
/// token when needed) and reports the online and trial versions.
pub async fn check(state: &AppState, tenant: TenantId) -> AppResult<ConnectionCheck> {
    let wx = platform(state)?;
    let binding = wechat_bindings::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?;
    if binding.as_ref().is_none_or(|b| b.status != "bound") {
        return Err(AppError::new(ErrorCode::WechatNotBound));
    }
    let answer = with_authorizer_token(state, &wx, tenant, |token| {
        let wx = wx.clone();
        async move {
            wx.client
                .post(
                    "/wxa/getversioninfo",
                    TokenParam::Access(&token),
                    &json!({}),
                )
                .await
        }
    })
    .await?;
    let mut version_info = answer;
    if let Some(map) = version_info.as_object_mut() {
        map.remove("errcode");
        map.remove("errmsg");
    }
    Ok(ConnectionCheck {
        binding: view(state, tenant).await?,
        version_info,
    })
}

/// One tenant in the platform status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TenantBindingStatus {
    /// Business name.
    pub business_name: String,
    /// Tenant status.
    pub tenant_status: String,
    /// The binding.
    #[serde(flatten)]
    pub binding: BindingView,
}

/// The platform's health (agency admins): never a secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlatformStatus {
    /// The component appid.
    pub component_appid: String,
    /// The last `component_verify_ticket`: when it arrived and until when it is usable.
    pub ticket: Option<tokens::VaultEntryStatus>,
    /// The component token: when it was fetched and when it expires.
    pub component_token: Option<tokens::VaultEntryStatus>,
    /// Tenants with a binding or a recorded appid.
    pub tenants: Vec<TenantBindingStatus>,
}

/// The platform's health for agency admins.
pub async fn platform_status(state: &AppState) -> AppResult<PlatformStatus> {
    let wx = platform(state)?;
    let (ticket, component_token) = tokens::vault_status(state).await?;
    let bindings = wechat_bindings::Entity::find().all(&state.db).await?;
    let token_rows = wechat_authorizer_tokens::Entity::find()
        .all(&state.db)
        .await?;
    let rows = tenants::Entity::find()
        .filter(tenants::Column::DeletedAt.is_null())
        .filter(
            sea_orm::Condition::any()
                .add(tenants::Column::Appid.is_not_null())
                .add(
                    tenants::Column::Id
                        .is_in(bindings.iter().map(|b| b.tenant_id).collect::<Vec<_>>()),
                ),
        )
        .order_by_asc(tenants::Column::BusinessName)
        .all(&state.db)
        .await?;
    let tenants = rows
        .into_iter()
        .map(|t| {
            let binding = bindings.iter().find(|b| b.tenant_id == t.id).cloned();
            let token = token_rows.iter().find(|r| r.tenant_id == t.id).cloned();
            TenantBindingStatus {
                business_name: t.business_name,
                tenant_status: t.status,
                binding: binding_view(TenantId(t.id), t.appid, binding, token),
            }
        })
        .collect();
    Ok(PlatformStatus {
        component_appid: wx.component_appid.clone(),
        ticket,
        component_token,
        tenants,
    })
}

/// Exchanges the code pushed with `authorized` / `updateauthorized`. Idempotent with the
/// redirect: an attempt already bound or refused is left alone, one being exchanged is
/// retried later. A push without a known attempt binds to the tenant whose recorded appid
/// it is (a re-authorization from WeChat's console); otherwise it is only audited.
pub struct AuthorizedHandler;

impl JobHandler for AuthorizedHandler {
    fn kind(&self) -> &'static str {
        AUTHORIZED_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let wx = platform(state).map_err(|e| JobError::Retry(anyhow::anyhow!("{e}")))?;
            let text = |k: &str| job.payload[k].as_str().map(str::to_owned);
            let appid = text("appid")
                .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("payload without appid")))?;
            let code = text("code")
                .and_then(|sealed| state.vault.open(AUTHORIZED_JOB, &sealed).ok())
                .ok_or_else(|| {
                    JobError::Permanent(anyhow::anyhow!("payload without a readable code"))
                })?;
            let attempt_row = match text("pre_auth_code_hash") {
                Some(hash) => {
                    wechat_authorizations::Entity::find()
                        .filter(wechat_authorizations::Column::PreAuthCodeHash.eq(hash))
                        .one(&state.db)
                        .await?
                }
                None => None,
            };
            let (tenant, attempt_id, actor) = match attempt_row {
                Some(row) => {
                    match claim_attempt(state, row.id)
                        .await
                        .map_err(|e| JobError::Retry(anyhow::anyhow!("{e}")))?
                    {
                        Claim::Claimed => {}
                        Claim::Finished(done) => {
                            tracing::info!(attempt = %done.id, status = %done.status, "authorization already handled");
                            return Ok(());
                        }
                        Claim::Busy => {
                            return Err(JobError::Retry(anyhow::anyhow!(
                                "the redirect is exchanging this authorization"
                            )));
                        }
                    }
                    (TenantId(row.tenant_id), Some(row.id), Actor::system())
                }
                None => {
                    let owner = tenants::Entity::find()
                        .filter(tenants::Column::Appid.eq(appid.as_str()))
                        .filter(tenants::Column::DeletedAt.is_null())
                        .one(&state.db)
                        .await?;
                    let Some(owner) = owner else {
                        audit::record(
                            &state.db,
                            state.clock.now(),
                            AuditRecord {
                                actor: Actor::system(),
                                tenant_id: None,
                                action: "wechat.authorization_unmatched",
                                subject_type: "wechat_authorization",
                                subject_id: Some(appid.clone()),
                                summary: json!({ "appid": appid, "info_type": text("info_type") }),
                                request_id: None,
                            },
                        )
                        .await?;
                        tracing::warn!(
                            appid,
                            "authorization for an appid no tenant started or records"
                        );
                        return Ok(());
                    };
                    (TenantId(owner.id), None, Actor::system())
                }
            };
            let target = ExchangeFor {
                tenant,
                attempt_id,
                actor,
                request_id: None,
                pushed_appid: Some(&appid),
            };
            match exchange(state, &wx, target, &code).await {
                // A refusal is recorded and audited; WeChat was already answered `success`.
                Ok(_) => Ok(()),
                Err(f) => Err(f.into()),
            }
        })
    }
}
