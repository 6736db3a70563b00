//! First run: on a database with no agency admin the service prints a one-time setup
//! address; whoever opens it creates the first admin in the browser. The token lives only
//! in this process (valid until used or the process restarts); `create-admin` stays for
//! scripts.

use crate::domain::password::NewPassword;
use crate::domain::role::Role;
use crate::domain::username::Username;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::services::RequestMeta;
use crate::services::sessions::{self, TokenPair};
use crate::state::AppState;
use entity::users;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use subtle::ConstantTimeEq;

/// The process's setup token, if first-run setup is open.
#[derive(Default)]
pub struct SetupGate {
    token: tokio::sync::Mutex<Option<String>>,
}

impl SetupGate {
    /// Opens setup with a fresh token and returns it.
    pub async fn open(&self) -> String {
        let token = crate::auth::tokens::generate_opaque_token();
        *self.token.lock().await = Some(token.clone());
        token
    }

    /// The token while setup is open (tests read it instead of the log).
    pub async fn token(&self) -> Option<String> {
        self.token.lock().await.clone()
    }
}

/// Whether the database has an agency admin.
pub async fn admin_exists(state: &AppState) -> AppResult<bool> {
    Ok(users::Entity::find()
        .filter(users::Column::Role.eq(Role::AgencyAdmin.as_str()))
        .count(&state.db)
        .await?
        > 0)
}

/// Whether first-run setup is still to be done.
pub async fn needed(state: &AppState) -> AppResult<bool> {
    Ok(!admin_exists(state).await?)
}

/// Creates the first agency admin with the chosen password and signs it in.
pub async fn complete(
    state: &AppState,
    meta: &RequestMeta,
    token: &str,
    username: &str,
    password: &str,
) -> AppResult<TokenPair> {
    // Held for the whole setup: two browsers cannot both create "the first" admin.
    let mut gate = state.setup.token.lock().await;
    if admin_exists(state).await? {
        *gate = None;
        return Err(AppError::new(ErrorCode::SetupNotAvailable));
    }
    let valid = gate
        .as_deref()
        .is_some_and(|t| bool::from(t.as_bytes().ct_eq(token.as_bytes())));
    if !valid {
        return Err(AppError::new(ErrorCode::SetupTokenInvalid));
    }
    let name = Username::parse(username, "username")?;
    let new_password = NewPassword::parse(password, name.as_str(), "password")?;
    let (account, _) = crate::services::accounts::create_admin_cli(state, name, Some(new_password))
        .await
        .map_err(AppError::internal)?;
    *gate = None;
    tracing::info!(user.id = %account.id, "first-run setup created the first agency admin");
    sessions::login(state, username, password, meta).await
}
