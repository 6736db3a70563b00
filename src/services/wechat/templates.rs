//! The agency's code templates (PROTOCOL.md §3.6): which template of the platform's
//! library deploys commit. Setting one checks it against WeChat's library.

use super::tokens::with_component_token;
use super::{WxFailure, platform};
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use crate::wechat::client::TokenParam;
use chrono::{DateTime, Utc};
use entity::code_templates;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

/// The template deploys commit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CurrentTemplate {
    /// WeChat's template id.
    pub template_id: i64,
    /// Its version.
    pub user_version: String,
    /// Its description.
    pub user_desc: String,
    /// The component types its package renders: a page using another type shows nothing
    /// for it on phones running this version.
    pub supported_types: Vec<String>,
    /// When it became current.
    pub since: DateTime<Utc>,
}

/// The current template and WeChat's library.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Templates {
    /// The current one, if set.
    pub current: Option<CurrentTemplate>,
    /// `gettemplatelist` as WeChat answers it.
    #[schema(value_type = Vec<Object>)]
    pub library: Vec<Value>,
}

/// Input of `PUT /api/v1/platform/template`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"template_id": 1}))]
pub struct SetTemplate {
    /// A template id of the platform's library.
    pub template_id: i64,
    /// The component types the template's package renders (its `supported-types.json`);
    /// default: the manifest of the mini-program this service ships (`miniprogram/`).
    #[serde(default)]
    pub supported_types: Option<Vec<String>>,
}

/// The component types the shipped mini-program renders.
pub fn shipped_manifest() -> Vec<String> {
    serde_json::from_str(include_str!("../../../miniprogram/supported-types.json"))
        .expect("miniprogram/supported-types.json is a list of strings")
}

fn manifest_types(row: &code_templates::Model) -> Vec<String> {
    row.supported_types
        .as_ref()
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

async fn library(state: &AppState) -> AppResult<Vec<Value>> {
    let wx = platform(state)?;
    let answer = with_component_token(state, &wx, |token| {
        let wx = wx.clone();
        async move {
            wx.client
                .get("/wxa/gettemplatelist", TokenParam::Component(&token), &[])
                .await
        }
    })
    .await
    .map_err(|f: WxFailure| AppError::from(f))?;
    Ok(answer["template_list"]
        .as_array()
        .cloned()
        .unwrap_or_default())
}

fn current_view(row: code_templates::Model) -> CurrentTemplate {
    let supported_types = manifest_types(&row);
    CurrentTemplate {
        template_id: row.template_id,
        user_version: row.user_version,
        supported_types,
        user_desc: row.user_desc,
        since: row.created_at,
    }
}

/// The current template and the library.
pub async fn list(state: &AppState) -> AppResult<Templates> {
    let library = library(state).await?;
    let current = super::deploy::current_template(&state.db)
        .await?
        .map(current_view);
    Ok(Templates { current, library })
}

/// Makes `template_id` current (it must be in WeChat's library).
pub async fn set_current(
    state: &AppState,
    user: &CachedUser,
    meta: &RequestMeta,
    input: SetTemplate,
) -> AppResult<CurrentTemplate> {
    let found = library(state)
        .await?
        .into_iter()
        .find(|t| t["template_id"].as_i64() == Some(input.template_id))
        .ok_or_else(|| {
            AppError::invalid_field(
                "template_id",
                Localized::new(
                    "不在平台的模板库中",
                    "is not in the platform's template library",
                ),
            )
        })?;
    // A standard template (type 1) takes only extAppid, ext and window in its ext.json
    // (9402203); ours also sets extEnable and directCommit, so deploys could not commit it.
    if found["template_type"].as_i64().unwrap_or(0) != 0 {
        return Err(AppError::invalid_field(
            "template_id",
            Localized::new(
                "是标准模板，部署无法提交；请选择普通模板（template_type 0）",
                "is a standard template, which deploys cannot commit; choose a normal template (template_type 0)",
            ),
        ));
    }
    let supported_types = input.supported_types.unwrap_or_else(shipped_manifest);
    for (i, ty) in supported_types.iter().enumerate() {
        if !state.catalog.specs().contains_key(ty) {
            return Err(AppError::invalid_field(
                format!("supported_types[{i}]"),
                Localized::new(
                    "不是组件库中的类型",
                    "is not a component type of the catalogue",
                ),
            ));
        }
    }
    let user_version = found["user_version"].as_str().unwrap_or("").to_owned();
    if user_version.is_empty() {
        return Err(AppError::new(ErrorCode::WechatCallFailed)
            .with_details(json!({ "errmsg": "template without user_version" })));
    }
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await?;
    code_templates::Entity::update_many()
        .col_expr(code_templates::Column::IsCurrent, Expr::value(false))
        .filter(code_templates::Column::IsCurrent.eq(true))
        .exec(&txn)
        .await?;
    let row = code_templates::Model {
        id: Uuid::now_v7(),
        template_id: input.template_id,
        user_version,
        user_desc: found["user_desc"].as_str().unwrap_or("").to_owned(),
        is_current: true,
        supported_types: Some(json!(supported_types)),
        created_by: Some(user.id.0),
        created_at: now,
    };
    code_templates::Entity::insert(code_templates::ActiveModel {
        id: Set(row.id),
        ..code_templates::ActiveModel::from(row.clone())
    })
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: user.actor(),
            tenant_id: None,
            action: "platform.template_set",
            subject_type: "code_template",
            subject_id: Some(input.template_id.to_string()),
            summary: json!({ "template_id": input.template_id, "user_version": row.user_version }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(current_view(row))
}
