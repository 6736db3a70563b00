//! HTTP client of the WeChat API (PROTOCOL.md §0): JSON bodies, the token in the query
//! string, `errcode`/`errmsg` inside HTTP 200 answers. Every transport error is stripped
//! of its URL (which carries the token) before anything can log or store it.

use serde_json::Value;
use std::time::Duration;

/// A failed WeChat call, safe to log and store: no URL, no token.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum WechatError {
    /// WeChat answered with a non-zero `errcode`.
    #[error("WeChat errcode {errcode}: {errmsg}")]
    Api {
        /// The errcode.
        errcode: i64,
        /// WeChat's message (ends with `rid: …` for support).
        errmsg: String,
    },
    /// WeChat answered a non-2xx HTTP status.
    #[error("WeChat answered HTTP {0}")]
    Http(u16),
    /// The request may or may not have reached WeChat (connection reset, timeout, a
    /// truncated answer): the outcome is unknown.
    #[error("calling WeChat failed: {0}")]
    Transport(String),
    /// WeChat answered something that is not the documented shape.
    #[error("unexpected answer from WeChat: {0}")]
    Decode(String),
}

/// Errcodes after which the token is refreshed once and the call retried once.
pub const TOKEN_ERRCODES: [i64; 3] = [40001, 40014, 42001];

impl WechatError {
    /// WeChat's errcode, if it answered one.
    pub fn errcode(&self) -> Option<i64> {
        match self {
            WechatError::Api { errcode, .. } => Some(*errcode),
            _ => None,
        }
    }

    /// The token was refused as invalid, expired or not the latest.
    pub fn is_token_error(&self) -> bool {
        self.errcode().is_some_and(|c| TOKEN_ERRCODES.contains(&c))
    }

    /// Worth retrying later with backoff (busy, rate limits, 5xx, transport).
    pub fn is_transient(&self) -> bool {
        match self {
            WechatError::Api { errcode, .. } => {
                matches!(errcode, -1 | 45011 | 85090 | 89401 | 9402202)
            }
            WechatError::Http(status) => *status >= 500 || *status == 429,
            WechatError::Transport(_) => true,
            WechatError::Decode(_) => false,
        }
    }
}

/// Which query parameter carries the token.
#[derive(Clone, Copy, Debug)]
pub enum TokenParam<'a> {
    /// No token (`api_component_token`, `api_start_push_ticket`).
    None,
    /// `component_access_token=` (the `/cgi-bin/component/*` APIs).
    Component(&'a str),
    /// `access_token=` (authorizer APIs and the template library).
    Access(&'a str),
}

/// An answer with a body that is not JSON (the trial QR code image).
#[derive(Debug, Clone)]
pub struct BinaryAnswer {
    /// `Content-Type` as answered.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// The WeChat API client; cheap to clone.
#[derive(Clone, Debug)]
pub struct WechatClient {
    http: reqwest::Client,
    base: String,
}

/// Turns a transport error into text without the URL (and thus without the token).
fn scrub(e: reqwest::Error) -> WechatError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    WechatError::Transport(redact_tokens(&text))
}

/// Removes anything shaped like a token query parameter from a message (a second guard
/// behind `without_url`, for messages built by lower layers).
pub fn redact_tokens(text: &str) -> String {
    static PATTERN: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    PATTERN
        .get_or_init(|| {
            regex::Regex::new(r"(?i)((?:component_)?access_token=)[^&\s]+").expect("valid regex")
        })
        .replace_all(text, "${1}[redacted]")
        .into_owned()
}

impl WechatClient {
    /// A client for `base` (e.g. `https://api.weixin.qq.com`) with a per-call timeout.
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(Duration::from_secs(5))
                .build()?,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: TokenParam<'_>,
        query: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        let mut builder = self.http.request(method, format!("{}{path}", self.base));
        match token {
            TokenParam::None => {}
            TokenParam::Component(t) => builder = builder.query(&[("component_access_token", t)]),
            TokenParam::Access(t) => builder = builder.query(&[("access_token", t)]),
        }
        if !query.is_empty() {
            builder = builder.query(query);
        }
        builder
    }

    /// `POST path` with a JSON body.
    pub async fn post(
        &self,
        path: &str,
        token: TokenParam<'_>,
        body: &Value,
    ) -> Result<Value, WechatError> {
        let res = self
            .request(reqwest::Method::POST, path, token, &[])
            .json(body)
            .send()
            .await
            .map_err(scrub)?;
        read_json(res).await
    }

    /// `GET path?query`.
    pub async fn get(
        &self,
        path: &str,
        token: TokenParam<'_>,
        query: &[(&str, &str)],
    ) -> Result<Value, WechatError> {
        let res = self
            .request(reqwest::Method::GET, path, token, query)
            .send()
            .await
            .map_err(scrub)?;
        read_json(res).await
    }

    /// `GET path?query` for an answer that is bytes on success and JSON on error.
    pub async fn get_binary(
        &self,
        path: &str,
        token: TokenParam<'_>,
        query: &[(&str, &str)],
    ) -> Result<BinaryAnswer, WechatError> {
        let res = self
            .request(reqwest::Method::GET, path, token, query)
            .send()
            .await
            .map_err(scrub)?;
        let content_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        if content_type.starts_with("application/json") || content_type.starts_with("text/") {
            read_json(res).await?;
            return Err(WechatError::Decode("expected an image".into()));
        }
        if !res.status().is_success() {
            return Err(WechatError::Http(res.status().as_u16()));
        }
        let bytes = res.bytes().await.map_err(scrub)?.to_vec();
        Ok(BinaryAnswer {
            content_type,
            bytes,
        })
    }
}

async fn read_json(res: reqwest::Response) -> Result<Value, WechatError> {
    let status = res.status();
    if !status.is_success() {
        return Err(WechatError::Http(status.as_u16()));
    }
    let bytes = res.bytes().await.map_err(scrub)?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| WechatError::Decode(format!("not JSON: {e}")))?;
    match value.get("errcode").and_then(Value::as_i64) {
        Some(0) | None => Ok(value),
        Some(errcode) => Err(WechatError::Api {
            errcode,
            errmsg: value
                .get("errmsg")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_parameters_are_redacted() {
        assert_eq!(
            redact_tokens(
                "error sending request for url (http://x/y?component_access_token=abc&b=1)"
            ),
            "error sending request for url (http://x/y?component_access_token=[redacted]&b=1)"
        );
        assert_eq!(
            redact_tokens("access_token=s3cr3t done"),
            "access_token=[redacted] done"
        );
    }

    #[test]
    fn errors_are_classified() {
        let api = |errcode| WechatError::Api {
            errcode,
            errmsg: String::new(),
        };
        assert!(api(40001).is_token_error() && api(42001).is_token_error());
        assert!(!api(61003).is_token_error() && !api(48001).is_token_error());
        assert!(api(-1).is_transient() && WechatError::Http(502).is_transient());
        assert!(!api(85009).is_transient() && !WechatError::Http(404).is_transient());
    }
}
