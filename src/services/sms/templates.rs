//! Provider SMS templates, managed by agency admins: each is approved at the provider and
//! registered here with its text (to count segments), its positional parameters (to
//! validate values) and its use — merchants' sends, or one notice kind's SMS form.

use crate::domain::notice::NoticeKind;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::sms::text::{self, ParamSpec};
use crate::state::AppState;
use chrono::{DateTime, Utc};
use entity::sms_templates;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `usage` of a template merchants send.
pub const MERCHANT_USE: &str = "merchant";

/// A template to register.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "订单发货通知", "provider_template_id": "1110", "text": "您的订单{1}已发货，快递单号{2}。", "params": [{"name": "order_no", "max_chars": 12}, {"name": "tracking_no", "max_chars": 12}], "usage": "merchant"}))]
pub struct TemplateInput {
    /// Shown to merchants, 1–64 characters.
    #[schema(example = "订单发货通知")]
    pub name: String,
    /// The provider's template id (digits).
    #[schema(example = "1110")]
    pub provider_template_id: String,
    /// The approved text with `{1}`, `{2}`… placeholders, exactly as approved.
    #[schema(example = "您的订单{1}已发货，快递单号{2}。")]
    pub text: String,
    /// One entry per placeholder, in order.
    pub params: Vec<ParamSpec>,
    /// `merchant`, or the notice kind whose SMS form this is (`renewal_reminder`, `frozen`…).
    #[schema(example = "merchant")]
    pub usage: String,
}

/// A registered template.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    /// Id (merchants send with it).
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// The provider's id.
    pub provider_template_id: String,
    /// Text with placeholders.
    pub text: String,
    /// Parameters.
    pub params: Vec<ParamSpec>,
    /// `merchant` or a notice kind.
    pub usage: String,
    /// Disabled templates cannot be sent.
    pub enabled: bool,
    /// Characters of `【signature】` + the text without its placeholders — the floor of
    /// every message's length.
    pub base_length: usize,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// The parameters of a stored template.
pub fn specs(row: &sms_templates::Model) -> Vec<ParamSpec> {
    serde_json::from_value(row.params.clone()).unwrap_or_default()
}

fn view(state: &AppState, row: sms_templates::Model) -> TemplateView {
    let params = specs(&row);
    let empty: Vec<String> = params.iter().map(|_| String::new()).collect();
    let sign = state
        .sms
        .as_ref()
        .map(|p| p.sign_name.as_str())
        .unwrap_or_default();
    TemplateView {
        base_length: text::length_units(sign, &text::render(&row.text, &empty)),
        id: row.id,
        name: row.name,
        provider_template_id: row.provider_template_id,
        text: row.text,
        params,
        usage: row.usage,
        enabled: row.enabled,
        created_at: row.created_at,
    }
}

fn invalid(
    field: &str,
    zh: impl Into<std::borrow::Cow<'static, str>>,
    en: impl Into<std::borrow::Cow<'static, str>>,
) -> AppError {
    AppError::invalid_field(field, Localized::new(zh, en))
}

fn check(input: &TemplateInput) -> AppResult<()> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(invalid(
            "name",
            "须为 1–64 个字符",
            "must be 1–64 characters",
        ));
    }
    let id = &input.provider_template_id;
    if id.is_empty() || id.len() > 32 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(
            "provider_template_id",
            "须为服务商的模板 ID（1–32 位数字）",
            "must be the provider's template id (1–32 digits)",
        ));
    }
    if input.text.trim().is_empty() || input.text.chars().count() > text::MAX_UNITS {
        return Err(invalid(
            "text",
            "须为 1–500 个字符",
            "must be 1–500 characters",
        ));
    }
    match text::placeholder_count(&input.text) {
        None => {
            return Err(invalid(
                "text",
                "占位符须从 {1} 起连续编号",
                "placeholders must be numbered {1}, {2}, … without gaps",
            ));
        }
        Some(n) if n != input.params.len() => {
            return Err(invalid(
                "params",
                format!("模板有 {n} 个占位符，须对应 {n} 个参数"),
                format!("the text has {n} placeholders: give exactly {n} parameters"),
            ));
        }
        Some(_) => {}
    }
    for (i, p) in input.params.iter().enumerate() {
        let name = p.name.trim();
        if name.is_empty() || name.chars().count() > 32 {
            return Err(invalid(
                &format!("params[{i}].name"),
                "须为 1–32 个字符",
                "must be 1–32 characters",
            ));
        }
        if !(1..=35).contains(&p.max_chars) {
            return Err(invalid(
                &format!("params[{i}].max_chars"),
                "须为 1–35",
                "must be 1–35",
            ));
        }
    }
    if input.usage != MERCHANT_USE {
        let kind: NoticeKind = input.usage.parse().map_err(|_| {
            invalid(
                "usage",
                "须为 merchant 或通知类型",
                "must be `merchant` or a notice kind",
            )
        })?;
        let Some(keys) = kind.sms_params() else {
            return Err(invalid(
                "usage",
                "该通知类型没有短信形式",
                "this notice kind has no SMS form",
            ));
        };
        if keys.len() != input.params.len() {
            return Err(invalid(
                "params",
                format!("该通知的短信参数依次为 {}", keys.join("、")),
                format!(
                    "this notice's SMS parameters are, in order: {}",
                    keys.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// Registers a template (agency admins). One enabled template per notice kind. Audited.
pub async fn create(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    input: TemplateInput,
) -> AppResult<TemplateView> {
    check(&input)?;
    let txn = crate::db::begin_write(&state.db).await?;
    if input.usage != MERCHANT_USE && enabled_for(&txn, &input.usage).await?.is_some() {
        return Err(
            AppError::new(ErrorCode::AlreadyExists).with_details(serde_json::json!({
                "field": "usage",
                "reason": "a notice kind has one enabled template: disable the current one first"
            })),
        );
    }
    let now = state.clock.now();
    let row = sms_templates::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(input.name.trim().to_owned()),
        provider_template_id: Set(input.provider_template_id.clone()),
        text: Set(input.text.clone()),
        params: Set(serde_json::to_value(&input.params).map_err(AppError::internal)?),
        usage: Set(input.usage.clone()),
        enabled: Set(true),
        created_by: Set(Some(actor.id.0)),
        created_at: Set(now),
        updated_at: Set(now),
    };
    let row = sms_templates::Entity::insert(row)
        .exec_with_returning(&txn)
        .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: "sms.template_created",
            subject_type: "sms_template",
            subject_id: Some(row.id.to_string()),
            summary: serde_json::json!({ "name": row.name, "provider_template_id": row.provider_template_id, "usage": row.usage }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(view(state, row))
}

/// The enabled template of `usage` (a notice kind), if any.
pub async fn enabled_for(
    conn: &impl ConnectionTrait,
    usage: &str,
) -> AppResult<Option<sms_templates::Model>> {
    Ok(sms_templates::Entity::find()
        .filter(sms_templates::Column::Usage.eq(usage))
        .filter(sms_templates::Column::Enabled.eq(true))
        .order_by_desc(sms_templates::Column::CreatedAt)
        .one(conn)
        .await?)
}

/// Templates: every one for staff, the enabled merchant ones for merchants.
pub async fn list(state: &AppState, staff: bool) -> AppResult<Vec<TemplateView>> {
    let mut find = sms_templates::Entity::find().order_by_asc(sms_templates::Column::CreatedAt);
    if !staff {
        find = find
            .filter(sms_templates::Column::Usage.eq(MERCHANT_USE))
            .filter(sms_templates::Column::Enabled.eq(true));
    }
    Ok(find
        .all(&state.db)
        .await?
        .into_iter()
        .map(|r| view(state, r))
        .collect())
}

/// Disables a template (sends already accepted keep their copy of it). Idempotent; audited
/// when it changes something.
pub async fn disable(
    state: &AppState,
    actor: &CachedUser,
    meta: &RequestMeta,
    id: Uuid,
) -> AppResult<()> {
    let txn = crate::db::begin_write(&state.db).await?;
    let row = sms_templates::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    if !row.enabled {
        return Ok(());
    }
    let now = state.clock.now();
    sms_templates::Entity::update(sms_templates::ActiveModel {
        id: Set(id),
        enabled: Set(false),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: None,
            action: "sms.template_disabled",
            subject_type: "sms_template",
            subject_id: Some(id.to_string()),
            summary: serde_json::json!({ "name": row.name, "usage": row.usage }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
