//! A stateful WeChat third-party-platform simulator: a real HTTP server on 127.0.0.1 that
//! answers the endpoints the product calls (PROTOCOL.md) with WeChat's rules, pushes
//! encrypted tickets, authorization events and audit results to the app's callback URLs,
//! injects faults, keeps a call log and runs on its own controllable clock.
//!
//! The tests start it in-process; `weapp-builder wechat-sim` runs it by hand for demos.
//! It shares only the push codec with the product (checked against the official vectors).

pub mod state;

use crate::wechat::crypto::{PushCrypto, flat_xml, sha1_signature};
use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use state::{AuditOutcome, Platform, TokenOwner, WxErr};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the simulator is set up.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// The platform's component appid.
    pub component_appid: String,
    /// The platform's component secret.
    pub component_secret: String,
    /// Push token (signatures).
    pub push_token: String,
    /// 43-character EncodingAESKey.
    pub encoding_aes_key: String,
    /// Where authorization events and tickets go (the app's `/wechat/component/events`).
    pub component_callback_url: Option<String>,
    /// Where message events go; `$APPID$` is replaced by the mini-program's appid.
    pub message_callback_url: Option<String>,
    /// Push a new ticket this often (0 = only when asked).
    pub ticket_interval_secs: u64,
}

/// An injected fault.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FaultMode {
    /// Answer HTTP 500 without applying the call.
    Http500,
    /// Answer `{"errcode":-1}` (system busy) without applying the call.
    Busy,
    /// Answer with this errcode without applying the call.
    Errcode {
        /// The errcode.
        errcode: i64,
    },
    /// Wait, then apply and answer normally.
    Slow {
        /// Delay in milliseconds.
        delay_ms: u64,
    },
    /// Apply the call, then drop the connection before the answer completes.
    Drop,
}

/// A fault for the next `count` calls to `path` (`*` = any API path).
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Fault {
    /// API path, e.g. `/wxa/commit`, or `*`.
    pub path: String,
    /// What happens.
    #[serde(flatten)]
    pub mode: FaultMode,
    /// How many calls it affects.
    pub count: u32,
}

/// One API call as the simulator saw it.
#[derive(Clone, Debug, Serialize)]
pub struct CallRecord {
    /// Order of arrival.
    pub seq: u64,
    /// Sim time (unix seconds).
    pub at: i64,
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// `component`, `authorizer:<appid>` or empty.
    pub caller: String,
    /// 0 on success, else the errcode answered (-500 for an injected HTTP 500).
    pub errcode: i64,
    /// The injected fault, if any.
    pub fault: Option<String>,
}

/// A push waiting for `flush_pushes` (authorization events the test wants delivered late).
#[derive(Clone, Debug)]
struct HeldPush {
    to_component: bool,
    appid: String,
    xml: String,
}

/// The outcome of delivering one push.
#[derive(Clone, Debug, Serialize)]
pub struct PushOutcome {
    /// HTTP status the app answered.
    pub status: u16,
    /// Body the app answered.
    pub body: String,
}

/// The running simulator's shared state.
pub struct Simulator {
    config: SimConfig,
    crypto: PushCrypto,
    clock_offset: AtomicI64,
    platform: Mutex<Platform>,
    faults: Mutex<Vec<Fault>>,
    calls: Mutex<Vec<CallRecord>>,
    held: Mutex<Vec<HeldPush>>,
    callbacks: Mutex<(Option<String>, Option<String>)>,
    http: reqwest::Client,
}

/// A started simulator.
pub struct SimServer {
    /// `http://127.0.0.1:<port>`: both the API base and the authorization-page base.
    pub base_url: String,
    /// The simulator itself.
    pub sim: Arc<Simulator>,
    handle: actix_web::dev::ServerHandle,
}

impl SimServer {
    /// Stops the HTTP server.
    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

impl std::ops::Deref for SimServer {
    type Target = Simulator;
    fn deref(&self) -> &Simulator {
        &self.sim
    }
}

/// Starts the simulator on `bind` (e.g. `127.0.0.1:0`).
pub async fn start(config: SimConfig, bind: &str) -> anyhow::Result<SimServer> {
    let crypto = PushCrypto::new(
        &config.push_token,
        &config.encoding_aes_key,
        &config.component_appid,
    )
    .map_err(|e| anyhow::anyhow!("simulator keys: {e}"))?;
    let now = chrono::Utc::now().timestamp();
    let sim = Arc::new(Simulator {
        platform: Mutex::new(Platform::new(
            &config.component_appid,
            &config.component_secret,
            now,
        )),
        callbacks: Mutex::new((
            config.component_callback_url.clone(),
            config.message_callback_url.clone(),
        )),
        config,
        crypto,
        clock_offset: AtomicI64::new(0),
        faults: Mutex::new(Vec::new()),
        calls: Mutex::new(Vec::new()),
        held: Mutex::new(Vec::new()),
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?,
    });
    let listener = std::net::TcpListener::bind(bind)?;
    let port = listener.local_addr()?.port();
    let data = web::Data::new(sim.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
            .default_service(web::to(dispatch))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    if sim.config.ticket_interval_secs > 0 {
        let every = Duration::from_secs(sim.config.ticket_interval_secs);
        let ticking = sim.clone();
        actix_web::rt::spawn(async move {
            loop {
                if let Err(e) = ticking.push_ticket().await {
                    tracing::warn!(error = %e, "simulator: ticket push failed");
                }
                actix_web::rt::time::sleep(every).await;
            }
        });
    }
    Ok(SimServer {
        base_url: format!("http://127.0.0.1:{port}"),
        sim,
        handle,
    })
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Simulator {
    /// The simulator's "now" (unix seconds): real time plus the offset.
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.clock_offset.load(Ordering::SeqCst)
    }

    /// Moves the simulator's clock forward.
    pub fn advance(&self, secs: i64) {
        self.clock_offset.fetch_add(secs, Ordering::SeqCst);
    }

    /// Points the pushes at the app.
    pub fn set_callbacks(&self, component: Option<String>, message: Option<String>) {
        *locked(&self.callbacks) = (component, message);
    }

    /// Fails the next calls as `fault` says.
    pub fn inject(&self, fault: Fault) {
        locked(&self.faults).push(fault);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        locked(&self.faults).clear();
    }

    /// The call log so far.
    pub fn calls(&self) -> Vec<CallRecord> {
        locked(&self.calls).clone()
    }

    /// How many calls reached `path` (including failed ones).
    pub fn count(&self, path: &str) -> usize {
        locked(&self.calls)
            .iter()
            .filter(|c| c.path == path)
            .count()
    }

    /// Every token, ticket and refresh token the simulator ever issued.
    pub fn issued_secrets(&self) -> Vec<String> {
        locked(&self.platform).issued.clone()
    }

    /// Runs `f` on the platform state (tests inspect apps, quotas, templates).
    pub fn with_platform<R>(&self, f: impl FnOnce(&mut Platform) -> R) -> R {
        f(&mut locked(&self.platform))
    }

    /// Sets the provider-wide monthly audit quota and the privacy-scan duration.
    pub fn configure(&self, audit_quota: Option<i64>, privacy_scan_secs: Option<i64>) {
        let mut p = locked(&self.platform);
        if let Some(q) = audit_quota {
            p.audit_quota_limit = q;
        }
        if let Some(s) = privacy_scan_secs {
            p.privacy_scan_secs = s;
        }
    }

    /// Issues a new ticket and pushes it to the component callback.
    pub async fn push_ticket(&self) -> anyhow::Result<PushOutcome> {
        let now = self.now();
        let ticket = locked(&self.platform).new_ticket(now);
        let xml = flat_xml([
            ("AppId", self.config.component_appid.as_str()),
            ("CreateTime", now.to_string().as_str()),
            ("InfoType", "component_verify_ticket"),
            ("ComponentVerifyTicket", ticket.as_str()),
        ]);
        self.deliver(true, "", &xml).await
    }

    /// The merchant revokes the authorization; pushes `unauthorized`.
    pub async fn unauthorize(&self, appid: &str) -> anyhow::Result<PushOutcome> {
        if !locked(&self.platform).unauthorize(appid) {
            anyhow::bail!("unknown appid {appid}");
        }
        let now = self.now().to_string();
        let xml = flat_xml([
            ("AppId", self.config.component_appid.as_str()),
            ("CreateTime", now.as_str()),
            ("InfoType", "unauthorized"),
            ("AuthorizerAppid", appid),
        ]);
        self.deliver(true, "", &xml).await
    }

    /// The reviewer decides the app's audit; pushes the `weapp_audit_*` event.
    pub async fn decide_audit(
        &self,
        appid: &str,
        outcome: AuditOutcome,
        reason: &str,
    ) -> anyhow::Result<PushOutcome> {
        let (event, user_name) = {
            let mut p = locked(&self.platform);
            let event = p
                .decide_audit(appid, outcome, reason)
                .map_err(|e| anyhow::anyhow!("{} {}", e.0, e.1))?;
            (event, p.apps[appid].user_name.clone())
        };
        let now = self.now().to_string();
        let mut fields = vec![
            ("ToUserName", user_name.as_str()),
            ("FromUserName", "o_system_openid"),
            ("CreateTime", now.as_str()),
            ("MsgType", "event"),
            ("Event", event),
        ];
        match outcome {
            AuditOutcome::Pass => fields.push(("SuccTime", now.as_str())),
            AuditOutcome::Fail => fields.extend([
                ("Reason", reason),
                ("FailTime", now.as_str()),
                ("ScreenShot", ""),
            ]),
            AuditOutcome::Delay => fields.extend([("Reason", reason), ("DelayTime", now.as_str())]),
        }
        let xml = flat_xml(fields);
        self.deliver(false, appid, &xml).await
    }

    /// Delivers held authorization events (authorizations confirmed with `sim_event=later`).
    pub async fn flush_pushes(&self) -> anyhow::Result<Vec<PushOutcome>> {
        let held: Vec<HeldPush> = std::mem::take(&mut *locked(&self.held));
        let mut out = Vec::new();
        for push in held {
            out.push(
                self.deliver(push.to_component, &push.appid, &push.xml)
                    .await?,
            );
        }
        Ok(out)
    }

    /// Encrypts `xml` exactly as WeChat does and POSTs it to the component or message URL.
    pub async fn deliver(
        &self,
        to_component: bool,
        appid: &str,
        xml: &str,
    ) -> anyhow::Result<PushOutcome> {
        let (component, message) = locked(&self.callbacks).clone();
        let url = if to_component {
            component.ok_or_else(|| anyhow::anyhow!("no component callback URL"))?
        } else {
            message
                .ok_or_else(|| anyhow::anyhow!("no message callback URL"))?
                .replace("$APPID$", appid)
        };
        let (query, body) = self.sealed_push(to_component, appid, xml);
        let res = self.http.post(&url).query(&query).body(body).send().await?;
        Ok(PushOutcome {
            status: res.status().as_u16(),
            body: res.text().await.unwrap_or_default(),
        })
    }

    /// The query string and envelope of a push of `xml`, signed with the current sim time.
    pub fn sealed_push(
        &self,
        to_component: bool,
        appid: &str,
        xml: &str,
    ) -> (Vec<(String, String)>, String) {
        let timestamp = self.now().to_string();
        let nonce = (rand::random::<u32>() % 1_000_000_000).to_string();
        let encrypt = self.crypto.encrypt(xml);
        let msg_signature = self.crypto.msg_signature(&timestamp, &nonce, &encrypt);
        let signature = sha1_signature(&[&self.config.push_token, &timestamp, &nonce]);
        let envelope = if to_component {
            flat_xml([
                ("AppId", self.config.component_appid.as_str()),
                ("Encrypt", encrypt.as_str()),
            ])
        } else {
            let user_name = locked(&self.platform)
                .apps
                .get(appid)
                .map(|a| a.user_name.clone())
                .unwrap_or_default();
            flat_xml([
                ("ToUserName", user_name.as_str()),
                ("Encrypt", encrypt.as_str()),
            ])
        };
        let query = vec![
            ("signature".to_owned(), signature),
            ("timestamp".to_owned(), timestamp),
            ("nonce".to_owned(), nonce),
            ("encrypt_type".to_owned(), "aes".to_owned()),
            ("msg_signature".to_owned(), msg_signature),
        ];
        (query, envelope)
    }

    fn take_fault(&self, path: &str) -> Option<FaultMode> {
        let mut faults = locked(&self.faults);
        let i = faults
            .iter()
            .position(|f| f.count > 0 && (f.path == path || f.path == "*"))?;
        faults[i].count -= 1;
        let mode = faults[i].mode.clone();
        if faults[i].count == 0 {
            faults.remove(i);
        }
        Some(mode)
    }

    fn log_call(
        &self,
        method: &str,
        path: &str,
        caller: String,
        errcode: i64,
        fault: Option<&FaultMode>,
    ) {
        let mut calls = locked(&self.calls);
        let seq = calls.len() as u64 + 1;
        calls.push(CallRecord {
            seq,
            at: self.now(),
            method: method.to_owned(),
            path: path.to_owned(),
            caller,
            errcode,
            fault: fault.map(|f| format!("{f:?}")),
        });
    }
}

/// What an API call answers when it succeeds.
enum Reply {
    Json(Value),
    Image(Vec<u8>),
}

/// Every API path the simulator serves, with the one HTTP method WeChat accepts for it
/// (PROTOCOL.md §1 and §3, kept in `docs/wechat-api.md`; a unit test holds the two
/// together). A path missing here is answered "no such api", never guessed.
pub const API_METHODS: &[(&str, &str)] = &[
    ("/cgi-bin/component/api_start_push_ticket", "POST"),
    ("/cgi-bin/component/api_component_token", "POST"),
    ("/cgi-bin/component/api_create_preauthcode", "POST"),
    ("/cgi-bin/component/api_query_auth", "POST"),
    ("/cgi-bin/component/api_authorizer_token", "POST"),
    ("/cgi-bin/component/api_get_authorizer_info", "POST"),
    ("/cgi-bin/component/api_get_authorizer_list", "POST"),
    ("/wxa/gettemplatelist", "GET"),
    ("/wxa/modify_domain", "POST"),
    ("/wxa/setwebviewdomain", "POST"),
    ("/wxa/commit", "POST"),
    ("/wxa/security/get_code_privacy_info", "GET"),
    ("/wxa/get_page", "GET"),
    ("/wxa/get_category", "GET"),
    ("/wxa/get_qrcode", "GET"),
    ("/wxa/getversioninfo", "POST"),
    ("/wxa/queryquota", "GET"),
    ("/wxa/submit_audit", "POST"),
    ("/wxa/get_auditstatus", "POST"),
    ("/wxa/get_latest_auditstatus", "GET"),
    ("/wxa/undocodeaudit", "GET"),
    ("/wxa/release", "POST"),
    ("/wxa/revertcoderelease", "GET"),
    ("/wxa/grayrelease", "POST"),
    ("/wxa/revertgrayrelease", "GET"),
    ("/wxa/getgrayreleaseplan", "GET"),
    ("/wxa/change_visitstatus", "POST"),
    ("/wxa/getvisitstatus", "POST"),
];

/// The method WeChat accepts for `path`, if the simulator knows the path.
pub fn api_method(path: &str) -> Option<&'static str> {
    API_METHODS
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, m)| *m)
}

/// A tiny JPEG (SOI, JFIF APP0, EOI): the "experience QR code".
const QR_JPEG: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9,
];

fn query_map(req: &HttpRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect()
}

async fn dispatch(
    req: HttpRequest,
    body: web::Bytes,
    sim: web::Data<Arc<Simulator>>,
) -> HttpResponse {
    let path = req.path().to_owned();
    if let Some(control) = path.strip_prefix("/__sim/") {
        return control_api(&sim, req.method().as_str(), control, &body).await;
    }
    if path == "/cgi-bin/componentloginpage" {
        return authorization_page(&sim, &query_map(&req)).await;
    }
    let method = req.method().as_str().to_owned();
    let fault = sim.take_fault(&path);
    let answer_err = |code: i64, msg: &str| {
        HttpResponse::Ok().json(
            json!({"errcode": code, "errmsg": format!("{msg} rid: {:08x}", rand::random::<u32>())}),
        )
    };
    match &fault {
        Some(FaultMode::Http500) => {
            sim.log_call(&method, &path, String::new(), -500, fault.as_ref());
            return HttpResponse::InternalServerError().body("simulated server error");
        }
        Some(FaultMode::Busy) => {
            sim.log_call(&method, &path, String::new(), -1, fault.as_ref());
            return answer_err(-1, "system error");
        }
        Some(FaultMode::Errcode { errcode }) => {
            sim.log_call(&method, &path, String::new(), *errcode, fault.as_ref());
            return answer_err(*errcode, "simulated error");
        }
        Some(FaultMode::Slow { delay_ms }) => {
            actix_web::rt::time::sleep(Duration::from_millis(*delay_ms)).await;
        }
        _ => {}
    }
    let query = query_map(&req);
    let parsed = if body.iter().all(u8::is_ascii_whitespace) {
        Ok(None)
    } else {
        serde_json::from_slice::<Value>(&body).map(Some)
    };
    let (caller, result) = match parsed {
        Err(_) => (String::new(), Err(WxErr(47001, "data format error"))),
        Ok(json_body) => {
            let now = sim.now();
            let mut platform = locked(&sim.platform);
            api_call(
                &mut platform,
                &method,
                &path,
                &query,
                json_body.as_ref(),
                now,
            )
        }
    };
    let errcode = result.as_ref().err().map(|e| e.0).unwrap_or(0);
    sim.log_call(&method, &path, caller, errcode, fault.as_ref());
    if path == "/cgi-bin/component/api_start_push_ticket" && errcode == 0 {
        let pushing = sim.clone();
        actix_web::rt::spawn(async move {
            let _ = pushing.push_ticket().await;
        });
    }
    let response = match result {
        Ok(Reply::Json(v)) => HttpResponse::Ok().json(v),
        Ok(Reply::Image(bytes)) => HttpResponse::Ok()
            .content_type("image/jpeg")
            .insert_header(("Content-disposition", "attachment; filename=\"QRCode.jpg\""))
            .body(bytes),
        Err(WxErr(code, msg)) => answer_err(code, msg),
    };
    if fault == Some(FaultMode::Drop) {
        // The call was applied; the caller never learns the outcome.
        let stream = futures_util::stream::once(async {
            Err::<web::Bytes, std::io::Error>(std::io::Error::other("simulated connection drop"))
        });
        return HttpResponse::Ok()
            .content_type("application/json")
            .streaming(stream);
    }
    response
}

fn api_call(
    p: &mut Platform,
    method: &str,
    path: &str,
    query: &HashMap<String, String>,
    body: Option<&Value>,
    now: i64,
) -> (String, Result<Reply, WxErr>) {
    match api_method(path) {
        None => return (String::new(), Err(WxErr(404, "no such api"))),
        Some("GET") if method != "GET" => {
            return (String::new(), Err(WxErr(43001, "require GET method")));
        }
        Some("POST") if method != "POST" => {
            return (String::new(), Err(WxErr(43002, "require POST method")));
        }
        Some(_) => {}
    }
    let empty = json!({});
    let b = body.unwrap_or(&empty);
    let token = query
        .get("component_access_token")
        .or_else(|| query.get("access_token"))
        .map(String::as_str);
    let json_reply = |r: Result<Value, WxErr>| r.map(Reply::Json);
    match path {
        "/cgi-bin/component/api_start_push_ticket" => {
            (String::new(), json_reply(p.start_push_ticket(b)))
        }
        "/cgi-bin/component/api_component_token" => {
            (String::new(), json_reply(p.component_token(b, now)))
        }
        _ if path.starts_with("/cgi-bin/component/") || path == "/wxa/gettemplatelist" => {
            match p.check_token(token, now) {
                Ok(TokenOwner::Component) => {}
                Ok(TokenOwner::Authorizer(_)) => {
                    return (String::new(), Err(WxErr(40001, "invalid credential")));
                }
                Err(e) => return (String::new(), Err(e)),
            }
            let caller = "component".to_owned();
            let r = match path {
                "/cgi-bin/component/api_create_preauthcode" => p.create_pre_auth_code(b, now),
                "/cgi-bin/component/api_query_auth" => p.query_auth(b, now),
                "/cgi-bin/component/api_authorizer_token" => p.authorizer_token(b, now),
                "/cgi-bin/component/api_get_authorizer_info" => p.authorizer_info(b),
                "/cgi-bin/component/api_get_authorizer_list" => p.authorizer_list(b),
                "/wxa/gettemplatelist" => p.template_list(),
                _ => Err(WxErr(48001, "api unauthorized")),
            };
            (caller, json_reply(r))
        }
        _ if path.starts_with("/wxa/") => {
            let appid = match p.check_token(token, now) {
                Ok(TokenOwner::Authorizer(appid)) => appid,
                Ok(TokenOwner::Component) => {
                    return (
                        "component".into(),
                        Err(WxErr(86000, "should be called only from third party")),
                    );
                }
                Err(e) => return (String::new(), Err(e)),
            };
            let caller = format!("authorizer:{appid}");
            if path == "/wxa/get_qrcode" {
                let committed = p.apps.get(&appid).is_some_and(|a| a.commit.is_some());
                return if committed {
                    (caller, Ok(Reply::Image(QR_JPEG.to_vec())))
                } else {
                    (caller, Err(WxErr(86001, "no code committed")))
                };
            }
            let r = p.authorizer_call(&appid, path, query, body, now);
            (caller, json_reply(r))
        }
        _ => (String::new(), Err(WxErr(404, "no such api"))),
    }
}

/// The platform's authorization page: a form for people; with `sim_appid` (the form's
/// submit, or a test) the authorization happens and the browser is sent back.
async fn authorization_page(sim: &Arc<Simulator>, q: &HashMap<String, String>) -> HttpResponse {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("");
    let bad = |msg: &str| {
        HttpResponse::BadRequest()
            .content_type("text/html; charset=utf-8")
            .body(format!(
                "<!doctype html><p>授权失败 / authorization failed: {}</p>",
                html_escape(msg)
            ))
    };
    if get("component_appid") != sim.config.component_appid {
        return bad("unknown component_appid");
    }
    if get("redirect_uri").is_empty() || get("pre_auth_code").is_empty() {
        return bad("redirect_uri and pre_auth_code are required");
    }
    if get("auth_type") == "1" {
        return bad("auth_type=1 allows only official accounts");
    }
    let appid = get("sim_appid");
    if appid.is_empty() {
        let hidden: String = q
            .iter()
            .map(|(k, v)| {
                format!(
                    "<input type=hidden name=\"{}\" value=\"{}\">",
                    html_escape(k),
                    html_escape(v)
                )
            })
            .collect();
        let preset = html_escape(get("biz_appid"));
        return HttpResponse::Ok().content_type("text/html; charset=utf-8").body(format!(
            "<!doctype html><meta charset=utf-8><title>模拟授权</title><h1>WeChat simulator: authorize a mini-program</h1>\
             <form method=get>{hidden}<p>Mini-program appid <input name=sim_appid value=\"{preset}\" required></p>\
             <p>Permission sets (comma-separated; 18 = code management) <input name=sim_func_ids value=\"17,18\"></p>\
             <button>确认授权 / Authorize</button></form>"
        ));
    }
    let biz = get("biz_appid");
    if !biz.is_empty() && biz != appid {
        return bad("this link is limited to another mini-program (biz_appid)");
    }
    let func_ids: Vec<i64> = get("sim_func_ids")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let func_ids = if q.contains_key("sim_func_ids") {
        func_ids
    } else {
        vec![17, 18]
    };
    let now = sim.now();
    let code = match locked(&sim.platform).authorize(get("pre_auth_code"), appid, &func_ids, now) {
        Ok(code) => code,
        Err(WxErr(_, msg)) => return bad(msg),
    };
    let xml = flat_xml([
        ("AppId", sim.config.component_appid.as_str()),
        ("CreateTime", now.to_string().as_str()),
        ("InfoType", "authorized"),
        ("AuthorizerAppid", appid),
        ("AuthorizationCode", code.as_str()),
        (
            "AuthorizationCodeExpiredTime",
            (now + state::AUTH_CODE_TTL_SECS).to_string().as_str(),
        ),
        ("PreAuthCode", get("pre_auth_code")),
    ]);
    match get("sim_event") {
        "none" => {}
        "later" => locked(&sim.held).push(HeldPush {
            to_component: true,
            appid: appid.to_owned(),
            xml,
        }),
        _ => {
            let pushing = sim.clone();
            let _ = pushing.deliver(true, "", &xml).await;
        }
    }
    let mut target = match url::Url::parse(get("redirect_uri")) {
        Ok(u) => u,
        Err(_) => return bad("redirect_uri is not a URL"),
    };
    target
        .query_pairs_mut()
        .append_pair("auth_code", &code)
        .append_pair("expires_in", &state::AUTH_CODE_TTL_SECS.to_string());
    HttpResponse::Found()
        .insert_header(("Location", target.as_str()))
        .finish()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Deserialize)]
struct AuditDecision {
    result: AuditOutcome,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct ClockMove {
    advance_secs: i64,
}

/// `/__sim/…`: the control API for demos and scripts.
async fn control_api(sim: &Arc<Simulator>, method: &str, path: &str, body: &[u8]) -> HttpResponse {
    let parts: Vec<&str> = path.split('/').collect();
    let pushed = |r: anyhow::Result<PushOutcome>| match r {
        Ok(o) => HttpResponse::Ok().json(o),
        Err(e) => HttpResponse::build(StatusCode::CONFLICT).json(json!({"error": e.to_string()})),
    };
    let bad_body =
        |e: serde_json::Error| HttpResponse::BadRequest().json(json!({"error": e.to_string()}));
    match (method, parts.as_slice()) {
        ("GET", ["calls"]) => HttpResponse::Ok().json(sim.calls()),
        ("POST", ["faults"]) => match serde_json::from_slice::<Fault>(body) {
            Ok(f) => {
                sim.inject(f);
                HttpResponse::NoContent().finish()
            }
            Err(e) => bad_body(e),
        },
        ("DELETE", ["faults"]) => {
            sim.clear_faults();
            HttpResponse::NoContent().finish()
        }
        ("GET", ["clock"]) => HttpResponse::Ok().json(json!({"now": sim.now()})),
        ("POST", ["clock"]) => match serde_json::from_slice::<ClockMove>(body) {
            Ok(m) => {
                sim.advance(m.advance_secs);
                HttpResponse::Ok().json(json!({"now": sim.now()}))
            }
            Err(e) => bad_body(e),
        },
        ("POST", ["push", "ticket"]) => pushed(sim.push_ticket().await),
        ("POST", ["pushes", "flush"]) => match sim.flush_pushes().await {
            Ok(list) => HttpResponse::Ok().json(list),
            Err(e) => HttpResponse::Conflict().json(json!({"error": e.to_string()})),
        },
        ("POST", ["apps", appid, "unauthorize"]) => pushed(sim.unauthorize(appid).await),
        ("POST", ["apps", appid, "audit"]) => match serde_json::from_slice::<AuditDecision>(body) {
            Ok(d) => pushed(sim.decide_audit(appid, d.result, &d.reason).await),
            Err(e) => bad_body(e),
        },
        ("GET", ["apps", appid]) => {
            let snapshot = sim.with_platform(|p| p.apps.get(*appid).map(app_snapshot));
            match snapshot {
                Some(s) => HttpResponse::Ok().json(s),
                None => HttpResponse::NotFound().json(json!({"error": "unknown appid"})),
            }
        }
        _ => HttpResponse::NotFound().json(json!({"error": "unknown control path"})),
    }
}

/// A JSON view of one simulated mini-program (no tokens).
pub fn app_snapshot(a: &state::SimApp) -> Value {
    json!({
        "appid": a.appid,
        "authorized": a.authorized,
        "func_ids": a.func_ids,
        "domains": a.domains,
        "domain_changes": a.domain_changes,
        "webview_domains": a.webview_domains,
        "commit": a.commit.as_ref().map(|c| json!({"template_id": c.template_id, "user_version": c.user_version, "user_desc": c.user_desc, "ext_json": c.ext_json})),
        "latest_audit": a.latest_audit.and_then(|id| a.audits.get(&id)).map(|x| json!({"auditid": x.auditid, "status": x.status, "reason": x.reason})),
        "releases": a.releases.iter().map(|r| json!({"app_version": r.app_version, "user_version": r.user_version, "rolled_back": r.rolled_back})).collect::<Vec<_>>(),
        "gray_percentage": a.gray_percentage,
        "visit_status": a.visit_status,
    })
}

#[cfg(test)]
mod tests {
    use super::{API_METHODS, api_method};
    use std::collections::BTreeSet;
    use std::path::Path;

    /// `docs/wechat-api.md`'s table rows: (path, method).
    fn documented() -> BTreeSet<(String, String)> {
        let doc = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/wechat-api.md"),
        )
        .unwrap();
        doc.lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let path = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                let method = *cells.get(2)?;
                ["GET", "POST"]
                    .contains(&method)
                    .then(|| (path.to_owned(), method.to_owned()))
            })
            .collect()
    }

    #[test]
    fn the_method_table_is_the_documented_one() {
        let table: BTreeSet<(String, String)> = API_METHODS
            .iter()
            .map(|(p, m)| ((*p).to_owned(), (*m).to_owned()))
            .collect();
        assert_eq!(table.len(), API_METHODS.len(), "a path is listed twice");
        assert_eq!(table, documented());
        assert_eq!(
            api_method("/wxa/security/get_code_privacy_info"),
            Some("GET")
        );
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// The root cause of the privacy-scan defect: a path the product calls that the table
    /// did not list got the simulator's default method, so no test saw the wrong one.
    #[test]
    fn every_wechat_path_the_product_calls_has_a_method_in_the_table() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let literal = regex::Regex::new(r#""(/(?:wxa|cgi-bin)/[A-Za-z0-9_/]+)""#).unwrap();
        let mut called = BTreeSet::new();
        for file in files
            .iter()
            .filter(|f| !f.starts_with(src.join("wechat_sim")))
        {
            let text = std::fs::read_to_string(file).unwrap();
            for c in literal.captures_iter(&text) {
                called.insert(c[1].to_owned());
            }
        }
        assert!(called.len() > 20, "found only {called:?}");
        let missing: Vec<&String> = called.iter().filter(|p| api_method(p).is_none()).collect();
        assert!(missing.is_empty(), "not in the method table: {missing:?}");
    }
}
