//! The yearly pack, overage and monthly statistics. A tenant's pack is the plan's segments
//! per natural year (Asia/Shanghai), whole whatever the start date, reset at 00:00 on
//! 1 January; segments beyond it cost the plan's overage price in milli-fen, and a month's
//! overage rounds to fen once, half up.

use crate::domain::ids::TenantId;
use crate::error::AppResult;
use entity::{plan_versions, sms_packs};
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect, Statement};

/// How one message's segments are paid for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Charge {
    /// Segments taken from the pack.
    pub pack: i64,
    /// Segments billed beyond it.
    pub overage: i64,
    /// Their price, in milli-fen.
    pub overage_millifen: i64,
}

/// The pack could not cover a send and the plan allows no overage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PackExhausted {
    /// Segments used this year.
    pub used: i64,
    /// The pack.
    pub limit: i64,
    /// Segments the send needs.
    pub requested: i64,
}

/// Splits `segments` per message between the pack and overage, taking the pack row's lock
/// (`FOR UPDATE` on PostgreSQL; SQLite's write transaction already serializes), so
/// concurrent sends never take the same segment twice. Call inside the send's transaction.
pub async fn charge(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    plan: &plan_versions::Model,
    year: i32,
    per_message: &[i64],
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Result<Vec<Charge>, PackExhausted>> {
    let backend = conn.get_database_backend();
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        "INSERT INTO sms_packs (tenant_id, year, used, updated_at) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (tenant_id, year) DO NOTHING",
        [tenant.0.into(), year.into(), now.into()],
    ))
    .await?;
    let pack = sms_packs::Entity::find_by_id((tenant.0, year))
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("pack row vanished")))?;
    let limit = plan.sms_segments_per_year.max(0);
    let requested: i64 = per_message.iter().sum();
    let mut left = (limit - pack.used).max(0);
    if requested > left && !plan.sms_overage_allowed {
        return Ok(Err(PackExhausted {
            used: pack.used,
            limit,
            requested,
        }));
    }
    let mut charges = Vec::with_capacity(per_message.len());
    let mut taken = 0;
    for &segments in per_message {
        let from_pack = segments.min(left);
        left -= from_pack;
        taken += from_pack;
        let overage = segments - from_pack;
        charges.push(Charge {
            pack: from_pack,
            overage,
            overage_millifen: overage * plan.sms_overage_millifen,
        });
    }
    if taken > 0 {
        add_pack_used(conn, tenant, year, taken, now).await?;
    }
    Ok(Ok(charges))
}

/// Moves a pack's use by `delta` segments (negative for a refund).
pub async fn add_pack_used(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    year: i32,
    delta: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "UPDATE sms_packs SET used = used + $1, updated_at = $2 WHERE tenant_id = $3 AND year = $4",
        [delta.into(), now.into(), tenant.0.into(), year.into()],
    ))
    .await?;
    Ok(())
}

/// Changes to one tenant-month of statistics.
#[derive(Clone, Copy, Debug, Default)]
pub struct UsageDelta {
    /// Merchant messages accepted for sending.
    pub sent: i64,
    /// Receipts that reported delivery.
    pub delivered: i64,
    /// Messages refused by the provider or reported undelivered.
    pub failed: i64,
    /// Segments of merchant messages.
    pub segments: i64,
    /// Of which from the pack.
    pub pack_used: i64,
    /// Of which beyond it.
    pub overage_segments: i64,
    /// Their price in milli-fen.
    pub overage_millifen: i64,
    /// System notices sent by SMS (the agency's cost).
    pub notice_sent: i64,
    /// Their segments.
    pub notice_segments: i64,
}

/// Adds `d` to the tenant's statistics of `month` (`YYYY-MM`).
pub async fn add_usage(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    month: &str,
    d: UsageDelta,
) -> AppResult<()> {
    conn.execute_raw(Statement::from_sql_and_values(
        conn.get_database_backend(),
        "INSERT INTO sms_usage_monthly (tenant_id, month, sent, delivered, failed, segments, pack_used, \
           overage_segments, overage_millifen, notice_sent, notice_segments) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (tenant_id, month) DO UPDATE SET \
           sent = sms_usage_monthly.sent + excluded.sent, \
           delivered = sms_usage_monthly.delivered + excluded.delivered, \
           failed = sms_usage_monthly.failed + excluded.failed, \
           segments = sms_usage_monthly.segments + excluded.segments, \
           pack_used = sms_usage_monthly.pack_used + excluded.pack_used, \
           overage_segments = sms_usage_monthly.overage_segments + excluded.overage_segments, \
           overage_millifen = sms_usage_monthly.overage_millifen + excluded.overage_millifen, \
           notice_sent = sms_usage_monthly.notice_sent + excluded.notice_sent, \
           notice_segments = sms_usage_monthly.notice_segments + excluded.notice_segments",
        [
            tenant.0.into(),
            month.into(),
            d.sent.into(),
            d.delivered.into(),
            d.failed.into(),
            d.segments.into(),
            d.pack_used.into(),
            d.overage_segments.into(),
            d.overage_millifen.into(),
            d.notice_sent.into(),
            d.notice_segments.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// A month's overage in fen: the milli-fen sum rounded once, half up.
pub fn millifen_to_fen(millifen: i64) -> i64 {
    (millifen + 500).div_euclid(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_months_overage_rounds_once_half_up() {
        assert_eq!(millifen_to_fen(3800), 4); // one segment at ¥0.038: 3.8 fen
        assert_eq!(millifen_to_fen(3800 * 13), 49); // 49.4 fen
        assert_eq!(millifen_to_fen(3500), 4); // 3.5 fen: half up
        assert_eq!(millifen_to_fen(3499), 3);
        assert_eq!(millifen_to_fen(0), 0);
        // Rounding each segment would bill 13 × 4 = 52 fen; once per month it is 49.
        assert_ne!((0..13).map(|_| millifen_to_fen(3800)).sum::<i64>(), 49);
    }
}
