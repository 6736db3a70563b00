//! One error type for the whole service, with a stable code per failure. The wire shape is
//! `{"code", "message", "details"}`; `message` is Simplified Chinese unless the request's
//! `Accept-Language` prefers English, and `code` never changes with the language.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// Language of human-readable messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    /// Simplified Chinese (default: merchants and account managers read Chinese).
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// Picks the language from an `Accept-Language` value: the highest-weighted tag that
    /// is Chinese or English wins; anything else falls back to Chinese.
    pub fn from_accept_language(value: Option<&str>) -> Self {
        let Some(value) = value else {
            return Lang::Zh;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag.starts_with("en") {
                Lang::En
            } else if tag.starts_with("zh") {
                Lang::Zh
            } else {
                continue;
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::Zh)
    }
}

tokio::task_local! {
    /// The language of the request being handled; set by the request middleware.
    pub static REQUEST_LANG: Lang;
}

/// The language of the request being handled (Chinese outside a request).
pub fn current_lang() -> Lang {
    REQUEST_LANG.try_with(|l| *l).unwrap_or_default()
}

/// A text in both languages.
#[derive(Clone, Debug)]
pub struct Localized {
    /// Simplified Chinese.
    pub zh: Cow<'static, str>,
    /// English.
    pub en: Cow<'static, str>,
}

impl Localized {
    /// Builds a two-language text.
    pub fn new(zh: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Self {
        Self {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

macro_rules! error_codes {
    ($( $variant:ident = ($code:literal, $status:literal, $zh:literal, $en:literal) ),+ $(,)?) => {
        /// Every stable error code, with its HTTP status and default messages.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode { $( #[doc = $en] $variant ),+ }

        impl ErrorCode {
            /// All codes, for documentation checks.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$variant ),+ ];

            /// The wire code.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code ),+ }
            }

            /// The HTTP status this code answers with.
            pub fn status(self) -> StatusCode {
                match self {
                    $( ErrorCode::$variant => StatusCode::from_u16($status).expect("valid status") ),+
                }
            }

            /// The default message.
            pub fn message(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $( (ErrorCode::$variant, Lang::Zh) => $zh, (ErrorCode::$variant, Lang::En) => $en ),+
                }
            }
        }
    };
}

error_codes! {
    InvalidJson = ("invalid_json", 400, "请求体不是有效的 JSON。", "The request body is not valid JSON."),
    InvalidQuery = ("invalid_query", 400, "查询参数无效。", "A query parameter is invalid."),
    BadRequest = ("bad_request", 400, "请求无效。", "The request is invalid."),
    ValidationFailed = ("validation_failed", 422, "字段无效。", "A field is invalid."),
    UnsupportedMediaType = ("unsupported_media_type", 415, "不支持的内容类型，请使用 application/json。", "Unsupported content type; send application/json."),
    PayloadTooLarge = ("payload_too_large", 413, "请求体过大。", "The request body is too large."),
    RouteNotFound = ("route_not_found", 404, "接口不存在。", "No such endpoint."),
    MethodNotAllowed = ("method_not_allowed", 405, "该接口不支持此请求方法。", "This endpoint does not support the method."),
    NotFound = ("not_found", 404, "资源不存在。", "The resource does not exist."),
    Unauthenticated = ("unauthenticated", 401, "请先登录。", "Sign in first: a bearer token is required."),
    InvalidToken = ("invalid_token", 401, "登录凭证无效，请重新登录。", "The access token is invalid; sign in again."),
    TokenExpired = ("token_expired", 401, "登录已过期，请刷新或重新登录。", "The access token has expired; refresh it or sign in again."),
    SessionRevoked = ("session_revoked", 401, "会话已退出或被撤销，请重新登录。", "The session was signed out or revoked; sign in again."),
    InvalidCredentials = ("invalid_credentials", 401, "用户名或密码错误。", "Wrong username or password."),
    PasswordExpired = ("password_expired", 401, "一次性密码已过期，请联系客户经理重新获取。", "The one-time password has expired; ask your account manager for a new one."),
    AccountDisabled = ("account_disabled", 401, "账号已停用。", "The account is disabled."),
    InvalidRefreshToken = ("invalid_refresh_token", 401, "刷新凭证无效，请重新登录。", "The refresh token is invalid; sign in again."),
    PreviewTokenInvalid = ("preview_token_invalid", 403, "预览链接无效。", "The preview link is invalid."),
    PreviewTokenExpired = ("preview_token_expired", 403, "预览链接已过期，请在控制台重新生成。", "The preview link has expired; make a new one in the console."),
    LinkInvalid = ("link_invalid", 403, "链接无效。", "The link is invalid."),
    LinkExpired = ("link_expired", 410, "链接已过期，请在控制台重新打开。", "The link has expired; open it again from the console."),
    SetupNotAvailable = ("setup_not_available", 404, "系统已完成初始设置，请直接登录。", "Setup is done; sign in instead."),
    SetupTokenInvalid = ("setup_token_invalid", 403, "设置地址无效或已使用，请使用服务日志中最新打印的地址。", "The setup address is invalid or used; use the one the service last printed in its log."),
    PasswordChangeRequired = ("password_change_required", 403, "请先修改初始密码。", "Change the system-issued password first."),
    Forbidden = ("forbidden", 403, "无权执行此操作。", "You are not allowed to do this."),
    TenantPending = ("tenant_pending", 403, "服务尚未开通（待付款），暂不能修改。", "The service is not active yet (payment pending); changes are not allowed."),
    TenantOnHold = ("tenant_on_hold", 403, "服务已被暂停，暂不能修改。", "The service is on hold; changes are not allowed."),
    TenantFrozen = ("tenant_frozen", 403, "服务已到期冻结，只能查看和导出数据。", "The subscription has expired and the account is frozen: read and export only."),
    AlreadyExists = ("already_exists", 409, "已存在相同的记录。", "A record with the same value already exists."),
    InvalidTransition = ("invalid_transition", 409, "当前状态不允许此操作。", "The current state does not allow this change."),
    ExportNotReady = ("export_not_ready", 409, "导出文件还在生成中，请稍后再试。", "The export is still being built; try again shortly."),
    ExportExpired = ("export_expired", 410, "下载链接已过期，请重新导出。", "The download link has expired; request a new export."),
    TenantDeletionDue = ("tenant_deletion_due", 409, "宽限期已满，该商户的数据即将删除，不能再续约或付款；删除后请重新开通。", "The grace period is over and the tenant's data is due for deletion: it can no longer be renewed or paid; provision it anew after deletion."),
    PreconditionRequired = ("precondition_required", 428, "保存时须带上 If-Match（页面的 ETag），以免覆盖他人的修改。", "Send If-Match with the page's ETag so that you do not overwrite someone else's change."),
    RevisionMismatch = ("revision_mismatch", 412, "页面已被他人修改，请刷新后再保存。", "The page was changed by someone else; reload it before saving."),
    PageTakenDown = ("page_taken_down", 409, "该页面已被平台下架，处理前不能发布。", "The page was taken down by the platform; it cannot be published until that is lifted."),
    CalendarYearShipped = ("calendar_year_shipped", 409, "该年份的节假日安排随系统发布，不能在此修改。", "This year's arrangement ships with the service and cannot be replaced here."),
    PageLinked = ("page_linked", 409, "已发布的页面链接到此页面，不能下线或删除。", "Published pages link to this page; it cannot be unpublished or deleted."),
    PublishBlocked = ("publish_blocked", 422, "页面有问题，暂不能发布，请按提示修改。", "The page cannot be published yet; fix what details.errors names."),
    QuotaExceeded = ("quota_exceeded", 422, "超出套餐额度。", "This exceeds the plan's quota."),
    RenderFailed = ("render_failed", 422, "页面无法渲染，请检查出错的组件。", "The page cannot be rendered; check the component named in details."),
    FileNotWhole = ("file_not_whole", 422, "文件不完整或末尾附带了其他数据，请重新导出图片后再上传。", "The file is cut short or has data after its end; export the image again and upload that."),
    UnsupportedFileType = ("unsupported_file_type", 422,
 "文件类型不支持：只接受 PNG、JPEG、GIF、WebP 图片和 MP4 视频。", "Unsupported file: only PNG, JPEG, GIF and WebP images and MP4 videos are accepted."),
    InUse = ("in_use", 409, "仍在使用中，不能删除。", "Still in use; it cannot be deleted."),
    IdempotencyKeyReused = ("idempotency_key_reused", 409, "该幂等键已用于另一笔不同的请求。", "This Idempotency-Key was already used for a different request."),
    JobNotRetryable = ("job_not_retryable", 409, "只有失败终止的任务可以重试。", "Only dead jobs can be retried."),
    WechatNotConfigured = ("wechat_not_configured", 503, "尚未配置微信第三方平台，该功能暂不可用。", "The WeChat third-party platform is not configured; this feature is unavailable."),
    WechatTicketMissing = ("wechat_ticket_missing", 503, "尚未收到微信推送的 component_verify_ticket，请稍后再试（微信每 10 分钟推送一次）。", "No component_verify_ticket has arrived from WeChat yet; try again later (WeChat pushes one every 10 minutes)."),
    WechatBusy = ("wechat_busy", 503, "微信凭证正在刷新，请稍后再试。", "A WeChat credential is being refreshed; try again shortly."),
    WechatCallFailed = ("wechat_call_failed", 502, "调用微信接口失败。", "A call to WeChat failed."),
    WechatPushRejected = ("wechat_push_rejected", 400, "微信推送校验失败，已拒绝。", "The WeChat push failed verification and was refused."),
    WechatPushReplayed = ("wechat_push_replayed", 409, "该微信推送已处理过，已拒绝重放。", "This WeChat push was already received; the replay was refused."),
    WechatNotBound = ("wechat_not_bound", 409, "该商户尚未绑定小程序，或授权已被取消。", "The tenant has no bound mini-program, or its authorization was revoked."),
    WechatAppidMismatch = ("wechat_appid_mismatch", 409, "授权的小程序与该商户登记的 AppID 不一致，未绑定。", "The authorized mini-program is not the appid recorded for this tenant; nothing was bound."),
    WechatAppidTaken = ("wechat_appid_taken", 409, "该小程序已绑定到其他商户。", "This mini-program is already bound to another tenant."),
    AuthorizationStateInvalid = ("authorization_state_invalid", 400, "授权链接无效或已过期，请重新获取。", "The authorization link is invalid or has expired; request a new one."),
    WechatPermissionMissing = ("wechat_permission_missing", 409, "授权时未勾选「开发管理」权限，不能发布，请重新授权并勾选。", "Code management (permission set 18) was not granted; authorize again with it to publish."),
    NoCodeTemplate = ("no_code_template", 409, "平台尚未设置当前代码模板。", "The agency has not set a current code template."),
    DeployInProgress = ("deploy_in_progress", 409, "该小程序已有发布流程在进行中。", "A deployment of this mini-program is already in progress."),
    AuthorizationStateUsed = ("authorization_state_used", 409, "该授权链接已使用过，请重新获取。", "This authorization link was already used; request a new one."),
    TooManyAttempts = ("too_many_attempts", 429, "尝试次数过多，请稍后再试。", "Too many attempts; try again later."),
    FeatureNotInPlan = ("feature_not_in_plan", 403, "当前套餐不包含该功能，请联系客户经理升级。", "The plan does not include this feature; ask your account manager to upgrade."),
    SmsTooLong = ("sms_too_long", 422, "短信超过 500 个字符（含签名）。", "The message is over 500 characters (signature included)."),
    SmsNotConfigured = ("sms_not_configured", 503, "尚未配置短信服务商，该功能暂不可用。", "The SMS provider is not configured; this feature is unavailable."),
    InternalError = ("internal_error", 500, "服务器内部错误，请稍后再试。", "Internal server error; try again later."),
    ServiceUnavailable = ("service_unavailable", 503, "服务暂时不可用，请稍后再试。", "The service is temporarily unavailable; try again later."),
}

/// The service's error: a stable code, optional details, and for 5xx the hidden cause.
pub struct AppError {
    code: ErrorCode,
    message: Option<Localized>,
    details: Option<Value>,
    retry_after_secs: Option<u64>,
    source: Option<anyhow::Error>,
}

/// Shorthand for handler and service results.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// An error with the code's default message.
    pub fn new(code: ErrorCode) -> Self {
        Self {
            code,
            message: None,
            details: None,
            retry_after_secs: None,
            source: None,
        }
    }

    /// 422 for one field: `field` is a dotted path or JSON pointer into the request.
    pub fn invalid_field(field: impl Into<String>, reason: Localized) -> Self {
        let field = field.into();
        Self::new(ErrorCode::ValidationFailed)
            .with_message(Localized::new(
                format!("字段 {field} 无效：{}", reason.zh),
                format!("Field {field} is invalid: {}", reason.en),
            ))
            .with_details(serde_json::json!({ "field": field, "reason": reason.en }))
    }

    /// Keeps the parser's own words in `details.reason` (the message says it in the
    /// caller's language).
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        if let Some(Value::Object(details)) = self.details.as_mut() {
            details.insert("reason".into(), Value::String(reason.into()));
        }
        self
    }

    /// 500 with a cause that is logged, never shown.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(ErrorCode::InternalError);
        e.source = Some(cause.into());
        e
    }

    /// Replaces the default message.
    pub fn with_message(mut self, message: Localized) -> Self {
        self.message = Some(message);
        self
    }

    /// Adds machine-readable details.
    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    /// Sets `Retry-After` (seconds).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The details, if any.
    pub fn details(&self) -> Option<&Value> {
        self.details.as_ref()
    }

    /// The message in `lang`.
    pub fn message_in(&self, lang: Lang) -> Cow<'_, str> {
        match &self.message {
            Some(m) => Cow::Borrowed(m.get(lang)),
            None => Cow::Borrowed(self.code.message(lang)),
        }
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppError")
            .field("code", &self.code.as_str())
            .field("details", &self.details)
            .field("source", &self.source)
            .finish()
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message_in(Lang::En))
    }
}

impl std::error::Error for AppError {}

/// The JSON body of every error answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable, documented code (see docs/error-codes.md).
    #[schema(example = "tenant_frozen")]
    pub code: String,
    /// Human-readable message in the requested language.
    pub message: String,
    /// Machine-readable facts (field, limits, current revision, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Value>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            match &self.source {
                Some(cause) => {
                    tracing::error!(error.code = self.code.as_str(), error.cause = %format!("{cause:#}"), "request failed")
                }
                None => tracing::error!(error.code = self.code.as_str(), "request failed"),
            }
        }
        let body = ErrorBody {
            code: self.code.as_str().to_owned(),
            message: self.message_in(current_lang()).into_owned(),
            details: self.details.clone(),
        };
        let mut response = HttpResponse::build(status);
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.json(body)
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        if is_connection_error(&e) {
            let mut err = AppError::new(ErrorCode::ServiceUnavailable);
            err.source = Some(e.into());
            return err;
        }
        AppError::internal(e)
    }
}

impl<E: fmt::Display + fmt::Debug> From<sea_orm::TransactionError<E>> for AppError
where
    E: Into<AppError>,
{
    fn from(e: sea_orm::TransactionError<E>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner.into(),
        }
    }
}

fn is_connection_error(e: &sea_orm::DbErr) -> bool {
    matches!(
        e,
        sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_prefers_the_best_weighted_known_tag() {
        assert_eq!(Lang::from_accept_language(None), Lang::Zh);
        assert_eq!(Lang::from_accept_language(Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("zh-CN,en;q=0.5")), Lang::Zh);
        assert_eq!(Lang::from_accept_language(Some("fr, en;q=0.8")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("de")), Lang::Zh);
        assert_eq!(
            Lang::from_accept_language(Some("zh;q=0.2, en;q=0.7")),
            Lang::En
        );
    }

    #[test]
    fn every_code_is_documented_with_its_status() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/error-codes.md"))
                .expect("docs/error-codes.md exists");
        for code in ErrorCode::ALL {
            let row = format!("| `{}` | {} |", code.as_str(), code.status().as_u16());
            assert!(
                doc.contains(&row),
                "docs/error-codes.md lacks the row {row}"
            );
        }
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {}", code.as_str());
            assert!(
                code.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_')
            );
        }
    }
}
