//! The `sms.send` job: one provider request for one chunk of a batch. Each number's answer
//! is recorded; a number the provider refused gives its segments back to the pack (or
//! takes them off the overage). A request whose answer was lost is never repeated — its
//! numbers end `unknown` — because sending twice costs the merchant and annoys the
//! recipient more than one unknown outcome costs the operator.

use super::billing::{self, UsageDelta};
use super::receipts;
use super::status;
use crate::domain::ids::TenantId;
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler};
use crate::services::audit::{self, AuditRecord};
use crate::sms::{ProviderError, SendOutcome, SendRequest};
use crate::state::AppState;
use entity::{sms_batches, sms_messages};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use std::collections::HashMap;

/// Job kind of one provider request.
pub const SEND_JOB: &str = "sms.send";
/// Attempts of a request that keeps failing with a retryable error.
pub const SEND_ATTEMPTS: i32 = 5;

/// Runs [`SEND_JOB`].
pub struct SendSmsHandler;

impl JobHandler for SendSmsHandler {
    fn kind(&self) -> &'static str {
        SEND_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let batch_id = job.payload_uuid("batch_id")?;
            let chunk = job.payload["chunk"]
                .as_i64()
                .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("payload without `chunk`")))?
                as i32;
            let Some(batch) = sms_batches::Entity::find_by_id(batch_id)
                .one(&state.db)
                .await
                .map_err(retry)?
            else {
                return Ok(()); // purged meanwhile
            };
            send_chunk(state, &batch, chunk, job.attempt).await
        })
    }
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::Retry(anyhow::anyhow!("{e}"))
}

async fn messages_in(
    conn: &impl ConnectionTrait,
    batch: &sms_batches::Model,
    chunk: i32,
    status: &str,
) -> Result<Vec<sms_messages::Model>, JobError> {
    sms_messages::Entity::find()
        .filter(sms_messages::Column::BatchId.eq(batch.id))
        .filter(sms_messages::Column::Chunk.eq(chunk))
        .filter(sms_messages::Column::Status.eq(status))
        .order_by_asc(sms_messages::Column::Id)
        .all(conn)
        .await
        .map_err(retry)
}

async fn set_status(
    conn: &impl ConnectionTrait,
    ids: &[uuid::Uuid],
    from: &str,
    to: &str,
    code: Option<&str>,
    message: Option<&str>,
) -> Result<(), JobError> {
    let mut update = sms_messages::Entity::update_many()
        .col_expr(sms_messages::Column::Status, Expr::value(to))
        .filter(sms_messages::Column::Id.is_in(ids.to_vec()))
        .filter(sms_messages::Column::Status.eq(from));
    if let Some(code) = code {
        update = update.col_expr(sms_messages::Column::Code, Expr::value(code));
    }
    if let Some(message) = message {
        update = update.col_expr(sms_messages::Column::Message, Expr::value(message));
    }
    update.exec(conn).await.map_err(retry)?;
    Ok(())
}

async fn send_chunk(
    state: &AppState,
    batch: &sms_batches::Model,
    chunk: i32,
    attempt: i32,
) -> Result<(), JobError> {
    // An earlier attempt died while its request was in flight: the provider may have sent
    // those messages. They are never sent again.
    let in_flight = messages_in(&state.db, batch, chunk, status::SENDING).await?;
    if !in_flight.is_empty() {
        let ids: Vec<_> = in_flight.iter().map(|m| m.id).collect();
        set_status(
            &state.db,
            &ids,
            status::SENDING,
            status::UNKNOWN,
            Some("unknown_outcome"),
            Some("the request was interrupted; it may have been sent"),
        )
        .await?;
    }
    let queued = messages_in(&state.db, batch, chunk, status::QUEUED).await?;
    if queued.is_empty() {
        // Already sent: an earlier attempt may have stopped before applying the receipts
        // that came in first.
        let serials: Vec<String> = messages_in(&state.db, batch, chunk, status::SUBMITTED)
            .await?
            .into_iter()
            .filter_map(|m| m.serial_no)
            .collect();
        return receipts::apply_pending(state, &serials)
            .await
            .map_err(retry);
    }
    let ids: Vec<_> = queued.iter().map(|m| m.id).collect();
    let Some(platform) = state.sms.clone() else {
        reject(
            state,
            batch,
            &queued,
            "not_configured",
            "SMS is not configured",
        )
        .await?;
        return Ok(());
    };
    set_status(&state.db, &ids, status::QUEUED, status::SENDING, None, None).await?;
    let request = SendRequest {
        phones: queued.iter().map(|m| m.phone.clone()).collect(),
        template_id: batch.provider_template_id.clone(),
        sign_name: batch.sign_name.clone(),
        params: serde_json::from_value(batch.params.clone()).unwrap_or_default(),
        session_context: format!("{}:{chunk}", batch.id),
    };
    match platform.provider.send(&request).await {
        Ok(outcome) => record(state, batch, &queued, outcome).await,
        Err(e) if e.is_retryable() && attempt < SEND_ATTEMPTS => {
            set_status(&state.db, &ids, status::SENDING, status::QUEUED, None, None).await?;
            Err(JobError::Retry(anyhow::anyhow!("{e}")))
        }
        Err(ProviderError::Unknown(detail)) => {
            set_status(
                &state.db,
                &ids,
                status::SENDING,
                status::UNKNOWN,
                Some("unknown_outcome"),
                Some(&detail),
            )
            .await?;
            audit_failure(
                state,
                batch,
                chunk,
                "unknown_outcome",
                &detail,
                queued.len(),
            )
            .await
        }
        Err(e) => {
            // Refused as a whole (or retries exhausted): nothing was sent, nothing billed.
            let sending: Vec<_> = queued
                .into_iter()
                .map(|m| sms_messages::Model {
                    status: status::SENDING.into(),
                    ..m
                })
                .collect();
            reject(state, batch, &sending, e.code(), &e.to_string()).await?;
            audit_failure(state, batch, chunk, e.code(), &e.to_string(), sending.len()).await
        }
    }
}

async fn audit_failure(
    state: &AppState,
    batch: &sms_batches::Model,
    chunk: i32,
    code: &str,
    detail: &str,
    numbers: usize,
) -> Result<(), JobError> {
    tracing::error!(tenant.id = %batch.tenant_id, batch.id = %batch.id, chunk, code, "SMS provider request failed");
    audit::record(
        &state.db,
        state.clock.now(),
        AuditRecord {
            actor: audit::Actor::system(),
            tenant_id: Some(TenantId(batch.tenant_id)),
            action: "sms.request_failed",
            subject_type: "sms_batch",
            subject_id: Some(batch.id.to_string()),
            summary: json!({ "chunk": chunk, "code": code, "error": detail, "numbers": numbers }),
            request_id: None,
        },
    )
    .await
    .map_err(retry)?;
    Ok(())
}

/// Marks `messages` (currently queued or sending) rejected and gives back what they were
/// charged.
async fn reject(
    state: &AppState,
    batch: &sms_batches::Model,
    messages: &[sms_messages::Model],
    code: &str,
    text: &str,
) -> Result<(), JobError> {
    let txn = crate::db::begin_write(&state.db).await.map_err(retry)?;
    for m in messages {
        reject_one(state, &txn, batch, m, code, text, None).await?;
    }
    txn.commit().await.map_err(retry)?;
    Ok(())
}

/// Marks one queued or sending message rejected and refunds it, once.
async fn reject_one(
    state: &AppState,
    conn: &impl ConnectionTrait,
    batch: &sms_batches::Model,
    m: &sms_messages::Model,
    code: &str,
    text: &str,
    request_id: Option<&str>,
) -> Result<(), JobError> {
    let mut update = sms_messages::Entity::update_many()
        .col_expr(sms_messages::Column::Status, Expr::value(status::REJECTED))
        .col_expr(sms_messages::Column::Code, Expr::value(code))
        .col_expr(sms_messages::Column::Message, Expr::value(text))
        .filter(sms_messages::Column::Id.eq(m.id))
        .filter(sms_messages::Column::Status.is_in([status::QUEUED, status::SENDING]));
    if let Some(id) = request_id {
        update = update.col_expr(sms_messages::Column::RequestId, Expr::value(id));
    }
    if update.exec(conn).await.map_err(retry)?.rows_affected == 1 {
        refund(state, conn, batch, m).await?;
    }
    Ok(())
}

/// Gives back a rejected message's charge and counts it failed.
async fn refund(
    state: &AppState,
    conn: &impl ConnectionTrait,
    batch: &sms_batches::Model,
    m: &sms_messages::Model,
) -> Result<(), JobError> {
    let tenant = TenantId(m.tenant_id);
    if m.pack_segments > 0 {
        billing::add_pack_used(
            conn,
            tenant,
            m.pack_year,
            -(m.pack_segments as i64),
            state.clock.now(),
        )
        .await
        .map_err(retry)?;
    }
    let merchant = batch.origin == "merchant";
    billing::add_usage(
        conn,
        tenant,
        &m.month,
        UsageDelta {
            failed: i64::from(merchant),
            segments: if merchant { -(m.segments as i64) } else { 0 },
            pack_used: -(m.pack_segments as i64),
            overage_segments: -(m.overage_segments as i64),
            overage_millifen: -m.overage_millifen,
            notice_segments: if merchant { 0 } else { -(m.segments as i64) },
            ..Default::default()
        },
    )
    .await
    .map_err(retry)?;
    Ok(())
}

/// Records the provider's answer number by number.
async fn record(
    state: &AppState,
    batch: &sms_batches::Model,
    sent: &[sms_messages::Model],
    outcome: SendOutcome,
) -> Result<(), JobError> {
    let by_phone: HashMap<&str, &crate::sms::NumberStatus> = outcome
        .statuses
        .iter()
        .map(|s| (s.phone.as_str(), s))
        .collect();
    let now = state.clock.now();
    let txn = crate::db::begin_write(&state.db).await.map_err(retry)?;
    let mut serials = Vec::new();
    let mut refused = Vec::new();
    for m in sent {
        match by_phone.get(m.phone.as_str()) {
            Some(s) if s.is_ok() => {
                sms_messages::Entity::update_many()
                    .col_expr(sms_messages::Column::Status, Expr::value(status::SUBMITTED))
                    .col_expr(
                        sms_messages::Column::SerialNo,
                        Expr::value(s.serial_no.clone()),
                    )
                    .col_expr(sms_messages::Column::Fee, Expr::value(s.fee as i32))
                    .col_expr(sms_messages::Column::Code, Expr::value(s.code.clone()))
                    .col_expr(
                        sms_messages::Column::RequestId,
                        Expr::value(outcome.request_id.clone()),
                    )
                    .col_expr(sms_messages::Column::SubmittedAt, Expr::value(now))
                    .filter(sms_messages::Column::Id.eq(m.id))
                    .filter(sms_messages::Column::Status.eq(status::SENDING))
                    .exec(&txn)
                    .await
                    .map_err(retry)?;
                if s.fee as i32 != m.segments {
                    tracing::warn!(batch.id = %batch.id, ours = m.segments, provider = s.fee, "SMS segment count differs from the provider's fee");
                }
                serials.push(s.serial_no.clone());
            }
            Some(s) => refused.push((m, s.code.clone(), s.message.clone())),
            None => refused.push((
                m,
                "missing_status".into(),
                "the provider answered no status for this number".into(),
            )),
        }
    }
    for (m, code, text) in &refused {
        reject_one(state, &txn, batch, m, code, text, Some(&outcome.request_id)).await?;
    }
    txn.commit().await.map_err(retry)?;
    // Receipts that arrived before the serial numbers were stored.
    receipts::apply_pending(state, &serials)
        .await
        .map_err(retry)?;
    tracing::info!(batch.id = %batch.id, submitted = serials.len(), rejected = refused.len(), request_id = %outcome.request_id, "SMS request answered");
    Ok(())
}
