//! SMS as the product sells it: agency-managed templates, merchants' template SMS billed
//! against a yearly pack and overage, system notices by SMS at the agency's cost, delivery
//! receipts, monthly statistics and 6-month retention of message records.

pub mod billing;
pub mod dispatch;
pub mod receipts;
pub mod report;
pub mod send;
pub mod templates;

use crate::config::{Secrets, Settings};
use crate::domain::notice::NoticeKind;
use crate::sms::{SmsProvider, TencentConfig, TencentSms};
use chrono::{DateTime, Datelike, Utc};
use std::sync::Arc;

/// The configured provider and the agency's signature.
pub struct SmsPlatform {
    /// Who sends.
    pub provider: Arc<dyn SmsProvider>,
    /// The approved signature text, without 【】.
    pub sign_name: String,
    /// Numbers per provider request.
    pub batch_size: usize,
    /// The path token of the receipt callback (`/sms/receipts/{token}`), when set.
    pub receipt_token: Option<String>,
}

impl SmsPlatform {
    /// The platform from settings and secrets, or `None` when SMS is not configured.
    pub fn from_config(settings: &Settings, secrets: &Secrets) -> anyhow::Result<Option<Self>> {
        let sms = &settings.sms;
        for kind in &sms.notice_kinds {
            let parsed: NoticeKind = kind
                .parse()
                .map_err(|_| anyhow::anyhow!("sms.notice_kinds: unknown notice kind `{kind}`"))?;
            if parsed.sms_params().is_none() {
                anyhow::bail!("sms.notice_kinds: `{kind}` has no SMS form");
            }
        }
        if sms.batch_size == 0 || sms.batch_size > crate::sms::MAX_NUMBERS_PER_REQUEST {
            anyhow::bail!("sms.batch_size must be 1–200");
        }
        let (Some(app), Some(id), Some(sign), Some(key)) = (
            sms.sdk_app_id.clone().filter(|s| !s.is_empty()),
            sms.secret_id.clone().filter(|s| !s.is_empty()),
            sms.sign_name.clone().filter(|s| !s.is_empty()),
            secrets.sms.secret_key.clone(),
        ) else {
            return Ok(None);
        };
        let provider = TencentSms::new(TencentConfig {
            base_url: sms.base_url.clone(),
            region: sms.region.clone(),
            sdk_app_id: app,
            secret_id: id,
            secret_key: key,
            timeout: std::time::Duration::from_secs(sms.request_timeout_secs.max(1)),
        })?;
        Ok(Some(Self {
            provider: Arc::new(provider),
            sign_name: sign,
            batch_size: sms.batch_size,
            receipt_token: secrets.sms.receipt_token.clone(),
        }))
    }
}

/// `YYYY-MM` of `at` in Asia/Shanghai: the statistics month.
pub fn shanghai_month(at: DateTime<Utc>) -> String {
    let d = crate::domain::time::shanghai_date(at);
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The natural year (Asia/Shanghai) a pack segment is counted in.
pub fn shanghai_year(at: DateTime<Utc>) -> i32 {
    crate::domain::time::shanghai_date(at).year()
}

/// `138****1234` of an E.164 or 11-digit mainland number.
pub fn masked(phone: &str) -> String {
    crate::services::audit::mask_phone(phone.trim_start_matches("+86"))
}

/// Message statuses.
pub mod status {
    /// Accepted, waiting for its provider request.
    pub const QUEUED: &str = "queued";
    /// Its provider request is in flight.
    pub const SENDING: &str = "sending";
    /// The provider accepted it; waiting for the receipt.
    pub const SUBMITTED: &str = "submitted";
    /// The handset received it.
    pub const DELIVERED: &str = "delivered";
    /// The carrier reported it undelivered.
    pub const UNDELIVERED: &str = "undelivered";
    /// The provider refused it (nothing billed).
    pub const REJECTED: &str = "rejected";
    /// The provider's answer was lost: it may or may not have been sent; never retried.
    pub const UNKNOWN: &str = "unknown";
}

/// Deletes message records (batches, messages, receipts) older than
/// `sms.retention_months`; the monthly statistics stay.
pub struct SmsRetentionSweep;

impl crate::scheduler::Sweep for SmsRetentionSweep {
    fn name(&self) -> &'static str {
        "sms_retention"
    }

    fn run<'a>(
        &'a self,
        state: &'a crate::state::AppState,
        now: DateTime<Utc>,
    ) -> crate::jobs::BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            use entity::{sms_batches, sms_messages, sms_receipts};
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            let months = chrono::Months::new(state.settings.sms.retention_months.max(1));
            let Some(cutoff) = now.checked_sub_months(months) else {
                return Ok(());
            };
            let messages = sms_messages::Entity::delete_many()
                .filter(sms_messages::Column::CreatedAt.lt(cutoff))
                .exec(&state.db)
                .await?
                .rows_affected;
            sms_batches::Entity::delete_many()
                .filter(sms_batches::Column::CreatedAt.lt(cutoff))
                .exec(&state.db)
                .await?;
            sms_receipts::Entity::delete_many()
                .filter(sms_receipts::Column::ReceivedAt.lt(cutoff))
                .exec(&state.db)
                .await?;
            if messages > 0 {
                tracing::info!(messages, %cutoff, "SMS records past retention deleted");
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn months_and_years_follow_shanghai() {
        // 2026-12-31 16:00 UTC is 2027-01-01 00:00 in Shanghai.
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap();
        assert_eq!(shanghai_year(at), 2027);
        assert_eq!(shanghai_month(at), "2027-01");
        let before = at - chrono::Duration::seconds(1);
        assert_eq!(shanghai_year(before), 2026);
        assert_eq!(shanghai_month(before), "2026-12");
        assert_eq!(masked("+8613812341234"), "138****1234");
    }
}
