//! The agency's branding: its name and logo on the sign-in page and the console header.
//! One row; the logo is an object under `agency/branding/`, named by its content hash so a
//! new logo gets a new URL and browsers may cache each one.

use crate::db;
use crate::domain::contact::parse_name;
use crate::domain::media::{MediaKind, is_whole, sniff};
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use entity::agency_branding;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The largest logo: a header image, not a photo.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;
/// The longest agency name shown in the header.
const MAX_NAME_CHARS: usize = 40;
const ROW: i32 = 1;

/// The agency's branding as everyone (signed in or not) sees it.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct BrandingView {
    /// The agency's name (`null`: the product name is shown).
    pub name: Option<String>,
    /// Where the logo is served (`null`: none), changing with the logo.
    pub logo_url: Option<String>,
    /// Last changed.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<agency_branding::Model> for BrandingView {
    fn from(row: agency_branding::Model) -> Self {
        Self {
            name: row.name,
            logo_url: row
                .logo_sha256
                .map(|sha| format!("/api/v1/branding/logo?v={}", &sha[..16])),
            updated_at: Some(row.updated_at),
        }
    }
}

async fn row(conn: &impl ConnectionTrait) -> AppResult<Option<agency_branding::Model>> {
    Ok(agency_branding::Entity::find_by_id(ROW).one(conn).await?)
}

/// The branding now.
pub async fn get(state: &AppState) -> AppResult<BrandingView> {
    Ok(row(&state.read_db)
        .await?
        .map(BrandingView::from)
        .unwrap_or_default())
}

/// The logo's content type and bytes, if one is set.
pub async fn logo(state: &AppState) -> AppResult<Option<(String, Vec<u8>)>> {
    let Some(current) = row(&state.read_db).await? else {
        return Ok(None);
    };
    let (Some(key), Some(content_type)) = (current.logo_key, current.logo_content_type) else {
        return Ok(None);
    };
    let bytes = state.store.get(&key).await.map_err(AppError::internal)?;
    Ok(bytes.map(|b| (content_type, b)))
}

/// What a change sets; `None` fields stay as they are.
struct Change {
    name: Option<Option<String>>,
    logo: Option<Option<(String, String, String)>>,
}

/// Writes the change, audited; answers the new branding and the logo object it replaced.
async fn apply(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    change: Change,
) -> AppResult<(BrandingView, Option<String>)> {
    let txn = db::begin_write(&state.db).await?;
    let before = row(&txn).await?;
    let now = state.clock.now();
    let mut next = before.clone().unwrap_or(agency_branding::Model {
        id: ROW,
        name: None,
        logo_key: None,
        logo_content_type: None,
        logo_sha256: None,
        updated_at: now,
        updated_by: None,
    });
    if let Some(name) = change.name.clone() {
        next.name = name;
    }
    if let Some(logo) = change.logo.clone() {
        let (key, content_type, sha) = match logo {
            Some((k, c, s)) => (Some(k), Some(c), Some(s)),
            None => (None, None, None),
        };
        next.logo_key = key;
        next.logo_content_type = content_type;
        next.logo_sha256 = sha;
    }
    next.updated_at = now;
    next.updated_by = Some(actor.id.0);
    agency_branding::Entity::insert(agency_branding::ActiveModel {
        id: Set(ROW),
        name: Set(next.name.clone()),
        logo_key: Set(next.logo_key.clone()),
        logo_content_type: Set(next.logo_content_type.clone()),
        logo_sha256: Set(next.logo_sha256.clone()),
        updated_at: Set(now),
        updated_by: Set(next.updated_by),
    })
    .on_conflict(
        OnConflict::column(agency_branding::Column::Id)
            .update_columns([
                agency_branding::Column::Name,
                agency_branding::Column::LogoKey,
                agency_branding::Column::LogoContentType,
                agency_branding::Column::LogoSha256,
                agency_branding::Column::UpdatedAt,
                agency_branding::Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let old_name = before.as_ref().and_then(|b| b.name.clone());
    let old_logo = before.as_ref().and_then(|b| b.logo_sha256.clone());
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: "branding.changed",
            subject_type: "branding",
            subject_id: None,
            summary: serde_json::json!({
                "before": { "name": old_name, "logo_sha256": old_logo },
                "after": { "name": next.name, "logo_sha256": next.logo_sha256 },
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    let replaced = before
        .and_then(|b| b.logo_key)
        .filter(|old| Some(old) != next.logo_key.as_ref());
    Ok((next.into(), replaced))
}

/// Sets the agency's name (`None` or blank: the product name is shown).
pub async fn set_name(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    name: Option<&str>,
) -> AppResult<BrandingView> {
    let name = name
        .filter(|n| !n.trim().is_empty())
        .map(|n| parse_name(n, MAX_NAME_CHARS, "name"))
        .transpose()?;
    let change = Change {
        name: Some(name),
        logo: None,
    };
    Ok(apply(state, actor, meta, change).await?.0)
}

/// Sets the logo: a whole PNG, JPEG or WebP image of at most 256 KiB (GIF and video are
/// refused: a header image neither moves nor plays).
pub async fn set_logo(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    bytes: Vec<u8>,
) -> AppResult<BrandingView> {
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(
            AppError::new(ErrorCode::PayloadTooLarge).with_details(serde_json::json!({
                "field": "file",
                "limit_bytes": MAX_LOGO_BYTES,
                "size_bytes": bytes.len(),
            })),
        );
    }
    let media = sniff(&bytes)
        .filter(|m| {
            m.kind == MediaKind::Image
                && matches!(m.content_type, "image/png" | "image/jpeg" | "image/webp")
        })
        .ok_or_else(|| {
            AppError::new(ErrorCode::UnsupportedFileType)
                .with_message(Localized::new(
                    "标志只接受 PNG、JPEG 或 WebP 图片。",
                    "The logo must be a PNG, JPEG or WebP image.",
                ))
                .with_details(serde_json::json!({ "field": "file", "allowed": ["image/png", "image/jpeg", "image/webp"] }))
        })?;
    if !is_whole(&bytes, media.content_type) {
        return Err(AppError::new(ErrorCode::FileNotWhole)
            .with_details(serde_json::json!({ "field": "file" })));
    }
    let sha = hex::encode(Sha256::digest(&bytes));
    let key = format!("agency/branding/logo-{}", &sha[..32]);
    state
        .store
        .put(&key, bytes, media.content_type)
        .await
        .map_err(AppError::internal)?;
    let change = Change {
        name: None,
        logo: Some(Some((key, media.content_type.to_owned(), sha))),
    };
    let (view, replaced) = apply(state, actor, meta, change).await?;
    remove_object(state, replaced).await;
    Ok(view)
}

/// Removes the logo.
pub async fn clear_logo(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
) -> AppResult<BrandingView> {
    let change = Change {
        name: None,
        logo: Some(None),
    };
    let (view, replaced) = apply(state, actor, meta, change).await?;
    remove_object(state, replaced).await;
    Ok(view)
}

async fn remove_object(state: &AppState, key: Option<String>) {
    if let Some(key) = key
        && let Err(e) = state.store.delete(&key).await
    {
        tracing::warn!(error = %e, key, "removing a replaced logo failed");
    }
}
