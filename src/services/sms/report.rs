//! What users read: a batch's progress, message records (numbers masked) and the monthly
//! statistics with the pack and the overage in fen.

use super::billing::millifen_to_fen;
use super::status;
use crate::domain::ids::TenantId;
use crate::domain::role::Role;
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::services::principals::CachedUser;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use entity::{plan_versions, sms_batches, sms_messages, sms_packs, sms_usage_monthly, tenants};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A batch and how far it got.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BatchView {
    /// Id.
    pub id: Uuid,
    /// `merchant` or `notice`.
    pub origin: String,
    /// The template used.
    pub template_id: Uuid,
    /// The text as sent (without the signature).
    pub text: String,
    /// Characters of one message, signature included.
    pub length: i32,
    /// Segments of one message.
    pub segments_each: i32,
    /// Numbers listed.
    pub requested: i32,
    /// Numbers accepted.
    pub accepted: i32,
    /// Messages by status (`queued`, `sending`, `submitted`, `delivered`, `undelivered`,
    /// `rejected`, `unknown`).
    pub statuses: BTreeMap<String, i64>,
    /// When it was accepted.
    pub created_at: DateTime<Utc>,
}

/// A batch of the tenant.
pub async fn batch(state: &AppState, tenant: TenantId, id: Uuid) -> AppResult<BatchView> {
    let b = sms_batches::Entity::find_by_id(id)
        .filter(sms_batches::Column::TenantId.eq(tenant.0))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let counts: Vec<(String, i64)> = sms_messages::Entity::find()
        .select_only()
        .column(sms_messages::Column::Status)
        .column_as(sms_messages::Column::Id.count(), "n")
        .filter(sms_messages::Column::BatchId.eq(id))
        .group_by(sms_messages::Column::Status)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(BatchView {
        id: b.id,
        origin: b.origin,
        template_id: b.template_id,
        text: b.text,
        length: b.units,
        segments_each: b.segments_each,
        requested: b.requested,
        accepted: b.accepted,
        statuses: counts.into_iter().collect(),
        created_at: b.created_at,
    })
}

/// Message-record filters.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MessageQuery {
    /// Only this batch.
    pub batch_id: Option<Uuid>,
    /// Only this status.
    #[param(pattern = "^(queued|sending|submitted|delivered|undelivered|rejected|unknown)$")]
    pub status: Option<String>,
    /// 1–500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    /// The previous page's `next_cursor`.
    pub cursor: Option<Uuid>,
}

/// One message record; the number is masked.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MessageView {
    /// Id.
    pub id: Uuid,
    /// Its batch.
    pub batch_id: Uuid,
    /// `138****1234`.
    pub phone: String,
    /// Status.
    pub status: String,
    /// Segments.
    pub segments: i32,
    /// Of which from the pack.
    pub pack_segments: i32,
    /// Of which overage.
    pub overage_segments: i32,
    /// The provider's code (`Ok` or why it was refused).
    pub code: Option<String>,
    /// The provider's or carrier's text.
    pub message: Option<String>,
    /// Carrier receipt code (`DELIVRD`, `UNDELIV`…).
    pub receipt_code: Option<String>,
    /// Accepted.
    pub created_at: DateTime<Utc>,
    /// Handed to the provider.
    pub submitted_at: Option<DateTime<Utc>>,
    /// Receipt arrived.
    pub receipt_at: Option<DateTime<Utc>>,
}

/// A page of message records, newest first.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MessagePage {
    /// Records.
    pub items: Vec<MessageView>,
    /// Pass as `cursor` for the next (older) page.
    pub next_cursor: Option<Uuid>,
}

const STATUSES: [&str; 7] = [
    status::QUEUED,
    status::SENDING,
    status::SUBMITTED,
    status::DELIVERED,
    status::UNDELIVERED,
    status::REJECTED,
    status::UNKNOWN,
];

/// The tenant's message records (the last 6 months).
pub async fn messages(
    state: &AppState,
    tenant: TenantId,
    q: MessageQuery,
) -> AppResult<MessagePage> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(AppError::invalid_field(
            "limit",
            Localized::new("须为 1–500", "must be 1–500"),
        ));
    }
    let mut find = sms_messages::Entity::find().filter(sms_messages::Column::TenantId.eq(tenant.0));
    if let Some(b) = q.batch_id {
        find = find.filter(sms_messages::Column::BatchId.eq(b));
    }
    if let Some(s) = &q.status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(AppError::invalid_field(
                "status",
                Localized::new(
                    format!("须为 {}", STATUSES.join("、")),
                    format!("must be one of {}", STATUSES.join(", ")),
                ),
            ));
        }
        find = find.filter(sms_messages::Column::Status.eq(s.clone()));
    }
    if let Some(c) = q.cursor {
        find = find.filter(sms_messages::Column::Id.lt(c));
    }
    let mut rows = find
        .order_by_desc(sms_messages::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|m| m.id)
    } else {
        None
    };
    Ok(MessagePage {
        items: rows
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                batch_id: m.batch_id,
                phone: m.phone_masked,
                status: m.status,
                segments: m.segments,
                pack_segments: m.pack_segments,
                overage_segments: m.overage_segments,
                code: m.code,
                message: m.message,
                receipt_code: m.receipt_code,
                created_at: m.created_at,
                submitted_at: m.submitted_at,
                receipt_at: m.receipt_at,
            })
            .collect(),
        next_cursor,
    })
}

/// Report range and scope.
#[derive(Clone, Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SmsReportQuery {
    /// First month, `YYYY-MM` (Asia/Shanghai).
    #[param(pattern = r"^2\d{3}-(0[1-9]|1[0-2])$", example = "2026-01")]
    pub from: String,
    /// Last month, `YYYY-MM`, at most 24 months after `from`.
    #[param(pattern = r"^2\d{3}-(0[1-9]|1[0-2])$", example = "2026-12")]
    pub to: String,
    /// Staff: only this tenant.
    pub tenant_id: Option<Uuid>,
}

/// One tenant-month.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SmsMonth {
    /// The tenant.
    pub tenant_id: Uuid,
    /// Its business name.
    pub business_name: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Merchant messages accepted for sending.
    pub sent: i64,
    /// Of which the carrier reported delivered.
    pub delivered: i64,
    /// Refused by the provider or reported undelivered.
    pub failed: i64,
    /// Segments (refused messages are not counted).
    pub segments: i64,
    /// Segments taken from the yearly pack.
    pub pack_used: i64,
    /// Segments billed beyond the pack.
    pub overage_segments: i64,
    /// Their price in milli-fen.
    pub overage_millifen: i64,
    /// The month's overage in fen: the milli-fen sum rounded once, half up.
    pub overage_fen: i64,
    /// System notices sent by SMS (the agency's cost, not the tenant's pack).
    pub notice_sent: i64,
    /// Their segments.
    pub notice_segments: i64,
}

/// A tenant's pack this year.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PackView {
    /// The tenant.
    pub tenant_id: Uuid,
    /// Natural year (Asia/Shanghai).
    pub year: i32,
    /// Segments per year from the plan.
    pub limit: i64,
    /// Used this year.
    pub used: i64,
    /// Left.
    pub remaining: i64,
    /// Whether segments beyond the pack are sent (and billed).
    pub overage_allowed: bool,
    /// Price per segment beyond it, milli-fen.
    pub overage_millifen: i64,
}

/// The SMS report.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SmsReport {
    /// Tenant-months with any SMS, by tenant then month.
    pub months: Vec<SmsMonth>,
    /// Each reported tenant's pack this year.
    pub packs: Vec<PackView>,
}

fn parse_month(field: &str, raw: &str) -> AppResult<(i32, u32)> {
    let bad = || {
        AppError::invalid_field(
            field,
            Localized::new("须为 YYYY-MM 格式的月份", "must be a month, YYYY-MM"),
        )
    };
    let (y, m) = raw.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if raw.len() != 7 || !(1..=12).contains(&m) || !(2000..=2999).contains(&y) {
        return Err(bad());
    }
    Ok((y, m))
}

/// The report: merchants see their tenant, account managers their assigned tenants,
/// agency admins every tenant (including deleted ones: statistics outlive them).
pub async fn report(
    state: &AppState,
    user: &CachedUser,
    q: SmsReportQuery,
) -> AppResult<SmsReport> {
    let from = parse_month("from", &q.from)?;
    let to = parse_month("to", &q.to)?;
    let span = (to.0 - from.0) * 12 + to.1 as i32 - from.1 as i32;
    if !(0..=24).contains(&span) {
        return Err(AppError::invalid_field(
            "to",
            Localized::new(
                "须在 from 之后且不超过 24 个月",
                "must be after `from`, at most 24 months later",
            ),
        ));
    }
    let mut find = sms_usage_monthly::Entity::find()
        .filter(sms_usage_monthly::Column::Month.gte(q.from.clone()))
        .filter(sms_usage_monthly::Column::Month.lte(q.to.clone()));
    let scope: Option<Vec<Uuid>> = match user.role {
        Role::MerchantAdmin | Role::MerchantEditor => {
            Some(user.tenant_id.map(|t| vec![t.0]).unwrap_or_default())
        }
        Role::AccountManager => Some(
            tenants::Entity::find()
                .select_only()
                .column(tenants::Column::Id)
                .filter(tenants::Column::AccountManagerId.eq(user.id.0))
                .into_tuple()
                .all(&state.db)
                .await?,
        ),
        Role::AgencyAdmin => None,
    };
    if let Some(ids) = &scope {
        find = find.filter(sms_usage_monthly::Column::TenantId.is_in(ids.clone()));
    }
    if let Some(t) = q.tenant_id {
        if scope.as_ref().is_some_and(|ids| !ids.contains(&t)) {
            return Err(AppError::new(ErrorCode::NotFound));
        }
        find = find.filter(sms_usage_monthly::Column::TenantId.eq(t));
    }
    let rows = find
        .order_by_asc(sms_usage_monthly::Column::TenantId)
        .order_by_asc(sms_usage_monthly::Column::Month)
        .all(&state.db)
        .await?;
    let mut tenant_ids: Vec<Uuid> = rows.iter().map(|r| r.tenant_id).collect();
    if let Some(t) = q.tenant_id {
        tenant_ids.push(t);
    } else if let Some(ids) = &scope
        && ids.len() == 1
    {
        tenant_ids.extend(ids);
    }
    tenant_ids.sort();
    tenant_ids.dedup();
    let tenant_rows: BTreeMap<Uuid, tenants::Model> = tenants::Entity::find()
        .filter(tenants::Column::Id.is_in(tenant_ids.clone()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    let year = super::shanghai_year(state.clock.now());
    let mut packs = Vec::new();
    for t in tenant_rows.values().filter(|t| t.status != "deleted") {
        let Some(version) = t.plan_version_id else {
            continue;
        };
        let Some(plan) = plan_versions::Entity::find_by_id(version)
            .one(&state.db)
            .await?
        else {
            continue;
        };
        let used = sms_packs::Entity::find_by_id((t.id, year))
            .one(&state.db)
            .await?
            .map_or(0, |p| p.used);
        packs.push(PackView {
            tenant_id: t.id,
            year,
            limit: plan.sms_segments_per_year,
            used,
            remaining: (plan.sms_segments_per_year - used).max(0),
            overage_allowed: plan.sms_overage_allowed,
            overage_millifen: plan.sms_overage_millifen,
        });
    }
    Ok(SmsReport {
        months: rows
            .into_iter()
            .map(|r| SmsMonth {
                business_name: tenant_rows
                    .get(&r.tenant_id)
                    .map(|t| t.business_name.clone())
                    .unwrap_or_default(),
                tenant_id: r.tenant_id,
                month: r.month,
                sent: r.sent,
                delivered: r.delivered,
                failed: r.failed,
                segments: r.segments,
                pack_used: r.pack_used,
                overage_segments: r.overage_segments,
                overage_fen: millifen_to_fen(r.overage_millifen),
                overage_millifen: r.overage_millifen,
                notice_sent: r.notice_sent,
                notice_segments: r.notice_segments,
            })
            .collect(),
        packs,
    })
}
