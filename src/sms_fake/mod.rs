//! A fake Tencent Cloud SMS provider for tests and demos: a real HTTP server on 127.0.0.1
//! that checks the TC3 signature like Tencent does, answers one status per number, fails
//! chosen numbers or whole requests, keeps what it "sent", and posts delivery receipts
//! to the app's callback URL.

use crate::sms::{Receipt, tc3};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the fake is set up.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// The API key id it accepts.
    pub secret_id: String,
    /// The API key secret it checks signatures with.
    pub secret_key: String,
    /// The `SmsSdkAppId` it accepts.
    pub sdk_app_id: String,
    /// Where receipts go (the app's `/sms/receipts/{token}`); none = no receipts.
    pub receipt_url: Option<String>,
}

/// A whole-request failure for the next `count` requests.
#[derive(Clone, Debug)]
pub enum RequestFault {
    /// Answer `Response.Error` with this code.
    Error(String),
    /// Answer HTTP 500.
    Http500,
}

/// One message the fake accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SentSms {
    /// E.164 number.
    pub phone: String,
    /// Template id.
    pub template_id: String,
    /// Signature text.
    pub sign_name: String,
    /// Template values.
    pub params: Vec<String>,
    /// The request's `SessionContext`.
    pub session_context: String,
    /// The serial number it answered.
    pub serial_no: String,
}

#[derive(Default)]
struct Behaviour {
    failing_numbers: HashMap<String, String>,
    undelivered: HashSet<String>,
    faults: Vec<(RequestFault, u32)>,
    duplicate_receipts: bool,
    template_params: HashMap<String, usize>,
}

/// The fake's state, shared with its server.
pub struct FakeSms {
    config: FakeConfig,
    receipt_url: Mutex<Option<String>>,
    behaviour: Mutex<Behaviour>,
    sent: Mutex<Vec<SentSms>>,
    requests: AtomicU64,
    refused: Mutex<Vec<String>>,
    serial: AtomicU64,
    http: reqwest::Client,
}

/// A running fake.
pub struct FakeSmsServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    fake: Arc<FakeSms>,
    handle: actix_web::dev::ServerHandle,
}

impl std::ops::Deref for FakeSmsServer {
    type Target = FakeSms;
    fn deref(&self) -> &FakeSms {
        &self.fake
    }
}

impl FakeSmsServer {
    /// Stops the server.
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts the fake on `bind` (e.g. `127.0.0.1:0`).
pub async fn start(config: FakeConfig, bind: &str) -> anyhow::Result<FakeSmsServer> {
    let fake = Arc::new(FakeSms {
        receipt_url: Mutex::new(config.receipt_url.clone()),
        config,
        behaviour: Mutex::new(Behaviour::default()),
        sent: Mutex::new(Vec::new()),
        requests: AtomicU64::new(0),
        refused: Mutex::new(Vec::new()),
        serial: AtomicU64::new(1),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?,
    });
    let listener = std::net::TcpListener::bind(bind)?;
    let port = listener.local_addr()?.port();
    let data = web::Data::new(fake.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(1024 * 1024))
            .default_service(web::to(handle))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(FakeSmsServer {
        base_url: format!("http://127.0.0.1:{port}"),
        fake,
        handle,
    })
}

impl FakeSms {
    /// Where receipts go from now on.
    pub fn set_receipt_url(&self, url: Option<String>) {
        *locked(&self.receipt_url) = url;
    }

    /// Numbers (E.164 or 11 digits) the provider refuses, with the code it answers.
    pub fn fail_number(&self, phone: &str, code: &str) {
        locked(&self.behaviour)
            .failing_numbers
            .insert(e164(phone), code.to_owned());
    }

    /// Numbers whose receipt reports `FAIL` (`UNDELIV`).
    pub fn undeliverable(&self, phone: &str) {
        locked(&self.behaviour).undelivered.insert(e164(phone));
    }

    /// The next `count` requests fail as a whole.
    pub fn fail_requests(&self, fault: RequestFault, count: u32) {
        locked(&self.behaviour).faults.push((fault, count));
    }

    /// Post every receipt twice (the provider retries a push it thinks failed).
    pub fn duplicate_receipts(&self, on: bool) {
        locked(&self.behaviour).duplicate_receipts = on;
    }

    /// Declares how many parameters a template takes (a mismatch is refused).
    pub fn template(&self, template_id: &str, params: usize) {
        locked(&self.behaviour)
            .template_params
            .insert(template_id.to_owned(), params);
    }

    /// Everything accepted so far.
    pub fn sent(&self) -> Vec<SentSms> {
        locked(&self.sent).clone()
    }

    /// Requests received (including refused ones).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Codes of the requests refused as a whole, in order.
    pub fn refused(&self) -> Vec<String> {
        locked(&self.refused).clone()
    }

    fn next_fault(&self) -> Option<RequestFault> {
        let mut b = locked(&self.behaviour);
        let (fault, count) = b.faults.first_mut()?;
        let fault = fault.clone();
        *count -= 1;
        if *count == 0 {
            b.faults.remove(0);
        }
        Some(fault)
    }

    /// Tencent's checks of the request envelope; `Err(code)` refuses the whole request.
    fn verify(&self, req: &HttpRequest, body: &[u8]) -> Result<Value, String> {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        if header("X-TC-Action") != "SendSms" {
            return Err("InvalidAction".into());
        }
        if header("X-TC-Version") != "2021-01-11" {
            return Err("InvalidParameterValue.VersionMismatch".into());
        }
        let timestamp: i64 = header("X-TC-Timestamp")
            .parse()
            .map_err(|_| "MissingParameter".to_owned())?;
        if (chrono::Utc::now().timestamp() - timestamp).abs() > 300 {
            return Err("AuthFailure.SignatureExpire".into());
        }
        let (id, scope, signed, signature) = tc3::parse_authorization(&header("Authorization"))
            .ok_or_else(|| "AuthFailure.SignatureFailure".to_owned())?;
        if id != self.config.secret_id {
            return Err("AuthFailure.SecretIdNotFound".into());
        }
        let action = signed
            .split(';')
            .any(|h| h == "x-tc-action")
            .then_some("SendSms");
        let expected = tc3::sign(
            &self.config.secret_key,
            &tc3::SigningInput {
                host: &header("Host"),
                content_type: &header("Content-Type"),
                action,
                service: "sms",
                timestamp,
                body,
            },
        );
        let same =
            subtle::ConstantTimeEq::ct_eq(expected.signature.as_bytes(), signature.as_bytes());
        if !bool::from(same)
            || expected.credential_scope != scope
            || expected.signed_headers != signed
        {
            return Err("AuthFailure.SignatureFailure".into());
        }
        let value: Value =
            serde_json::from_slice(body).map_err(|_| "FailedOperation.JsonParseFail".to_owned())?;
        if value["SmsSdkAppId"].as_str() != Some(self.config.sdk_app_id.as_str()) {
            return Err("UnauthorizedOperation.SmsSdkAppIdVerifyFail".into());
        }
        Ok(value)
    }

    fn answer(&self, body: &Value) -> Result<(Value, Vec<Receipt>), String> {
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let phones = strings(&body["PhoneNumberSet"]);
        if phones.is_empty() {
            return Err("MissingParameter.EmptyPhoneNumberSet".into());
        }
        if phones.len() > crate::sms::MAX_NUMBERS_PER_REQUEST {
            return Err("LimitExceeded.PhoneNumberCountLimit".into());
        }
        let template_id = body["TemplateId"].as_str().unwrap_or_default().to_owned();
        let params = strings(&body["TemplateParamSet"]);
        let sign_name = body["SignName"].as_str().unwrap_or_default().to_owned();
        if sign_name.is_empty() {
            return Err("FailedOperation.SignatureIncorrectOrUnapproved".into());
        }
        let behaviour = locked(&self.behaviour);
        if let Some(n) = behaviour.template_params.get(&template_id)
            && *n != params.len()
        {
            return Err("FailedOperation.TemplateParamSetNotMatchApprovedTemplate".into());
        }
        let context = body["SessionContext"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let received_at = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string();
        let mut statuses = Vec::new();
        let mut receipts = Vec::new();
        let mut sent = locked(&self.sent);
        for phone in phones {
            let normalized = e164(&phone);
            let refusal = if !is_mainland_mobile(&normalized) {
                Some("InvalidParameterValue.IncorrectPhoneNumber".to_owned())
            } else {
                behaviour.failing_numbers.get(&normalized).cloned()
            };
            if let Some(code) = refusal {
                statuses.push(json!({"SerialNo": "", "PhoneNumber": normalized, "Fee": 0,
                    "SessionContext": context, "Code": code, "Message": "refused by the fake provider", "IsoCode": "CN"}));
                continue;
            }
            let serial_no = format!("5000:{}", self.serial.fetch_add(1, Ordering::SeqCst));
            statuses.push(json!({"SerialNo": serial_no, "PhoneNumber": normalized, "Fee": 1,
                "SessionContext": context, "Code": "Ok", "Message": "send success", "IsoCode": "CN"}));
            let delivered = !behaviour.undelivered.contains(&normalized);
            receipts.push(Receipt {
                sid: serial_no.clone(),
                report_status: if delivered { "SUCCESS" } else { "FAIL" }.into(),
                errmsg: if delivered { "DELIVRD" } else { "UNDELIV" }.into(),
                description: if delivered {
                    "用户短信送达成功"
                } else {
                    "用户短信未送达"
                }
                .into(),
                user_receive_time: received_at.clone(),
                mobile: normalized.trim_start_matches("+86").to_owned(),
                nationcode: "86".into(),
                ext: context.clone(),
            });
            sent.push(SentSms {
                phone: normalized,
                template_id: template_id.clone(),
                sign_name: sign_name.clone(),
                params: params.clone(),
                session_context: context.clone(),
                serial_no,
            });
        }
        if behaviour.duplicate_receipts {
            let again = receipts.clone();
            receipts.extend(again);
        }
        Ok((
            json!({ "Response": { "SendStatusSet": statuses, "RequestId": uuid::Uuid::now_v7().to_string() } }),
            receipts,
        ))
    }

    /// Posts `receipts` to the receipt URL in pushes of at most 100.
    async fn push_receipts(self: Arc<Self>, receipts: Vec<Receipt>) {
        let Some(url) = locked(&self.receipt_url).clone() else {
            return;
        };
        for chunk in receipts.chunks(100) {
            if let Err(e) = self.http.post(&url).json(chunk).send().await {
                tracing::warn!(error = %e.without_url(), "fake SMS provider: receipt push failed");
            }
        }
    }
}

fn refusal(code: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "Response": { "Error": { "Code": code, "Message": format!("{code} (fake provider)") }, "RequestId": uuid::Uuid::now_v7().to_string() } }))
}

/// The control API for demos: `GET /__fake/sent` lists what was sent,
/// `POST /__fake/fail-number {"phone", "code"}` makes a number fail,
/// `POST /__fake/undeliverable {"phone"}` makes its receipt `FAIL`.
fn control(req: &HttpRequest, body: &[u8], fake: &FakeSms) -> Option<HttpResponse> {
    let path = req.path().strip_prefix("/__fake/")?;
    let input: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let phone = input["phone"].as_str().unwrap_or_default();
    Some(match path {
        "sent" => HttpResponse::Ok().json(
            fake.sent()
                .into_iter()
                .map(|s| json!({"phone": s.phone, "template_id": s.template_id, "sign_name": s.sign_name,
                                "params": s.params, "session_context": s.session_context, "serial_no": s.serial_no}))
                .collect::<Vec<_>>(),
        ),
        "fail-number" if !phone.is_empty() => {
            fake.fail_number(phone, input["code"].as_str().unwrap_or("FailedOperation.PhoneNumberInBlacklist"));
            HttpResponse::NoContent().finish()
        }
        "undeliverable" if !phone.is_empty() => {
            fake.undeliverable(phone);
            HttpResponse::NoContent().finish()
        }
        _ => HttpResponse::NotFound().finish(),
    })
}

async fn handle(req: HttpRequest, body: web::Bytes, fake: web::Data<Arc<FakeSms>>) -> HttpResponse {
    if let Some(answer) = control(&req, &body, &fake) {
        return answer;
    }
    fake.requests.fetch_add(1, Ordering::SeqCst);
    let fake = fake.get_ref().clone();
    let outcome = fake
        .verify(&req, &body)
        .and_then(|value| match fake.next_fault() {
            Some(RequestFault::Http500) => Err(String::new()),
            Some(RequestFault::Error(code)) => Err(code),
            None => fake.answer(&value),
        });
    match outcome {
        Ok((answer, receipts)) => {
            actix_web::rt::spawn(fake.push_receipts(receipts));
            HttpResponse::Ok().json(answer)
        }
        Err(code) if code.is_empty() => HttpResponse::InternalServerError().finish(),
        Err(code) => {
            locked(&fake.refused).push(code.clone());
            refusal(&code)
        }
    }
}

/// `+86` + 11 digits from any of the accepted spellings.
fn e164(phone: &str) -> String {
    let digits = phone
        .strip_prefix("+86")
        .or_else(|| phone.strip_prefix("0086"))
        .unwrap_or(phone);
    let digits = if digits.len() == 13 && digits.starts_with("86") {
        &digits[2..]
    } else {
        digits
    };
    format!("+86{digits}")
}

fn is_mainland_mobile(e164: &str) -> bool {
    let d = e164.trim_start_matches("+86").as_bytes();
    d.len() == 11
        && d.iter().all(u8::is_ascii_digit)
        && d[0] == b'1'
        && (b'3'..=b'9').contains(&d[1])
}
