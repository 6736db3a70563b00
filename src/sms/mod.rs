//! SMS at the protocol level: the provider trait, the Tencent Cloud SMS API 3.0 adapter
//! (`SendSms` 2021-01-11, TC3-HMAC-SHA256), the delivery-receipt shape and the mainland
//! long-SMS count. Business rules (packs, billing, records) live in `services::sms`.

pub mod tc3;
pub mod text;

use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// One provider request: one template to up to [`MAX_NUMBERS_PER_REQUEST`] numbers.
#[derive(Clone, Debug)]
pub struct SendRequest {
    /// E.164 numbers, e.g. `+8613800138000`.
    pub phones: Vec<String>,
    /// The provider's template id.
    pub template_id: String,
    /// The approved signature text (without 【】).
    pub sign_name: String,
    /// Positional template values.
    pub params: Vec<String>,
    /// Echoed back per number and in receipts (< 512 bytes): our batch reference.
    pub session_context: String,
}

/// The provider's per-request cap on numbers.
pub const MAX_NUMBERS_PER_REQUEST: usize = 200;

/// The provider's answer for one number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberStatus {
    /// E.164 number as the provider echoes it.
    pub phone: String,
    /// Join key for receipts (`sid`); empty when the number failed.
    pub serial_no: String,
    /// Segments billed for this number.
    pub fee: i64,
    /// `Ok`, or the provider's error code.
    pub code: String,
    /// The provider's text.
    pub message: String,
}

impl NumberStatus {
    /// Only the exact string `Ok` is success.
    pub fn is_ok(&self) -> bool {
        self.code == "Ok"
    }
}

/// A request the provider answered.
#[derive(Clone, Debug)]
pub struct SendOutcome {
    /// The provider's request id (for support).
    pub request_id: String,
    /// One entry per number.
    pub statuses: Vec<NumberStatus>,
}

/// A failed request: nothing was sent, or (for [`ProviderError::Unknown`]) we cannot tell.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProviderError {
    /// The provider refused the whole request (`Response.Error`).
    #[error("SMS provider refused the request: {code}: {message}")]
    Refused {
        /// E.g. `AuthFailure.SignatureFailure`.
        code: String,
        /// The provider's text.
        message: String,
        /// The provider's request id.
        request_id: String,
    },
    /// The request never reached the provider (connection refused, DNS): safe to retry.
    #[error("SMS provider unreachable: {0}")]
    Unreachable(String),
    /// The request may have been accepted but the answer was lost (timeout, reset, HTTP 5xx,
    /// an unreadable answer): retrying could send twice.
    #[error("SMS provider outcome unknown: {0}")]
    Unknown(String),
}

impl ProviderError {
    /// Worth retrying with backoff: rate limits, the provider's internal errors, a clock
    /// skew, an unreachable provider. Everything else (signature, template, account) is a
    /// configuration problem that a retry does not fix.
    pub fn is_retryable(&self) -> bool {
        match self {
            ProviderError::Refused { code, .. } => is_retryable_code(code),
            ProviderError::Unreachable(_) => true,
            ProviderError::Unknown(_) => false,
        }
    }

    /// The provider's code, or `transport` / `unknown_outcome`.
    pub fn code(&self) -> &str {
        match self {
            ProviderError::Refused { code, .. } => code,
            ProviderError::Unreachable(_) => "transport",
            ProviderError::Unknown(_) => "unknown_outcome",
        }
    }
}

/// Request-level codes worth retrying (PROVIDER.md §1.4).
pub fn is_retryable_code(code: &str) -> bool {
    code.starts_with("RequestLimitExceeded")
        || code.starts_with("InternalError")
        || code == "AuthFailure.SignatureExpire"
}

/// Something that sends template SMS.
pub trait SmsProvider: Send + Sync {
    /// Sends one request.
    fn send<'a>(
        &'a self,
        request: &'a SendRequest,
    ) -> BoxFuture<'a, Result<SendOutcome, ProviderError>>;
}

/// Credentials and endpoint of the Tencent Cloud adapter.
#[derive(Clone)]
pub struct TencentConfig {
    /// `https://sms.tencentcloudapi.com` (the fake provider's URL in tests).
    pub base_url: String,
    /// `X-TC-Region`, e.g. `ap-guangzhou`.
    pub region: String,
    /// `SmsSdkAppId`.
    pub sdk_app_id: String,
    /// API key id.
    pub secret_id: String,
    /// API key secret.
    pub secret_key: String,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for TencentConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TencentConfig")
            .field("base_url", &self.base_url)
            .field("region", &self.region)
            .field("sdk_app_id", &self.sdk_app_id)
            .finish_non_exhaustive()
    }
}

/// Tencent Cloud SMS API 3.0.
pub struct TencentSms {
    config: TencentConfig,
    host: String,
    http: reqwest::Client,
}

/// The Content-Type we send and sign (a client that appended a charset after signing
/// would break the signature, so the exact value is set by hand).
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";

impl TencentSms {
    /// An adapter for `config`.
    pub fn new(config: TencentConfig) -> anyhow::Result<Self> {
        let url = url::Url::parse(&config.base_url)?;
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            _ => anyhow::bail!("sms.base_url has no host"),
        };
        let http = reqwest::Client::builder().timeout(config.timeout).build()?;
        Ok(Self { config, host, http })
    }

    async fn post(&self, request: &SendRequest) -> Result<SendOutcome, ProviderError> {
        let body = serde_json::to_vec(&json!({
            "PhoneNumberSet": request.phones,
            "SmsSdkAppId": self.config.sdk_app_id,
            "TemplateId": request.template_id,
            "SignName": request.sign_name,
            "TemplateParamSet": request.params,
            "SessionContext": request.session_context,
        }))
        .map_err(|e| ProviderError::Unreachable(e.to_string()))?;
        let timestamp = chrono::Utc::now().timestamp();
        let signature = tc3::sign(
            &self.config.secret_key,
            &tc3::SigningInput {
                host: &self.host,
                content_type: CONTENT_TYPE,
                action: Some("SendSms"),
                service: "sms",
                timestamp,
                body: &body,
            },
        );
        let sent = self
            .http
            .post(&self.config.base_url)
            .header("Host", &self.host)
            .header("Content-Type", CONTENT_TYPE)
            .header("X-TC-Action", "SendSms")
            .header("X-TC-Version", "2021-01-11")
            .header("X-TC-Region", &self.config.region)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header(
                "Authorization",
                tc3::authorization(&self.config.secret_id, &signature),
            )
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) if e.is_connect() => {
                return Err(ProviderError::Unreachable(e.without_url().to_string()));
            }
            Err(e) => return Err(ProviderError::Unknown(e.without_url().to_string())),
        };
        let status = response.status();
        if !status.is_success() {
            return Err(ProviderError::Unknown(format!("HTTP {}", status.as_u16())));
        }
        let value: Value = response
            .json()
            .await
            .map_err(|e| ProviderError::Unknown(e.without_url().to_string()))?;
        parse_send_answer(&value)
    }
}

impl SmsProvider for TencentSms {
    fn send<'a>(
        &'a self,
        request: &'a SendRequest,
    ) -> BoxFuture<'a, Result<SendOutcome, ProviderError>> {
        Box::pin(self.post(request))
    }
}

/// Reads a `SendSms` answer: `Response.Error` is a request-level refusal, otherwise one
/// `SendStatus` per number.
pub fn parse_send_answer(value: &Value) -> Result<SendOutcome, ProviderError> {
    let response = &value["Response"];
    let request_id = response["RequestId"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if let Some(error) = response.get("Error") {
        return Err(ProviderError::Refused {
            code: error["Code"].as_str().unwrap_or("Unknown").to_owned(),
            message: error["Message"].as_str().unwrap_or_default().to_owned(),
            request_id,
        });
    }
    let Some(set) = response["SendStatusSet"].as_array() else {
        return Err(ProviderError::Unknown(
            "answer has neither Error nor SendStatusSet".into(),
        ));
    };
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    Ok(SendOutcome {
        request_id,
        statuses: set
            .iter()
            .map(|s| NumberStatus {
                phone: text(s, "PhoneNumber"),
                serial_no: text(s, "SerialNo"),
                fee: s["Fee"].as_i64().unwrap_or(0),
                code: text(s, "Code"),
                message: text(s, "Message"),
            })
            .collect(),
    })
}

/// One entry of a delivery-receipt push (PROVIDER.md §3.1).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq, utoipa::ToSchema)]
#[schema(example = json!({"sid": "2028:327010301414061", "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信接收成功", "user_receive_time": "2026-12-07 10:21:00", "mobile": "13812341234", "nationcode": "86", "ext": ""}))]
pub struct Receipt {
    /// `= SendStatus.SerialNo`.
    pub sid: String,
    /// `SUCCESS` or `FAIL`.
    pub report_status: String,
    /// Carrier code, `DELIVRD` on success.
    #[serde(default)]
    pub errmsg: String,
    /// Human text.
    #[serde(default)]
    pub description: String,
    /// `2015-10-17 08:03:04` (Beijing time).
    #[serde(default)]
    pub user_receive_time: String,
    /// Number without the country code.
    #[serde(default)]
    pub mobile: String,
    /// Country code.
    #[serde(default)]
    pub nationcode: String,
    /// Our `SessionContext`, when enabled.
    #[serde(default)]
    pub ext: String,
}

impl Receipt {
    /// The handset received it.
    pub fn delivered(&self) -> bool {
        self.report_status == "SUCCESS"
    }
}

/// The answer a receipt push expects.
pub fn receipt_ack() -> Value {
    json!({ "result": 0, "errmsg": "OK" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_at_both_failure_levels() {
        let ok = json!({"Response": {"SendStatusSet": [
            {"SerialNo": "5000:1", "PhoneNumber": "+8613800138000", "Fee": 2, "SessionContext": "b", "Code": "Ok", "Message": "send success", "IsoCode": "CN"},
            {"SerialNo": "", "PhoneNumber": "+8613800138001", "Fee": 0, "SessionContext": "b", "Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "limit", "IsoCode": "CN"}
        ], "RequestId": "r1"}});
        let outcome = parse_send_answer(&ok).unwrap();
        assert_eq!(outcome.request_id, "r1");
        assert!(outcome.statuses[0].is_ok());
        assert_eq!(outcome.statuses[0].fee, 2);
        assert!(!outcome.statuses[1].is_ok());
        let refused = json!({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "bad"}, "RequestId": "r2"}});
        let err = parse_send_answer(&refused).unwrap_err();
        assert_eq!(err.code(), "AuthFailure.SignatureFailure");
        assert!(!err.is_retryable());
        let busy = json!({"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "slow down"}, "RequestId": "r3"}});
        assert!(parse_send_answer(&busy).unwrap_err().is_retryable());
        assert!(is_retryable_code("InternalError.Timeout"));
        assert!(!is_retryable_code(
            "FailedOperation.TemplateIncorrectOrUnapproved"
        ));
    }
}
