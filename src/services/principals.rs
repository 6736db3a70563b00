//! A small per-instance cache of what the auth extractor must re-check on every request:
//! the account (enabled, role, tenant, must-change flag), the session (not revoked) and
//! the tenant's state. Changes made on this instance invalidate their entries at once;
//! other instances see them within `auth.principal_cache_ttl_secs`.

use crate::domain::ids::{SessionId, TenantId, UserId};
use crate::domain::role::Role;
use crate::domain::tenant::{HoldKind, TenantState, TenantStatus};
use chrono::{DateTime, Utc};
use entity::{sessions, tenant_holds, tenants, users};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The account facts the extractor needs.
#[derive(Clone, Debug)]
pub struct CachedUser {
    /// Account id.
    pub id: UserId,
    /// Login name.
    pub username: String,
    /// Current role.
    pub role: Role,
    /// Tenant of a merchant user.
    pub tenant_id: Option<TenantId>,
    /// Disabled accounts are refused even with an unexpired token.
    pub disabled: bool,
    /// Until changed, only the password change is allowed.
    pub must_change_password: bool,
}

impl CachedUser {
    /// This account as the actor of an audit event.
    pub fn actor(&self) -> crate::services::audit::Actor {
        crate::services::audit::Actor::user(self.id, self.role, &self.username)
    }
}

/// The tenant facts the extractors need.
#[derive(Clone, Debug)]
pub struct CachedTenant {
    /// Status and holds.
    pub state: TenantState,
    /// The assigned account manager.
    pub account_manager_id: Option<UserId>,
    /// When a frozen tenant's data is deleted (shown in `tenant_frozen` refusals).
    pub delete_after: Option<DateTime<Utc>>,
}

/// The session facts the extractor needs.
#[derive(Clone, Debug)]
pub struct CachedSession {
    /// The account it was opened for.
    pub user_id: uuid::Uuid,
    /// The tenant of a merchant account's session.
    pub tenant_id: Option<uuid::Uuid>,
    /// Revoked (logout, password change, reuse detection) or expired.
    pub revoked: bool,
    /// When the session ends.
    pub expires_at: DateTime<Utc>,
}

struct TtlMap<K, V> {
    entries: RwLock<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash + Copy, V: Clone> TtlMap<K, V> {
    fn new() -> Self {
        Self {
            entries: RwLock::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K, ttl: Duration) -> Option<V> {
        let entries = self.entries.read().expect("cache lock");
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < ttl)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: K, value: V) {
        let mut entries = self.entries.write().expect("cache lock");
        // Bound memory: drop everything stale once the map grows large.
        if entries.len() > 50_000 {
            entries.clear();
        }
        entries.insert(key, (Instant::now(), value));
    }

    fn remove(&self, key: &K) {
        self.entries.write().expect("cache lock").remove(key);
    }
}

/// Cache of accounts, sessions and tenant states.
pub struct PrincipalCache {
    ttl: Duration,
    users: TtlMap<UserId, Option<Arc<CachedUser>>>,
    sessions: TtlMap<SessionId, Option<CachedSession>>,
    tenants: TtlMap<TenantId, Option<Arc<CachedTenant>>>,
}

impl PrincipalCache {
    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            users: TtlMap::new(),
            sessions: TtlMap::new(),
            tenants: TtlMap::new(),
        }
    }

    /// The account, or `None` if it does not exist.
    pub async fn user(
        &self,
        db: &DatabaseConnection,
        id: UserId,
    ) -> Result<Option<Arc<CachedUser>>, DbErr> {
        if let Some(hit) = self.users.get(&id, self.ttl) {
            return Ok(hit);
        }
        let row = users::Entity::find_by_id(id.0).one(db).await?;
        let value = row.and_then(|u| {
            Some(Arc::new(CachedUser {
                id,
                username: u.username,
                role: u.role.parse().ok()?,
                tenant_id: u.tenant_id.map(TenantId),
                disabled: u.disabled_at.is_some(),
                must_change_password: u.must_change_password,
            }))
        });
        self.users.put(id, value.clone());
        Ok(value)
    }

    /// The session, or `None` if it does not exist.
    pub async fn session(
        &self,
        db: &DatabaseConnection,
        id: SessionId,
    ) -> Result<Option<CachedSession>, DbErr> {
        if let Some(hit) = self.sessions.get(&id, self.ttl) {
            return Ok(hit);
        }
        let value = sessions::Entity::find_by_id(id.0)
            .one(db)
            .await?
            .map(|s| CachedSession {
                user_id: s.user_id,
                tenant_id: s.tenant_id,
                revoked: s.revoked_at.is_some(),
                expires_at: s.expires_at,
            });
        self.sessions.put(id, value.clone());
        Ok(value)
    }

    /// The tenant's status and holds, or `None` if it does not exist.
    pub async fn tenant(
        &self,
        db: &DatabaseConnection,
        id: TenantId,
    ) -> Result<Option<Arc<CachedTenant>>, DbErr> {
        if let Some(hit) = self.tenants.get(&id, self.ttl) {
            return Ok(hit);
        }
        let value = match tenants::Entity::find_by_id(id.0).one(db).await? {
            None => None,
            Some(t) => {
                let holds = tenant_holds::Entity::find()
                    .filter(tenant_holds::Column::TenantId.eq(id.0))
                    .all(db)
                    .await?
                    .into_iter()
                    .filter_map(|h| h.kind.parse::<HoldKind>().ok())
                    .collect();
                let status: TenantStatus = t
                    .status
                    .parse()
                    .map_err(|e| DbErr::Custom(format!("tenant {id}: {e}")))?;
                Some(Arc::new(CachedTenant {
                    state: TenantState { status, holds },
                    account_manager_id: t.account_manager_id.map(UserId),
                    delete_after: t.delete_after,
                }))
            }
        };
        self.tenants.put(id, value.clone());
        Ok(value)
    }

    /// Forgets an account (after it changed).
    pub fn invalidate_user(&self, id: UserId) {
        self.users.remove(&id);
    }

    /// Forgets a session (after it was revoked).
    pub fn invalidate_session(&self, id: SessionId) {
        self.sessions.remove(&id);
    }

    /// Forgets a tenant's state (after a status or hold change).
    pub fn invalidate_tenant(&self, id: TenantId) {
        self.tenants.remove(&id);
    }
}
