//! The daily overdue sweep: once per Asia/Shanghai day, every tenant with an unpaid
//! milestone past its due date, or currently holding `overdue`, has the overdue rule
//! applied (hold set or lifted). Payments apply the rule at once; this sweep catches time
//! passing.

use super::{mark_period_done, period_done};
use crate::db;
use crate::domain::ids::TenantId;
use crate::domain::time::shanghai_date;
use crate::jobs::BoxFuture;
use crate::scheduler::Sweep;
use crate::services::audit::Actor;
use crate::services::contracts::apply_overdue_rule;
use crate::services::tenant_state::ChangeContext;
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Statement};
use uuid::Uuid;

/// See the module documentation.
pub struct OverdueSweep;

const NAME: &str = "overdue_holds";

/// Tenants the rule may change today: an unpaid contract with a milestone (or, without
/// milestones, a start date) in the past, or an `overdue` hold to lift.
pub async fn candidates(state: &AppState, today: NaiveDate) -> anyhow::Result<Vec<TenantId>> {
    let backend = state.db.get_database_backend();
    let sql = "SELECT DISTINCT c.tenant_id AS tenant_id FROM contracts c \
               JOIN tenants t ON t.id = c.tenant_id \
               WHERE t.status <> 'deleted' AND c.cancelled_at IS NULL \
                 AND c.amount_fen > COALESCE((SELECT SUM(p.amount_fen) FROM payments p WHERE p.contract_id = c.id), 0) \
                 AND (c.start_date < $1 OR EXISTS (SELECT 1 FROM contract_milestones m WHERE m.contract_id = c.id AND m.due_date < $1)) \
               UNION \
               SELECT h.tenant_id AS tenant_id FROM tenant_holds h WHERE h.kind = 'overdue'";
    let rows = state
        .db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, [today.into()]))
        .await?;
    rows.into_iter()
        .map(|r| Ok(TenantId(r.try_get::<Uuid>("", "tenant_id")?)))
        .collect()
}

impl Sweep for OverdueSweep {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let today = shanghai_date(now);
            let period = today.to_string();
            if period_done(&state.db, NAME, &period).await? {
                return Ok(());
            }
            let ctx = ChangeContext {
                actor: Actor::system(),
                request_id: None,
            };
            let mut failures = 0usize;
            for tenant in candidates(state, today).await? {
                // One transaction per tenant: one tenant's failure never stops the others.
                let result = async {
                    let txn = db::begin_write(&state.db).await?;
                    apply_overdue_rule(&txn, state, tenant, today, &ctx).await?;
                    txn.commit().await?;
                    state.invalidate_tenant(tenant);
                    Ok::<_, crate::error::AppError>(())
                }
                .await;
                if let Err(e) = result {
                    failures += 1;
                    tracing::error!(tenant.id = %tenant, error = %e, "overdue rule failed for a tenant");
                }
            }
            if failures > 0 {
                anyhow::bail!(
                    "the overdue rule failed for {failures} tenant(s); retried next tick"
                );
            }
            mark_period_done(&state.db, NAME, &period, now).await?;
            Ok(())
        })
    }
}
