//! Short-lived signed links: a URL that carries its own credential, so a browser link or an
//! `<img>` can fetch an export's zip or a deploy's trial QR without a bearer header
//! (`GET /api/v1/links/{token}`). A link names one tenant and one resource and works for
//! [`LINK_TTL_MINUTES`]; each list or view signs a fresh one. Whether the resource may still
//! be served (the export not expired, the tenant not purged) is checked when it is opened,
//! not when it was signed.

use crate::domain::ids::TenantId;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a signed link works.
pub const LINK_TTL_MINUTES: i64 = 10;
const TOKEN_TYPE: &str = "signed_link";

/// What a link opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Linked {
    /// The zip of a tenant export.
    Export,
    /// The trial-version QR image of a deploy run.
    DeployQrcode,
    /// Every asset of a tenant, as a URL prefix (the console's images).
    TenantAssets,
}

/// How long a tenant's asset prefix stays the same: browsers cache its images for as long.
const ASSET_WINDOW_HOURS: i64 = 12;

/// The signed claims. `typ` keeps these apart from access and preview tokens.
#[derive(Debug, Serialize, Deserialize)]
struct LinkClaims {
    typ: String,
    what: Linked,
    tid: Uuid,
    id: Uuid,
    exp: i64,
}

/// A signed link as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SignedLink {
    /// Path of the link on this service (`/api/v1/links/…`); needs no bearer header.
    pub url: String,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
}

/// Signs a link to `what` `id` of `tenant`, valid for [`LINK_TTL_MINUTES`] or until
/// `not_after`, whichever is sooner.
pub fn sign(
    state: &AppState,
    tenant: TenantId,
    what: Linked,
    id: Uuid,
    not_after: Option<DateTime<Utc>>,
) -> AppResult<SignedLink> {
    let ttl_end = state.clock.now() + Duration::minutes(LINK_TTL_MINUTES);
    let expires_at = not_after.map_or(ttl_end, |n| n.min(ttl_end));
    let token = state
        .jwt
        .sign_any(&LinkClaims {
            typ: TOKEN_TYPE.into(),
            what,
            tid: tenant.0,
            id,
            exp: expires_at.timestamp(),
        })
        .map_err(AppError::internal)?;
    Ok(SignedLink {
        url: format!("/api/v1/links/{token}"),
        expires_at,
    })
}

/// The console's URL prefix for `tenant`'s images (`/api/v1/links/{token}/assets/`): one
/// token per 12-hour window, so every image URL stays the same for that long and browsers
/// cache them; valid until the end of the next window (12 to 24 hours from now). Any
/// tenant state: a frozen or held tenant's builder still shows its images.
pub fn asset_prefix(state: &AppState, tenant: TenantId) -> AppResult<SignedLink> {
    let window = ASSET_WINDOW_HOURS * 3600;
    let start = state.clock.now().timestamp().div_euclid(window) * window;
    let expires_at = DateTime::from_timestamp(start + 2 * window, 0)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("time out of range")))?;
    let token = state
        .jwt
        .sign_any(&LinkClaims {
            typ: TOKEN_TYPE.into(),
            what: Linked::TenantAssets,
            tid: tenant.0,
            id: tenant.0,
            exp: expires_at.timestamp(),
        })
        .map_err(AppError::internal)?;
    Ok(SignedLink {
        url: format!("/api/v1/links/{token}/assets/"),
        expires_at,
    })
}

/// What a valid, unexpired link names: 403 `link_invalid` for a token we did not sign (or
/// not a link), 410 `link_expired` after its time.
pub fn open(state: &AppState, token: &str) -> AppResult<(Linked, TenantId, Uuid)> {
    let claims: LinkClaims = state
        .jwt
        .verify_any(token)
        .filter(|c: &LinkClaims| c.typ == TOKEN_TYPE)
        .ok_or_else(|| AppError::new(ErrorCode::LinkInvalid))?;
    if claims.exp <= state.clock.now().timestamp() {
        return Err(AppError::new(ErrorCode::LinkExpired));
    }
    Ok((claims.what, TenantId(claims.tid), claims.id))
}
