//! Draft previews on a phone: a short-lived signed token, bound to one tenant and one
//! page, with which the mini-program fetches the page's draft rendering instead of the
//! published one (`GET /client/v1/{appid}/preview/{slug}?token=`). The console shows it as
//! a QR code of the trial version opening `pages/page/page?slug=…&preview=…`.

use crate::domain::ids::TenantId;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::render::renderer::Rendered;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a preview link works (WeChat's trial QR stays valid longer; the token does
/// not).
pub const PREVIEW_TTL_MINUTES: i64 = 30;
const TOKEN_TYPE: &str = "page_preview";

/// The signed claims of a preview token. `typ` keeps access tokens and preview tokens
/// apart: neither decodes as the other.
#[derive(Debug, Serialize, Deserialize)]
struct PreviewClaims {
    typ: String,
    tid: Uuid,
    pid: Uuid,
    exp: i64,
}

/// A preview link for the page's draft.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PreviewLink {
    /// The token the mini-program sends.
    pub token: String,
    /// When it stops working (at most an hour from now).
    pub expires_at: DateTime<Utc>,
    /// The mini-program path that opens the draft: `pages/page/page?slug=…&preview=…`.
    pub path: String,
}

/// Issues a preview link for one page of `tenant`.
pub async fn issue(state: &AppState, tenant: TenantId, page: Uuid) -> AppResult<PreviewLink> {
    let found = crate::services::pages::get(state, tenant, page).await?;
    let expires_at = state.clock.now() + Duration::minutes(PREVIEW_TTL_MINUTES);
    let token = state
        .jwt
        .sign_any(&PreviewClaims {
            typ: TOKEN_TYPE.into(),
            tid: tenant.0,
            pid: page,
            exp: expires_at.timestamp(),
        })
        .map_err(AppError::internal)?;
    let path = format!(
        "pages/page/page?slug={}&preview={token}",
        form_urlencoded::byte_serialize(found.slug.as_bytes()).collect::<String>()
    );
    Ok(PreviewLink {
        token,
        expires_at,
        path,
    })
}

/// The draft rendering a valid token names, for the tenant of `appid` and the page `slug`.
pub async fn draft(
    state: &AppState,
    tenant: TenantId,
    slug: &str,
    token: &str,
) -> AppResult<Rendered> {
    let claims: PreviewClaims = state
        .jwt
        .verify_any(token)
        .filter(|c: &PreviewClaims| c.typ == TOKEN_TYPE && c.tid == tenant.0)
        .ok_or_else(|| AppError::new(ErrorCode::PreviewTokenInvalid))?;
    if claims.exp <= state.clock.now().timestamp() {
        return Err(AppError::new(ErrorCode::PreviewTokenExpired));
    }
    let page = crate::services::pages::get(state, tenant, claims.pid)
        .await
        .map_err(|_| AppError::new(ErrorCode::PreviewTokenInvalid))?;
    if page.slug != slug {
        return Err(AppError::new(ErrorCode::PreviewTokenInvalid));
    }
    crate::services::pages::preview(state, tenant, claims.pid, None).await
}

/// The trial version's QR code opening the page's draft: WeChat's `get_qrcode` with the
/// preview path, for a tenant whose mini-program is bound and has a trial or released
/// version (anything else: 409 saying what is missing). Answers the link (for its expiry)
/// and the image with its content type.
pub async fn qrcode(
    state: &AppState,
    tenant: TenantId,
    page: Uuid,
) -> AppResult<(PreviewLink, Vec<u8>, String)> {
    use crate::wechat::client::TokenParam;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let wx = crate::services::wechat::platform(state)?;
    let bound = entity::wechat_bindings::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?
        .is_some_and(|b| b.status == "bound");
    if !bound {
        return Err(AppError::new(ErrorCode::WechatNotBound));
    }
    let has_version = entity::deploy_runs::Entity::find()
        .filter(entity::deploy_runs::Column::TenantId.eq(tenant.0))
        .all(&state.db)
        .await?
        .iter()
        .any(|r| {
            r.qr_key.is_some()
                || [
                    crate::services::wechat::deploy::status::RELEASED,
                    crate::services::wechat::deploy::status::GRAY,
                ]
                .contains(&r.status.as_str())
        });
    if !has_version {
        return Err(AppError::new(ErrorCode::InvalidTransition).with_message(
            crate::error::Localized::new(
                "小程序还没有体验版或线上版本：请先发起一次发布，提交代码后即可扫码预览。",
                "The mini-program has no trial or released version yet: start a deploy; once the code is committed the preview QR works.",
            ),
        ));
    }
    let link = issue(state, tenant, page).await?;
    let path = link.path.clone();
    let image =
        crate::services::wechat::tokens::with_authorizer_token(state, &wx, tenant, |token| {
            let (wx, path) = (wx.clone(), path.clone());
            async move {
                wx.client
                    .get_binary(
                        "/wxa/get_qrcode",
                        TokenParam::Access(&token),
                        &[("path", path.as_str())],
                    )
                    .await
            }
        })
        .await?;
    let content_type = match image.content_type.as_str() {
        "" => "image/jpeg".to_owned(),
        given => given.to_owned(),
    };
    Ok((link, image.bytes, content_type))
}
