//! Delivery receipts. Every receipt is stored first under its `sid` (so a push the
//! provider repeats is applied once) and then applied to its message; one that arrives
//! before the send job stored the serial numbers is applied by that job.

use super::billing::{self, UsageDelta};
use super::status;
use crate::domain::ids::TenantId;
use crate::error::AppResult;
use crate::sms::Receipt;
use crate::state::AppState;
use entity::{sms_messages, sms_receipts};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

/// What one push did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Intake {
    /// Receipts seen for the first time.
    pub new: usize,
    /// Receipts seen before (ignored).
    pub duplicate: usize,
}

/// Stores and applies a push of receipts.
pub async fn take(state: &AppState, receipts: Vec<Receipt>) -> AppResult<Intake> {
    let mut intake = Intake::default();
    for receipt in receipts {
        if receipt.sid.is_empty() || receipt.sid.len() > 64 {
            continue;
        }
        let inserted = sms_receipts::Entity::insert(sms_receipts::ActiveModel {
            sid: Set(receipt.sid.clone()),
            tenant_id: Set(None),
            payload: Set(serde_json::to_value(&receipt).unwrap_or_default()),
            received_at: Set(state.clock.now()),
            applied_at: Set(None),
        })
        .on_conflict(
            OnConflict::column(sms_receipts::Column::Sid)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?;
        if inserted == 0 {
            intake.duplicate += 1;
            continue;
        }
        intake.new += 1;
        apply(state, &receipt).await?;
    }
    Ok(intake)
}

/// Applies the stored, unapplied receipts of `serials`.
pub async fn apply_pending(state: &AppState, serials: &[String]) -> AppResult<()> {
    for part in serials.chunks(500) {
        let pending = sms_receipts::Entity::find()
            .filter(sms_receipts::Column::Sid.is_in(part.to_vec()))
            .filter(sms_receipts::Column::AppliedAt.is_null())
            .all(&state.db)
            .await?;
        for row in pending {
            if let Ok(receipt) = serde_json::from_value::<Receipt>(row.payload) {
                apply(state, &receipt).await?;
            }
        }
    }
    Ok(())
}

/// Moves the message of `receipt.sid` from submitted to delivered or undelivered, once.
async fn apply(state: &AppState, receipt: &Receipt) -> AppResult<()> {
    let txn = crate::db::begin_write(&state.db).await?;
    let Some(message) = sms_messages::Entity::find()
        .filter(sms_messages::Column::SerialNo.eq(receipt.sid.clone()))
        .one(&txn)
        .await?
    else {
        return Ok(()); // not recorded yet: the send job applies it
    };
    let now = state.clock.now();
    let delivered = receipt.delivered();
    let changed = sms_messages::Entity::update_many()
        .col_expr(
            sms_messages::Column::Status,
            Expr::value(if delivered {
                status::DELIVERED
            } else {
                status::UNDELIVERED
            }),
        )
        .col_expr(
            sms_messages::Column::ReceiptStatus,
            Expr::value(receipt.report_status.clone()),
        )
        .col_expr(
            sms_messages::Column::ReceiptCode,
            Expr::value(receipt.errmsg.chars().take(32).collect::<String>()),
        )
        .col_expr(sms_messages::Column::ReceiptAt, Expr::value(now))
        .filter(sms_messages::Column::Id.eq(message.id))
        .filter(sms_messages::Column::Status.eq(status::SUBMITTED))
        .exec(&txn)
        .await?
        .rows_affected;
    if changed == 1 && message.origin == "merchant" {
        billing::add_usage(
            &txn,
            TenantId(message.tenant_id),
            &message.month,
            UsageDelta {
                delivered: i64::from(delivered),
                failed: i64::from(!delivered),
                ..Default::default()
            },
        )
        .await?;
    }
    sms_receipts::Entity::update_many()
        .col_expr(sms_receipts::Column::AppliedAt, Expr::value(now))
        .col_expr(
            sms_receipts::Column::TenantId,
            Expr::value(message.tenant_id),
        )
        .filter(sms_receipts::Column::Sid.eq(receipt.sid.clone()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}
