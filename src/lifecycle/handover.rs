//! The opening promise (开户产品应在1个工作日内收到用户名和密码): when a merchant admin has
//! not signed in one working day after provisioning, the account manager is told, once,
//! to hand the user name and one-time password over or issue a new one. The password
//! itself is never in the notice (SPEC §2.5): it was shown once, to the staff member.

use crate::domain::ids::TenantId;
use crate::domain::notice::{Audience, NoticeKind};
use crate::domain::role::Role;
use crate::domain::tenant::TenantStatus;
use crate::domain::time::{shanghai_date, shanghai_display, shanghai_midnight};
use crate::error::AppResult;
use crate::jobs::BoxFuture;
use crate::scheduler::Sweep;
use crate::services::notifications::{self, NewNotice};
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use entity::{sessions, tenants, users};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// Tenants provisioned longer ago than this are not looked at (the promise is about the
/// first days).
const LOOK_BACK_DAYS: i64 = 30;

/// When a merchant admin created at `created_at` should have signed in: the same time of
/// day on the next working day. `None` when the calendar does not reach it.
pub fn handover_due(state: &AppState, created_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let day = shanghai_date(created_at);
    let next = state.calendar.current().add_workdays(day, 1).ok()?;
    Some(created_at + (shanghai_midnight(next) - shanghai_midnight(day)))
}

/// Tells account managers about merchant admins who have not signed in a working day
/// after provisioning. Returns how many notices were created.
pub async fn notify_due(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let live = tenants::Entity::find()
        .filter(tenants::Column::Status.is_in([
            TenantStatus::Pending.as_str(),
            TenantStatus::Active.as_str(),
        ]))
        .filter(tenants::Column::CreatedAt.gte(now - Duration::days(LOOK_BACK_DAYS)))
        .all(&state.db)
        .await?;
    let mut created = 0;
    for tenant in live {
        let admins = users::Entity::find()
            .filter(users::Column::TenantId.eq(tenant.id))
            .filter(users::Column::Role.eq(Role::MerchantAdmin.as_str()))
            .filter(users::Column::DisabledAt.is_null())
            .all(&state.db)
            .await?;
        for admin in admins {
            let Some(due) = handover_due(state, admin.created_at) else {
                continue;
            };
            if now < due {
                continue;
            }
            let signed_in = sessions::Entity::find()
                .filter(sessions::Column::UserId.eq(admin.id))
                .count(&state.db)
                .await?
                > 0;
            if signed_in {
                continue;
            }
            let notice = notifications::create(
                &state.db,
                state,
                NewNotice {
                    kind: NoticeKind::CredentialsNotCollected,
                    tenant: Some(TenantId(tenant.id)),
                    audience: Audience::Manager,
                    plan_id: None,
                    data: serde_json::json!({
                        "tenant_id": tenant.id,
                        "business_name": tenant.business_name,
                        "username": admin.username,
                        "provisioned_at": shanghai_display(admin.created_at),
                        "due": shanghai_display(due),
                    }),
                    dedup_key: Some(format!("credentials_not_collected:{}", admin.id)),
                    created_by: None,
                },
            )
            .await?;
            created += usize::from(notice.is_some());
        }
    }
    Ok(created)
}

/// Runs [`notify_due`] on every tick.
pub struct HandoverSweep;

impl Sweep for HandoverSweep {
    fn name(&self) -> &'static str {
        "credentials_handover"
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let created = notify_due(state, now).await?;
            if created > 0 {
                tracing::info!(
                    created,
                    "account managers asked to hand over sign-in details"
                );
            }
            Ok(())
        })
    }
}
