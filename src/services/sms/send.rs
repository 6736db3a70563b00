//! Accepting sends: a merchant's template SMS to one or many numbers (validated, charged
//! to the pack or overage, split into provider requests as jobs) and a notice's SMS form
//! (the agency's cost: never charged to, or blocked by, the tenant's pack).

use super::billing::{self, Charge, UsageDelta};
use super::dispatch::{SEND_ATTEMPTS, SEND_JOB};
use super::templates::{self, MERCHANT_USE};
use super::{SmsPlatform, masked, shanghai_month, shanghai_year, status};
use crate::domain::contact::MobilePhone;
use crate::domain::ids::TenantId;
use crate::domain::notice::NoticeKind;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::jobs::NewJob;
use crate::services::RequestMeta;
use crate::services::audit::{self, AuditRecord};
use crate::services::principals::CachedUser;
use crate::sms::text::{self, ParamFault, ParamRule};
use crate::state::AppState;
use entity::{notifications, sms_batches, sms_messages, sms_templates, tenants};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use uuid::Uuid;

/// Most numbers one send may list.
pub const MAX_NUMBERS: usize = 10_000;

/// A merchant's send.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInput {
    /// A merchant template's id (`GET /api/v1/sms/templates`).
    pub template_id: Uuid,
    /// Values of the template's parameters, in order.
    #[serde(default)]
    pub params: Vec<String>,
    /// 1–10,000 mainland mobile numbers (`+86` + 11 digits; `86…`, `0086…` or the bare 11
    /// digits are accepted too).
    #[schema(example = json!(["+8613800138000"]))]
    pub phone_numbers: Vec<String>,
}

/// A number that was skipped.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct InvalidNumber {
    /// Its position in `phone_numbers`.
    pub index: usize,
    /// What was sent (not a valid number, so nothing to mask).
    pub input: String,
    /// `invalid_phone` or `duplicate`.
    pub error: String,
    /// Why, in words.
    pub message: String,
}

/// A send accepted for delivery (202).
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct SendAccepted {
    /// The batch; follow it at `GET /api/v1/sms/batches/{id}`.
    pub batch_id: Uuid,
    /// Numbers listed.
    pub requested: usize,
    /// Numbers that will be sent.
    pub accepted: usize,
    /// Characters of one message: `【signature】` + text, in UTF-16 units.
    pub length: usize,
    /// Segments of one message.
    pub segments_each: i64,
    /// Segments of the whole send.
    pub total_segments: i64,
    /// Of which from the yearly pack.
    pub pack_segments: i64,
    /// Of which billed beyond it.
    pub overage_segments: i64,
    /// Their price in milli-fen (rounded to fen per month in the report).
    pub overage_millifen: i64,
    /// Provider requests it is split into.
    pub requests: usize,
    /// Numbers skipped, with the reason.
    pub invalid: Vec<InvalidNumber>,
}

/// What [`send`] did.
pub struct SendResult {
    /// The answer.
    pub accepted: SendAccepted,
    /// True when an earlier request with the same `Idempotency-Key` is answered again.
    pub replayed: bool,
}

fn param_error(fault: ParamFault) -> AppError {
    match fault {
        ParamFault::Count { expected } => AppError::invalid_field(
            "params",
            Localized::new(
                format!("该模板需要 {expected} 个参数"),
                format!("the template takes {expected} parameters"),
            ),
        ),
        ParamFault::Value { index, rule } => {
            let (zh, en) = match rule {
                ParamRule::Empty => ("不能为空".to_owned(), "must not be empty".to_owned()),
                ParamRule::TooLong(n) => (
                    format!("最多 {n} 个字符"),
                    format!("must be at most {n} characters"),
                ),
                ParamRule::NotDigits => ("只能是数字".to_owned(), "must be digits only".to_owned()),
                ParamRule::LineBreak => (
                    "不能换行".to_owned(),
                    "must not contain line breaks".to_owned(),
                ),
                ParamRule::Url => (
                    "不能包含链接".to_owned(),
                    "must not contain a link".to_owned(),
                ),
            };
            AppError::invalid_field(format!("params[{index}]"), Localized::new(zh, en))
        }
    }
}

/// The rendered text of a template with `values`, its length and segments; over 500
/// characters is 422 `sms_too_long`.
fn measure(
    platform: &SmsPlatform,
    template: &sms_templates::Model,
    values: &[String],
) -> AppResult<(String, usize, i64)> {
    let rendered = text::render(&template.text, values);
    let units = text::length_units(&platform.sign_name, &rendered);
    let segments = text::segments(units).ok_or_else(|| {
        AppError::new(ErrorCode::SmsTooLong)
            .with_message(Localized::new(
                format!("短信共 {units} 个字符（含签名），超过 {} 个字符的上限", text::MAX_UNITS),
                format!("The message is {units} characters long (signature included), over the {}-character limit", text::MAX_UNITS),
            ))
            .with_details(json!({ "field": "params", "length": units, "max": text::MAX_UNITS }))
    })?;
    Ok((rendered, units, segments))
}

fn request_hash(input: &SendInput) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(input).unwrap_or_default(),
    ))
}

/// Sends `input` for the merchant's tenant (merchant admins; the plan must include `sms`).
/// Invalid numbers are skipped and listed; the rest is charged and queued in one
/// transaction. With an `Idempotency-Key` a retried request answers the first result.
pub async fn send(
    state: &AppState,
    tenant: TenantId,
    actor: &CachedUser,
    meta: &RequestMeta,
    input: SendInput,
    idempotency_key: Option<String>,
) -> AppResult<SendResult> {
    let platform = state
        .sms
        .clone()
        .ok_or_else(|| AppError::new(ErrorCode::SmsNotConfigured))?;
    let plan = crate::services::assets::tenant_plan(&state.db, tenant).await?;
    let apps: Vec<String> = serde_json::from_value(plan.apps.clone()).unwrap_or_default();
    if !apps.iter().any(|a| a == "sms") {
        return Err(
            AppError::new(ErrorCode::FeatureNotInPlan).with_details(json!({ "app": "sms" }))
        );
    }
    let hash = request_hash(&input);
    if let Some(key) = &idempotency_key {
        if key.is_empty() || key.len() > 128 {
            return Err(AppError::invalid_field(
                "Idempotency-Key",
                Localized::new("须为 1–128 个字符", "must be 1–128 characters"),
            ));
        }
        if let Some(done) = replay(state, tenant, key, &hash).await? {
            return Ok(done);
        }
    }
    let template = sms_templates::Entity::find_by_id(input.template_id)
        .one(&state.db)
        .await?
        .filter(|t| t.enabled && t.usage == MERCHANT_USE)
        .ok_or_else(|| {
            AppError::invalid_field(
                "template_id",
                Localized::new("没有这个可用的短信模板", "no such enabled SMS template"),
            )
        })?;
    text::check_params(&templates::specs(&template), &input.params).map_err(param_error)?;
    let (rendered, units, segments_each) = measure(&platform, &template, &input.params)?;
    if input.phone_numbers.is_empty() || input.phone_numbers.len() > MAX_NUMBERS {
        return Err(AppError::invalid_field(
            "phone_numbers",
            Localized::new("须有 1–10000 个号码", "must list 1–10,000 numbers"),
        ));
    }
    let mut seen = HashSet::new();
    let mut phones = Vec::new();
    let mut invalid = Vec::new();
    for (index, raw) in input.phone_numbers.iter().enumerate() {
        let field = format!("phone_numbers[{index}]");
        match MobilePhone::parse(raw, &field) {
            Ok(p) if seen.insert(p.as_str().to_owned()) => phones.push(format!("+86{}", p.as_str())),
            Ok(_) => invalid.push(InvalidNumber {
                index,
                input: masked(raw),
                error: "duplicate".into(),
                message: "与前面的号码重复，只发一次 / listed before: sent once".into(),
            }),
            Err(_) => invalid.push(InvalidNumber {
                index,
                input: raw.chars().take(32).collect(),
                error: "invalid_phone".into(),
                message: "不是中国大陆手机号（+86 加 11 位）/ not a mainland mobile number (+86 and 11 digits)".into(),
            }),
        }
    }
    if phones.is_empty() {
        return Err(AppError::invalid_field(
            "phone_numbers",
            Localized::new("没有有效的号码", "lists no valid number"),
        )
        .with_details(json!({ "field": "phone_numbers", "invalid": invalid })));
    }
    let now = state.clock.now();
    let (year, month) = (shanghai_year(now), shanghai_month(now));
    let txn = crate::db::begin_write(&state.db).await?;
    let per_message = vec![segments_each; phones.len()];
    let charges = match billing::charge(&txn, tenant, &plan, year, &per_message, now).await? {
        Ok(c) => c,
        Err(e) => {
            return Err(crate::services::assets::quota_exceeded(
                "sms",
                e.used,
                e.limit,
                e.requested,
            ));
        }
    };
    let batch_id = Uuid::now_v7();
    let sum = |f: fn(&Charge) -> i64| charges.iter().map(f).sum::<i64>();
    let accepted = SendAccepted {
        batch_id,
        requested: input.phone_numbers.len(),
        accepted: phones.len(),
        length: units,
        segments_each,
        total_segments: segments_each * phones.len() as i64,
        pack_segments: sum(|c| c.pack),
        overage_segments: sum(|c| c.overage),
        overage_millifen: sum(|c| c.overage_millifen),
        requests: phones.len().div_ceil(platform.batch_size),
        invalid,
    };
    store_batch(
        &txn,
        state,
        NewBatch {
            id: batch_id,
            tenant,
            origin: "merchant",
            template: &template,
            params: &input.params,
            sign_name: &platform.sign_name,
            text: &rendered,
            units,
            segments_each,
            dedup_key: None,
            idempotency_key: idempotency_key.clone(),
            request_hash: Some(hash),
            requested: input.phone_numbers.len(),
            answer: serde_json::to_value(&accepted).map_err(AppError::internal)?,
            created_by: Some(actor.id.0),
            year,
            month: &month,
            batch_size: platform.batch_size,
        },
        &phones,
        &charges,
    )
    .await?;
    billing::add_usage(
        &txn,
        tenant,
        &month,
        UsageDelta {
            sent: phones.len() as i64,
            segments: accepted.total_segments,
            pack_used: accepted.pack_segments,
            overage_segments: accepted.overage_segments,
            overage_millifen: accepted.overage_millifen,
            ..Default::default()
        },
    )
    .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: actor.actor(),
            tenant_id: Some(tenant),
            action: "sms.batch_accepted",
            subject_type: "sms_batch",
            subject_id: Some(batch_id.to_string()),
            summary: json!({
                "template_id": template.id, "accepted": accepted.accepted, "invalid": accepted.invalid.len(),
                "segments": accepted.total_segments, "pack_segments": accepted.pack_segments,
                "overage_segments": accepted.overage_segments,
            }),
            request_id: meta.request_id.clone(),
        },
    )
    .await?;
    txn.commit().await?;
    tracing::info!(tenant.id = %tenant, batch.id = %batch_id, accepted = accepted.accepted, segments = accepted.total_segments, "SMS batch accepted");
    Ok(SendResult {
        accepted,
        replayed: false,
    })
}

async fn replay(
    state: &AppState,
    tenant: TenantId,
    key: &str,
    hash: &str,
) -> AppResult<Option<SendResult>> {
    let Some(batch) = sms_batches::Entity::find()
        .filter(sms_batches::Column::TenantId.eq(tenant.0))
        .filter(sms_batches::Column::IdempotencyKey.eq(key))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    if batch.request_hash.as_deref() != Some(hash) {
        return Err(AppError::new(ErrorCode::IdempotencyKeyReused));
    }
    Ok(Some(SendResult {
        accepted: serde_json::from_value(batch.answer).map_err(AppError::internal)?,
        replayed: true,
    }))
}

/// A batch to store.
struct NewBatch<'a> {
    id: Uuid,
    tenant: TenantId,
    origin: &'static str,
    template: &'a sms_templates::Model,
    params: &'a [String],
    sign_name: &'a str,
    text: &'a str,
    units: usize,
    segments_each: i64,
    dedup_key: Option<String>,
    idempotency_key: Option<String>,
    request_hash: Option<String>,
    requested: usize,
    answer: serde_json::Value,
    created_by: Option<Uuid>,
    year: i32,
    month: &'a str,
    batch_size: usize,
}

/// Stores the batch, one message per number and one send job per provider request.
async fn store_batch(
    conn: &impl ConnectionTrait,
    state: &AppState,
    b: NewBatch<'_>,
    phones: &[String],
    charges: &[Charge],
) -> AppResult<()> {
    let now = state.clock.now();
    let chunks = phones.len().div_ceil(b.batch_size);
    sms_batches::Entity::insert(sms_batches::ActiveModel {
        id: Set(b.id),
        tenant_id: Set(b.tenant.0),
        origin: Set(b.origin.into()),
        template_id: Set(b.template.id),
        provider_template_id: Set(b.template.provider_template_id.clone()),
        params: Set(json!(b.params)),
        sign_name: Set(b.sign_name.into()),
        text: Set(b.text.into()),
        units: Set(b.units as i32),
        segments_each: Set(b.segments_each as i32),
        dedup_key: Set(b.dedup_key),
        idempotency_key: Set(b.idempotency_key),
        request_hash: Set(b.request_hash),
        requested: Set(b.requested as i32),
        accepted: Set(phones.len() as i32),
        answer: Set(b.answer),
        chunks: Set(chunks as i32),
        created_by: Set(b.created_by),
        created_at: Set(now),
    })
    .exec_without_returning(conn)
    .await?;
    let rows: Vec<sms_messages::ActiveModel> = phones
        .iter()
        .zip(charges)
        .enumerate()
        .map(|(i, (phone, charge))| sms_messages::ActiveModel {
            id: Set(Uuid::now_v7()),
            batch_id: Set(b.id),
            tenant_id: Set(b.tenant.0),
            origin: Set(b.origin.into()),
            chunk: Set((i / b.batch_size) as i32),
            phone: Set(phone.clone()),
            phone_masked: Set(masked(phone)),
            status: Set(status::QUEUED.into()),
            segments: Set(b.segments_each as i32),
            pack_segments: Set(charge.pack as i32),
            overage_segments: Set(charge.overage as i32),
            overage_millifen: Set(charge.overage_millifen),
            pack_year: Set(b.year),
            month: Set(b.month.into()),
            serial_no: Set(None),
            fee: Set(None),
            code: Set(None),
            message: Set(None),
            request_id: Set(None),
            receipt_status: Set(None),
            receipt_code: Set(None),
            created_at: Set(now),
            submitted_at: Set(None),
            receipt_at: Set(None),
        })
        .collect();
    for part in rows.chunks(500) {
        sms_messages::Entity::insert_many(part.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    let jobs = (0..chunks)
        .map(|chunk| {
            NewJob::new(SEND_JOB, json!({ "batch_id": b.id, "chunk": chunk }))
                .dedup_key(format!("{SEND_JOB}:{}:{chunk}", b.id))
                .tenant(b.tenant)
                .max_attempts(SEND_ATTEMPTS)
        })
        .collect();
    state.jobs.enqueue_many(conn, jobs).await?;
    Ok(())
}

/// The values of a notice's SMS form from its data; the business name is cut to the
/// parameter's length (providers cap variables at 6–12 characters), other values must fit.
fn notice_values(
    kind: NoticeKind,
    data: &serde_json::Value,
    template: &sms_templates::Model,
) -> Option<Vec<String>> {
    let specs = templates::specs(template);
    let keys = kind.sms_params()?;
    let values: Vec<String> = keys
        .iter()
        .zip(&specs)
        .map(|(key, spec)| {
            let value = match &data[*key] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            };
            if *key == "business_name" {
                value.chars().take(spec.max_chars as usize).collect()
            } else {
                value
            }
        })
        .collect();
    text::check_params(&specs, &values).ok().map(|_| values)
}

/// Sends a notice's SMS form to its tenant's contact, once per notice, when its kind goes
/// by SMS (`sms.notice_kinds`) and a template is registered for it. Never charged to the
/// tenant's pack; counted as the agency's notices in the statistics.
pub async fn send_notice(state: &AppState, notice: &notifications::Model) -> AppResult<()> {
    if !state.settings.sms.notice_kinds.contains(&notice.kind) {
        return Ok(());
    }
    let (Some(platform), Some(tenant_id)) = (state.sms.clone(), notice.tenant_id) else {
        return Ok(());
    };
    let Ok(kind) = notice.kind.parse::<NoticeKind>() else {
        return Ok(());
    };
    let dedup_key = format!("notice:{}", notice.id);
    let exists = sms_batches::Entity::find()
        .filter(sms_batches::Column::DedupKey.eq(dedup_key.clone()))
        .one(&state.db)
        .await?;
    if exists.is_some() {
        return Ok(());
    }
    let Some(tenant) = tenants::Entity::find_by_id(tenant_id)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    let Some(phone) = tenant
        .contact_phone
        .as_deref()
        .and_then(|p| MobilePhone::parse(p, "contact_phone").ok())
    else {
        tracing::warn!(tenant.id = %tenant_id, kind = %notice.kind, "notice not sent by SMS: the tenant has no mobile contact");
        return Ok(());
    };
    let Some(template) = templates::enabled_for(&state.db, &notice.kind).await? else {
        tracing::warn!(kind = %notice.kind, "notice not sent by SMS: no SMS template is registered for this kind");
        return Ok(());
    };
    let Some(values) = notice_values(kind, &notice.data, &template) else {
        tracing::warn!(kind = %notice.kind, notification.id = %notice.id, "notice not sent by SMS: its values do not fit the template's parameters");
        return Ok(());
    };
    let Ok((rendered, units, segments)) = measure(&platform, &template, &values) else {
        tracing::warn!(kind = %notice.kind, "notice not sent by SMS: over 500 characters");
        return Ok(());
    };
    let now = state.clock.now();
    let (year, month) = (shanghai_year(now), shanghai_month(now));
    let tenant_id = TenantId(tenant_id);
    let txn = crate::db::begin_write(&state.db).await?;
    let batch_id = Uuid::now_v7();
    store_batch(
        &txn,
        state,
        NewBatch {
            id: batch_id,
            tenant: tenant_id,
            origin: "notice",
            template: &template,
            params: &values,
            sign_name: &platform.sign_name,
            text: &rendered,
            units,
            segments_each: segments,
            dedup_key: Some(dedup_key),
            idempotency_key: None,
            request_hash: None,
            requested: 1,
            answer: json!({ "notification_id": notice.id }),
            created_by: None,
            year,
            month: &month,
            batch_size: platform.batch_size,
        },
        &[format!("+86{}", phone.as_str())],
        &[Charge::default()],
    )
    .await?;
    billing::add_usage(
        &txn,
        tenant_id,
        &month,
        UsageDelta {
            notice_sent: 1,
            notice_segments: segments,
            ..Default::default()
        },
    )
    .await?;
    audit::record(
        &txn,
        now,
        AuditRecord {
            actor: audit::Actor::system(),
            tenant_id: Some(tenant_id),
            action: "sms.notice_queued",
            subject_type: "sms_batch",
            subject_id: Some(batch_id.to_string()),
            summary: json!({ "notification_id": notice.id, "kind": notice.kind, "to": masked(phone.as_str()), "segments": segments }),
            request_id: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
