//! The WeChat third-party platform: credentials at rest ([`vault`]), tokens refreshed by
//! one instance at a time ([`tokens`]), verified pushes ([`push`]) and the binding of
//! merchants' mini-programs ([`binding`]).

pub mod binding;
pub mod deploy;
pub mod driver;
pub mod push;
pub mod rollout;
pub mod templates;
pub mod tokens;
pub mod vault;
pub mod visit;

use crate::config::{Secrets, Settings, WechatSettings};
use crate::error::{AppError, ErrorCode};
use crate::jobs::JobError;
use crate::state::AppState;
use crate::wechat::client::{WechatClient, WechatError};
use crate::wechat::crypto::PushCrypto;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;

/// The configured platform: API client, push codec, component credentials.
pub struct WechatPlatform {
    /// The API client.
    pub client: WechatClient,
    /// Verifies and decrypts pushes.
    pub crypto: PushCrypto,
    /// The component appid.
    pub component_appid: String,
    component_secret: String,
    /// Settings in effect.
    pub settings: WechatSettings,
    /// Signs the authorization `state` (derived from the JWT secret).
    state_key: [u8; 32],
}

impl std::fmt::Debug for WechatPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatPlatform")
            .field("component_appid", &self.component_appid)
            .finish_non_exhaustive()
    }
}

impl WechatPlatform {
    /// The platform when `component_appid` and the three secrets are set, `None` when none
    /// of them is, and an error when only some are (a half-configured platform would fail
    /// later and less clearly).
    pub fn from_config(settings: &Settings, secrets: &Secrets) -> anyhow::Result<Option<Self>> {
        let appid = settings
            .wechat
            .component_appid
            .as_deref()
            .filter(|a| !a.is_empty());
        let (appid, wx_secrets) = match (appid, &secrets.wechat) {
            (None, None) => return Ok(None),
            (Some(a), Some(s)) => (a, s),
            (Some(_), None) => anyhow::bail!(
                "WEAPP__WECHAT__COMPONENT_APPID is set but WEAPP__WECHAT__COMPONENT_SECRET, \
                 WEAPP__WECHAT__PUSH_TOKEN and WEAPP__WECHAT__ENCODING_AES_KEY are not"
            ),
            (None, Some(_)) => anyhow::bail!(
                "the WeChat secrets are set but WEAPP__WECHAT__COMPONENT_APPID is not"
            ),
        };
        let crypto = PushCrypto::new(&wx_secrets.push_token, &wx_secrets.encoding_aes_key, appid)
            .map_err(|e| anyhow::anyhow!("WEAPP__WECHAT__ENCODING_AES_KEY: {e}"))?;
        let client = WechatClient::new(
            &settings.wechat.api_base,
            std::time::Duration::from_secs(settings.wechat.request_timeout_secs.max(1)),
        )?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secrets.jwt_secret.expose())
            .map_err(|_| anyhow::anyhow!("HMAC accepts keys of any length"))?;
        mac.update(b"weapp-builder wechat authorization state");
        Ok(Some(Self {
            client,
            crypto,
            component_appid: appid.to_owned(),
            component_secret: wx_secrets.component_secret.clone(),
            settings: settings.wechat.clone(),
            state_key: mac.finalize().into_bytes().into(),
        }))
    }

    /// HMAC-SHA256 of `text` under the authorization-state key.
    fn sign_state(&self, text: &str) -> [u8; 32] {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.state_key).expect("32-byte HMAC key");
        mac.update(text.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// The platform, or 503 `wechat_not_configured`.
pub fn platform(state: &AppState) -> Result<Arc<WechatPlatform>, AppError> {
    state
        .wechat
        .clone()
        .ok_or_else(|| AppError::new(ErrorCode::WechatNotConfigured))
}

/// Why a WeChat-backed operation failed: our own error (lease busy, no ticket, database),
/// or WeChat's answer (kept whole so jobs can tell transient from permanent).
#[derive(Debug)]
pub enum WxFailure {
    /// An error of ours, already with its code.
    App(AppError),
    /// WeChat failed or refused.
    Wechat(WechatError),
}

impl From<AppError> for WxFailure {
    fn from(e: AppError) -> Self {
        WxFailure::App(e)
    }
}

impl From<sea_orm::DbErr> for WxFailure {
    fn from(e: sea_orm::DbErr) -> Self {
        WxFailure::App(e.into())
    }
}

impl From<WechatError> for WxFailure {
    fn from(e: WechatError) -> Self {
        WxFailure::Wechat(e)
    }
}

impl From<WxFailure> for AppError {
    fn from(f: WxFailure) -> Self {
        match f {
            WxFailure::App(e) => e,
            WxFailure::Wechat(e) => call_failed(&e),
        }
    }
}

impl From<WxFailure> for JobError {
    fn from(f: WxFailure) -> Self {
        match f {
            WxFailure::Wechat(e) if !e.is_transient() => JobError::Permanent(e.into()),
            WxFailure::Wechat(e) => JobError::Retry(e.into()),
            WxFailure::App(e) if e.code().status().is_server_error() => {
                JobError::Retry(anyhow::anyhow!("{e}"))
            }
            WxFailure::App(e) => JobError::Permanent(anyhow::anyhow!("{e}")),
        }
    }
}

/// 502 `wechat_call_failed` with WeChat's errcode and message (the error is already free
/// of URLs and tokens).
pub fn call_failed(e: &WechatError) -> AppError {
    tracing::warn!(error = %e, "WeChat call failed");
    match e {
        // WeChat's own words are for operators; the message says what it means.
        WechatError::Api { errcode, errmsg } => AppError::new(ErrorCode::WechatCallFailed)
            .with_message(crate::wechat::errors::merchant_message(*errcode))
            .with_details(serde_json::json!({ "errcode": errcode, "errmsg": errmsg })),
        other => AppError::new(ErrorCode::WechatCallFailed)
            .with_details(serde_json::json!({ "errmsg": other.to_string() })),
    }
}

/// A string field of a WeChat answer, or a decode error naming it.
pub(crate) fn answer_str<'a>(
    answer: &'a serde_json::Value,
    field: &str,
) -> Result<&'a str, WechatError> {
    answer[field]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| WechatError::Decode(format!("`{field}` missing")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SecretBytes, WechatSecrets};

    fn secrets(wechat: Option<WechatSecrets>) -> Secrets {
        Secrets {
            jwt_secret: SecretBytes::new(vec![1; 32]),
            vault_keys: vec![("k1".into(), SecretBytes::new(vec![2; 32]))],
            s3_secret_access_key: None,
            metrics_token: None,
            wechat,
            sms: Default::default(),
        }
    }

    fn wechat_secrets(aes_key: &str) -> WechatSecrets {
        WechatSecrets {
            component_secret: "secret".into(),
            push_token: "token".into(),
            encoding_aes_key: aes_key.into(),
        }
    }

    #[test]
    fn the_platform_is_all_or_nothing() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        let mut settings = Settings::default();
        assert!(
            WechatPlatform::from_config(&settings, &secrets(None))
                .unwrap()
                .is_none()
        );
        let half = WechatPlatform::from_config(&settings, &secrets(Some(wechat_secrets(key))));
        assert!(half.unwrap_err().to_string().contains("COMPONENT_APPID"));
        settings.wechat.component_appid = Some("wx134c8103faa5a59e".into());
        let half = WechatPlatform::from_config(&settings, &secrets(None));
        assert!(half.unwrap_err().to_string().contains("COMPONENT_SECRET"));
        let bad_key =
            WechatPlatform::from_config(&settings, &secrets(Some(wechat_secrets("short"))));
        assert!(
            bad_key
                .unwrap_err()
                .to_string()
                .contains("ENCODING_AES_KEY")
        );
        let wx = WechatPlatform::from_config(&settings, &secrets(Some(wechat_secrets(key))))
            .unwrap()
            .unwrap();
        assert_eq!(wx.component_appid, "wx134c8103faa5a59e");
        assert!(!format!("{wx:?}").contains("secret"));
    }
}
