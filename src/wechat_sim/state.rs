//! The simulator's platform state and WeChat's rules (PROTOCOL.md §1, §3): tokens that
//! expire and die after the overlap, single-use codes, one audit at a time, release only
//! after a passed audit, undo and monthly audit quotas. Pure state, no I/O: the HTTP
//! layer turns requests into calls here and answers with what they return.

use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// Seconds a token lives (component and authorizer).
pub const TOKEN_TTL_SECS: i64 = 7200;
/// Seconds a replaced token keeps working.
pub const TOKEN_OVERLAP_SECS: i64 = 300;
/// Seconds a `component_verify_ticket` is valid.
pub const TICKET_TTL_SECS: i64 = 12 * 3600;
/// Seconds a pre_auth_code is valid (the documented sample).
pub const PRE_AUTH_TTL_SECS: i64 = 600;
/// Seconds an authorization code is valid.
pub const AUTH_CODE_TTL_SECS: i64 = 3600;
/// Undo-audit limits per mini-program.
pub const UNDO_PER_DAY: u32 = 5;
/// Undo-audit limit per month.
pub const UNDO_PER_MONTH: u32 = 10;

/// A WeChat error answer: `errcode` and `errmsg` in an HTTP 200 body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxErr(pub i64, pub &'static str);

/// Result of one simulated API call.
pub type WxResult = Result<Value, WxErr>;

/// Who a token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenOwner {
    /// The platform's component token.
    Component,
    /// An authorizer (merchant mini-program) token.
    Authorizer(String),
}

#[derive(Debug, Clone)]
struct IssuedToken {
    owner: TokenOwner,
    expires_at: i64,
    replaced_at: Option<i64>,
}

#[derive(Debug, Clone)]
struct AuthCode {
    appid: String,
    expires_at: i64,
    used: bool,
}

/// A committed code package (the trial version).
#[derive(Debug, Clone)]
pub struct Commit {
    /// Increases with every commit of this app.
    pub seq: u64,
    /// Template used.
    pub template_id: i64,
    /// The ext_json string as sent.
    pub ext_json: String,
    /// Developer version string.
    pub user_version: String,
    /// Description.
    pub user_desc: String,
    /// Sim time of the commit.
    pub at: i64,
    /// Sim time the privacy scan finishes.
    pub privacy_ready_at: i64,
}

/// One audit submission.
#[derive(Debug, Clone)]
pub struct Audit {
    /// WeChat's audit id.
    pub auditid: i64,
    /// 0 approved, 1 rejected, 2 in review, 3 withdrawn, 4 delayed.
    pub status: i64,
    /// Reason on rejection or delay.
    pub reason: String,
    /// The commit under audit.
    pub commit_seq: u64,
    /// Version string of that commit.
    pub user_version: String,
    /// Description of that commit.
    pub user_desc: String,
    /// Sim time of submission.
    pub submitted_at: i64,
    /// Whether this audit's version was released.
    pub released: bool,
}

/// A released version.
#[derive(Debug, Clone)]
pub struct Release {
    /// Publish counter (the Referer's version).
    pub app_version: i64,
    /// Developer version string.
    pub user_version: String,
    /// Description.
    pub user_desc: String,
    /// Sim time of release.
    pub at: i64,
    /// Whether it was rolled back from.
    pub rolled_back: bool,
}

/// One merchant mini-program as WeChat sees it.
#[derive(Debug, Clone)]
pub struct SimApp {
    /// The mini-program's appid.
    pub appid: String,
    /// Original id `gh_…`.
    pub user_name: String,
    /// Currently authorized to the component.
    pub authorized: bool,
    /// Granted permission sets.
    pub func_ids: Vec<i64>,
    /// Current refresh token.
    pub refresh_token: String,
    /// Server domains by kind.
    pub domains: BTreeMap<String, Vec<String>>,
    /// Domain `set`/`add`/`delete` calls that changed something.
    pub domain_changes: u32,
    /// Web-view domains.
    pub webview_domains: Vec<String>,
    /// Latest commit.
    pub commit: Option<Commit>,
    /// Every audit by id.
    pub audits: BTreeMap<i64, Audit>,
    /// Latest audit id.
    pub latest_audit: Option<i64>,
    /// Released versions, newest last.
    pub releases: Vec<Release>,
    /// Gray release percentage in effect.
    pub gray_percentage: Option<u32>,
    /// 1 serving, 0 suspended.
    pub visit_status: i64,
    /// Undo counts per Shanghai day and month.
    undo_by_day: HashMap<String, u32>,
    undo_by_month: HashMap<String, u32>,
    commit_seq: u64,
}

/// A code template in the platform's library.
#[derive(Debug, Clone)]
pub struct Template {
    /// Template id.
    pub template_id: i64,
    /// Version string.
    pub user_version: String,
    /// Description.
    pub user_desc: String,
    /// The package's page paths.
    pub pages: Vec<String>,
    /// 0 normal, 1 standard (takes only `extAppid`, `ext` and `window` in its ext.json).
    pub template_type: i64,
    /// Sim time it was added.
    pub create_time: i64,
}

/// The whole simulated platform.
pub struct Platform {
    /// Component appid.
    pub component_appid: String,
    component_secret: String,
    tickets: Vec<(String, i64)>,
    tokens: HashMap<String, IssuedToken>,
    current: HashMap<TokenOwner, String>,
    /// Every token string ever issued (tests search logs for them).
    pub issued: Vec<String>,
    pre_auth_codes: HashMap<String, i64>,
    auth_codes: HashMap<String, AuthCode>,
    /// Mini-programs by appid.
    pub apps: BTreeMap<String, SimApp>,
    /// Templates in the library.
    pub templates: Vec<Template>,
    /// Provider-wide monthly submit limit.
    pub audit_quota_limit: i64,
    audits_by_month: HashMap<String, i64>,
    /// Seconds the privacy scan takes after a commit.
    pub privacy_scan_secs: i64,
    next_audit_id: i64,
    next_app_version: i64,
    serial: u64,
}

fn random_token(prefix: &str, serial: u64) -> String {
    let r: u128 = rand::random();
    format!("{prefix}{serial:04}{r:032x}")
}

/// The Shanghai calendar day and month of a sim instant (quotas reset at local midnight).
fn shanghai_day_month(now: i64) -> (String, String) {
    let local = chrono::DateTime::from_timestamp(now + 8 * 3600, 0).unwrap_or_default();
    (
        local.format("%Y-%m-%d").to_string(),
        local.format("%Y-%m").to_string(),
    )
}

/// The page paths of the agency's code template (`miniprogram/app.json`): the simulator's
/// template 1 is that package, so a commit whose ext.json names another page is refused.
pub fn code_template_pages() -> Vec<String> {
    let app: Value = serde_json::from_str(include_str!("../../miniprogram/app.json"))
        .expect("miniprogram/app.json is JSON");
    app["pages"]
        .as_array()
        .expect("miniprogram/app.json lists pages")
        .iter()
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect()
}

impl Platform {
    /// A platform with one normal template (id 1, the mini-program in `miniprogram/`) in
    /// its library.
    pub fn new(component_appid: &str, component_secret: &str, now: i64) -> Self {
        Self {
            component_appid: component_appid.to_owned(),
            component_secret: component_secret.to_owned(),
            tickets: Vec::new(),
            tokens: HashMap::new(),
            current: HashMap::new(),
            issued: Vec::new(),
            pre_auth_codes: HashMap::new(),
            auth_codes: HashMap::new(),
            apps: BTreeMap::new(),
            templates: vec![Template {
                template_id: 1,
                user_version: "1.0.0".into(),
                user_desc: "generic page renderer".into(),
                pages: code_template_pages(),
                template_type: 0,
                create_time: now,
            }],
            audit_quota_limit: 20,
            audits_by_month: HashMap::new(),
            privacy_scan_secs: 2,
            next_audit_id: 412_000_001,
            next_app_version: 1,
            serial: 0,
        }
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// A new `component_verify_ticket`, valid 12 h.
    pub fn new_ticket(&mut self, now: i64) -> String {
        let serial = self.next_serial();
        let ticket = random_token("ticket@@@sim", serial);
        self.tickets.push((ticket.clone(), now));
        self.issued.push(ticket.clone());
        ticket
    }

    fn issue_token(&mut self, owner: TokenOwner, now: i64) -> String {
        let serial = self.next_serial();
        let prefix = match &owner {
            TokenOwner::Component => "simcat",
            TokenOwner::Authorizer(_) => "simaat",
        };
        let token = random_token(prefix, serial);
        if let Some(previous) = self.current.insert(owner.clone(), token.clone())
            && let Some(entry) = self.tokens.get_mut(&previous)
        {
            entry.replaced_at = Some(now);
        }
        self.tokens.insert(
            token.clone(),
            IssuedToken {
                owner,
                expires_at: now + TOKEN_TTL_SECS,
                replaced_at: None,
            },
        );
        self.issued.push(token.clone());
        token
    }

    /// Checks a token: unknown or dead after the overlap → 40001, expired → 42001.
    pub fn check_token(&self, token: Option<&str>, now: i64) -> Result<TokenOwner, WxErr> {
        let token = token
            .filter(|t| !t.is_empty())
            .ok_or(WxErr(41001, "access_token missing"))?;
        let entry = self.tokens.get(token).ok_or(WxErr(
            40001,
            "invalid credential, access_token is invalid or not latest",
        ))?;
        if now >= entry.expires_at {
            return Err(WxErr(42001, "access_token expired"));
        }
        if let Some(replaced) = entry.replaced_at
            && now >= replaced + TOKEN_OVERLAP_SECS
        {
            return Err(WxErr(
                40001,
                "invalid credential, access_token is invalid or not latest",
            ));
        }
        if let TokenOwner::Authorizer(appid) = &entry.owner
            && !self.apps.get(appid).is_some_and(|a| a.authorized)
        {
            return Err(WxErr(61003, "component is not authorized by this account"));
        }
        Ok(entry.owner.clone())
    }

    fn check_component(&self, body: &Value) -> Result<(), WxErr> {
        if body["component_appid"].as_str() != Some(self.component_appid.as_str()) {
            return Err(WxErr(40013, "invalid appid"));
        }
        Ok(())
    }

    /// `api_start_push_ticket`.
    pub fn start_push_ticket(&self, body: &Value) -> WxResult {
        self.check_component(body)?;
        if body["component_secret"].as_str() != Some(self.component_secret.as_str()) {
            return Err(WxErr(40125, "invalid appsecret"));
        }
        Ok(json!({"errcode": 0, "errmsg": "ok"}))
    }

    /// `api_component_token`.
    pub fn component_token(&mut self, body: &Value, now: i64) -> WxResult {
        self.check_component(body)?;
        if body["component_appsecret"].as_str() != Some(self.component_secret.as_str()) {
            return Err(WxErr(40125, "invalid appsecret"));
        }
        let ticket = body["component_verify_ticket"].as_str().unwrap_or("");
        let issued = self
            .tickets
            .iter()
            .find(|(t, _)| t == ticket)
            .map(|(_, at)| *at)
            .ok_or(WxErr(61006, "component ticket is invalid"))?;
        if now >= issued + TICKET_TTL_SECS {
            return Err(WxErr(61005, "component ticket is expired"));
        }
        let token = self.issue_token(TokenOwner::Component, now);
        Ok(json!({"component_access_token": token, "expires_in": TOKEN_TTL_SECS}))
    }

    /// `api_create_preauthcode`.
    pub fn create_pre_auth_code(&mut self, body: &Value, now: i64) -> WxResult {
        self.check_component(body)?;
        let serial = self.next_serial();
        let code = random_token("preauthcode@@@", serial);
        self.pre_auth_codes
            .insert(code.clone(), now + PRE_AUTH_TTL_SECS);
        Ok(json!({"pre_auth_code": code, "expires_in": PRE_AUTH_TTL_SECS}))
    }

    /// The merchant confirms on the authorization page: the mini-program `appid` grants
    /// `func_ids`; returns the authorization code. Re-authorization replaces the refresh
    /// token.
    pub fn authorize(
        &mut self,
        pre_auth_code: &str,
        appid: &str,
        func_ids: &[i64],
        now: i64,
    ) -> Result<String, WxErr> {
        match self.pre_auth_codes.get(pre_auth_code) {
            Some(exp) if now < *exp => {}
            Some(_) => return Err(WxErr(61010, "pre_auth_code expired")),
            None => return Err(WxErr(61009, "pre_auth_code invalid")),
        }
        self.pre_auth_codes.remove(pre_auth_code);
        let serial = self.next_serial();
        let refresh = random_token("refreshtoken@@@", serial);
        self.issued.push(refresh.clone());
        let app = self
            .apps
            .entry(appid.to_owned())
            .or_insert_with(|| SimApp::new(appid));
        app.authorized = true;
        app.func_ids = func_ids.to_vec();
        app.refresh_token = refresh;
        let code_serial = self.next_serial();
        let code = random_token("queryauthcode@@@", code_serial);
        self.auth_codes.insert(
            code.clone(),
            AuthCode {
                appid: appid.to_owned(),
                expires_at: now + AUTH_CODE_TTL_SECS,
                used: false,
            },
        );
        Ok(code)
    }

    /// The merchant revokes the authorization: tokens die at once.
    pub fn unauthorize(&mut self, appid: &str) -> bool {
        let Some(app) = self.apps.get_mut(appid) else {
            return false;
        };
        app.authorized = false;
        app.refresh_token.clear();
        let owner = TokenOwner::Authorizer(appid.to_owned());
        self.current.remove(&owner);
        self.tokens.retain(|_, t| t.owner != owner);
        true
    }

    fn authorization_info(&self, app: &SimApp) -> Value {
        json!({
            "authorizer_appid": app.appid,
            "func_info": app.func_ids.iter().map(|id| json!({"funcscope_category": {"id": id}})).collect::<Vec<_>>(),
        })
    }

    /// `api_query_auth`: exchanges a single-use authorization code.
    pub fn query_auth(&mut self, body: &Value, now: i64) -> WxResult {
        self.check_component(body)?;
        let code = body["authorization_code"].as_str().unwrap_or("");
        let entry = self
            .auth_codes
            .get_mut(code)
            .ok_or(WxErr(61009, "code is invalid"))?;
        if entry.used {
            return Err(WxErr(61009, "code is invalid"));
        }
        if now >= entry.expires_at {
            return Err(WxErr(61010, "code is expired"));
        }
        entry.used = true;
        let appid = entry.appid.clone();
        let token = self.issue_token(TokenOwner::Authorizer(appid.clone()), now);
        let app = &self.apps[&appid];
        let mut info = self.authorization_info(app);
        info["authorizer_access_token"] = json!(token);
        info["expires_in"] = json!(TOKEN_TTL_SECS);
        info["authorizer_refresh_token"] = json!(app.refresh_token);
        Ok(json!({ "authorization_info": info }))
    }

    /// `api_authorizer_token`.
    pub fn authorizer_token(&mut self, body: &Value, now: i64) -> WxResult {
        self.check_component(body)?;
        let appid = body["authorizer_appid"].as_str().unwrap_or("");
        let refresh = body["authorizer_refresh_token"].as_str().unwrap_or("");
        let valid = self
            .apps
            .get(appid)
            .is_some_and(|a| a.authorized && !refresh.is_empty() && a.refresh_token == refresh);
        if !valid {
            return Err(WxErr(61023, "refresh_token is invalid"));
        }
        let token = self.issue_token(TokenOwner::Authorizer(appid.to_owned()), now);
        Ok(json!({
            "authorizer_access_token": token,
            "expires_in": TOKEN_TTL_SECS,
            "authorizer_refresh_token": self.apps[appid].refresh_token,
        }))
    }

    /// `api_get_authorizer_info`.
    pub fn authorizer_info(&self, body: &Value) -> WxResult {
        self.check_component(body)?;
        let appid = body["authorizer_appid"].as_str().unwrap_or("");
        let app = self
            .apps
            .get(appid)
            .filter(|a| a.authorized)
            .ok_or(WxErr(61003, "component is not authorized by this account"))?;
        Ok(json!({
            "authorizer_info": {
                "nick_name": format!("小程序 {}", &app.appid[app.appid.len().saturating_sub(4)..]),
                "user_name": app.user_name,
                "principal_name": "模拟商户有限公司",
                "service_type_info": {"id": 0},
                "verify_type_info": {"id": 0},
                "MiniProgramInfo": {"network": {
                    "RequestDomain": app.domains.get("requestdomain").cloned().unwrap_or_default(),
                    "WsRequestDomain": app.domains.get("wsrequestdomain").cloned().unwrap_or_default(),
                    "UploadDomain": app.domains.get("uploaddomain").cloned().unwrap_or_default(),
                    "DownloadDomain": app.domains.get("downloaddomain").cloned().unwrap_or_default(),
                    "BizDomain": app.webview_domains,
                }, "categories": [{"first": "工具", "second": "效率"}]},
            },
            "authorization_info": self.authorization_info(app),
        }))
    }

    /// `api_get_authorizer_list`.
    pub fn authorizer_list(&self, body: &Value) -> WxResult {
        self.check_component(body)?;
        let offset = body["offset"].as_u64().unwrap_or(0) as usize;
        let count = body["count"].as_u64().unwrap_or(500).min(500) as usize;
        let authorized: Vec<&SimApp> = self.apps.values().filter(|a| a.authorized).collect();
        let list: Vec<Value> = authorized
            .iter()
            .skip(offset)
            .take(count)
            .map(|a| json!({"authorizer_appid": a.appid, "refresh_token": a.refresh_token, "auth_time": 0}))
            .collect();
        Ok(json!({"total_count": authorized.len(), "list": list}))
    }

    /// `gettemplatelist`.
    pub fn template_list(&self) -> WxResult {
        Ok(
            json!({"errcode": 0, "errmsg": "ok", "template_list": self.templates.iter().map(|t| json!({
            "template_id": t.template_id, "user_version": t.user_version, "user_desc": t.user_desc,
            "create_time": t.create_time, "template_type": t.template_type,
        })).collect::<Vec<_>>()}),
        )
    }

    /// Adds a template to the library (what `addtotemplate` does from a draft).
    pub fn add_template(&mut self, user_version: &str, user_desc: &str, now: i64) -> i64 {
        self.add_template_of_type(user_version, user_desc, 0, now)
    }

    /// Adds a template of `template_type` (0 normal, 1 standard) to the library.
    pub fn add_template_of_type(
        &mut self,
        user_version: &str,
        user_desc: &str,
        template_type: i64,
        now: i64,
    ) -> i64 {
        let id = self
            .templates
            .iter()
            .map(|t| t.template_id)
            .max()
            .unwrap_or(0)
            + 1;
        let pages = self.templates[0].pages.clone();
        self.templates.push(Template {
            template_id: id,
            user_version: user_version.into(),
            user_desc: user_desc.into(),
            pages,
            template_type,
            create_time: now,
        });
        id
    }

    fn app_mut(&mut self, appid: &str) -> Result<&mut SimApp, WxErr> {
        self.apps
            .get_mut(appid)
            .filter(|a| a.authorized)
            .ok_or(WxErr(61003, "component is not authorized by this account"))
    }

    fn need_code_permission(&self, appid: &str) -> Result<(), WxErr> {
        if self
            .apps
            .get(appid)
            .is_some_and(|a| a.func_ids.contains(&18))
        {
            Ok(())
        } else {
            Err(WxErr(61007, "api is unauthorized to component"))
        }
    }

    /// Every authorizer (code-management) API, by path. `body` is `None` when the request
    /// had no body at all.
    pub fn authorizer_call(
        &mut self,
        appid: &str,
        path: &str,
        query: &HashMap<String, String>,
        body: Option<&Value>,
        now: i64,
    ) -> WxResult {
        self.need_code_permission(appid)?;
        let quota_limit = self.audit_quota_limit;
        let (_, month) = shanghai_day_month(now);
        let used_this_month = self.audits_by_month.get(&month).copied().unwrap_or(0);
        let privacy_scan = self.privacy_scan_secs;
        let template_pages: HashMap<i64, Vec<String>> = self
            .templates
            .iter()
            .map(|t| (t.template_id, t.pages.clone()))
            .collect();
        let standard_templates: Vec<i64> = self
            .templates
            .iter()
            .filter(|t| t.template_type == 1)
            .map(|t| t.template_id)
            .collect();
        let next_audit_id = self.next_audit_id;
        let next_app_version = self.next_app_version;
        let app = self.app_mut(appid)?;
        let empty = json!({});
        let b = body.unwrap_or(&empty);
        match path {
            "/wxa/modify_domain" => app.modify_domain(b),
            "/wxa/setwebviewdomain" => app.set_webview_domain(b),
            "/wxa/commit" => app.commit(b, &template_pages, &standard_templates, privacy_scan, now),
            "/wxa/security/get_code_privacy_info" => {
                let c = app
                    .commit
                    .as_ref()
                    .ok_or(WxErr(86001, "no code committed"))?;
                if now < c.privacy_ready_at {
                    Err(WxErr(61039, "privacy scan is not finished"))
                } else {
                    Ok(
                        json!({"errcode": 0, "errmsg": "ok", "without_auth_list": [], "with_auth_list": []}),
                    )
                }
            }
            "/wxa/get_page" => {
                let c = app
                    .commit
                    .as_ref()
                    .ok_or(WxErr(86001, "no code committed"))?;
                Ok(
                    json!({"errcode": 0, "errmsg": "ok", "page_list": template_pages.get(&c.template_id).cloned().unwrap_or_default()}),
                )
            }
            "/wxa/get_category" => Ok(json!({"errcode": 0, "errmsg": "ok", "category_list": [
                {"first_class": "工具", "second_class": "效率", "first_id": 287, "second_id": 616}
            ]})),
            "/wxa/queryquota" => Ok(json!({"errcode": 0, "errmsg": "ok",
                "rest": (quota_limit - used_this_month).max(0), "limit": quota_limit,
                "speedup_rest": 1, "speedup_limit": 1})),
            "/wxa/submit_audit" => {
                let r = app.submit_audit(b, used_this_month >= quota_limit, next_audit_id, now);
                if r.is_ok() {
                    self.next_audit_id += 1;
                    *self.audits_by_month.entry(month).or_default() += 1;
                }
                r
            }
            "/wxa/get_auditstatus" => {
                let id = b["auditid"].as_i64().unwrap_or(0);
                let a = app
                    .audits
                    .get(&id)
                    .ok_or(WxErr(85012, "invalid audit id"))?;
                Ok(
                    json!({"errcode": 0, "errmsg": "ok", "status": a.status, "reason": a.reason, "screenshot": ""}),
                )
            }
            "/wxa/get_latest_auditstatus" => {
                let a = app
                    .latest_audit
                    .and_then(|id| app.audits.get(&id))
                    .ok_or(WxErr(85058, "no valid audit id exists"))?;
                Ok(
                    json!({"errcode": 0, "errmsg": "ok", "auditid": a.auditid, "status": a.status,
                    "reason": a.reason, "ScreenShot": "", "user_version": a.user_version,
                    "user_desc": a.user_desc, "submit_audit_time": a.submitted_at}),
                )
            }
            "/wxa/undocodeaudit" => app.undo_audit(now),
            "/wxa/release" => {
                if body.is_none() {
                    return Err(WxErr(44002, "empty post data"));
                }
                let r = app.release(next_app_version, now);
                if r.is_ok() {
                    self.next_app_version += 1;
                }
                r
            }
            "/wxa/revertcoderelease" => app.revert_release(query),
            "/wxa/grayrelease" => app.gray_release(b),
            "/wxa/revertgrayrelease" => {
                if app.gray_percentage.take().is_none() {
                    Err(WxErr(85079, "no gray release in progress"))
                } else {
                    Ok(json!({"errcode": 0, "errmsg": "ok"}))
                }
            }
            "/wxa/getgrayreleaseplan" => {
                Ok(json!({"errcode": 0, "errmsg": "ok", "gray_release_plan": {
                "status": if app.gray_percentage.is_some() { 1 } else { 0 },
                "gray_percentage": app.gray_percentage.unwrap_or(0)}}))
            }
            "/wxa/getversioninfo" => {
                if body.is_none() {
                    return Err(WxErr(44002, "empty post data"));
                }
                let mut out = json!({"errcode": 0, "errmsg": "ok"});
                if let Some(c) = &app.commit {
                    out["exp_info"] = json!({"exp_time": c.at, "exp_version": c.user_version, "exp_desc": c.user_desc});
                }
                if let Some(r) = app.releases.iter().rev().find(|r| !r.rolled_back) {
                    out["release_info"] = json!({"release_time": r.at, "release_version": r.user_version, "release_desc": r.user_desc});
                }
                Ok(out)
            }
            "/wxa/change_visitstatus" => {
                let status = match b["action"].as_str() {
                    Some("close") => 0,
                    Some("open") => 1,
                    _ => return Err(WxErr(85022, "invalid action")),
                };
                if app.releases.is_empty() {
                    return Err(WxErr(85021, "status not allowed"));
                }
                app.visit_status = status;
                Ok(json!({"errcode": 0, "errmsg": "ok"}))
            }
            "/wxa/getvisitstatus" => {
                if body.is_none() {
                    return Err(WxErr(44002, "empty post data"));
                }
                Ok(json!({"errcode": 0, "errmsg": "ok", "status": app.visit_status}))
            }
            _ => Err(WxErr(48001, "api unauthorized")),
        }
    }

    /// The simulated reviewer decides the latest in-review audit: `Some(reason)` rejects.
    /// Returns the event name to push.
    pub fn decide_audit(
        &mut self,
        appid: &str,
        outcome: AuditOutcome,
        reason: &str,
    ) -> Result<&'static str, WxErr> {
        let app = self.app_mut(appid)?;
        let audit = app
            .latest_audit
            .and_then(|id| app.audits.get_mut(&id))
            .filter(|a| a.status == 2 || a.status == 4)
            .ok_or(WxErr(85019, "no version under audit"))?;
        let (status, event) = match outcome {
            AuditOutcome::Pass => (0, "weapp_audit_success"),
            AuditOutcome::Fail => (1, "weapp_audit_fail"),
            AuditOutcome::Delay => (4, "weapp_audit_delay"),
        };
        audit.status = status;
        audit.reason = if status == 0 {
            String::new()
        } else {
            reason.to_owned()
        };
        Ok(event)
    }
}

/// What the simulated reviewer decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditOutcome {
    /// Approve.
    Pass,
    /// Reject with a reason.
    Fail,
    /// Delay with a reason (a pass or fail follows).
    Delay,
}

const DOMAIN_KINDS: [&str; 6] = [
    "requestdomain",
    "wsrequestdomain",
    "uploaddomain",
    "downloaddomain",
    "udpdomain",
    "tcpdomain",
];

impl SimApp {
    fn new(appid: &str) -> Self {
        Self {
            appid: appid.to_owned(),
            user_name: format!("gh_{}", &hex::encode(appid.as_bytes())[..12]),
            authorized: false,
            func_ids: Vec::new(),
            refresh_token: String::new(),
            domains: BTreeMap::new(),
            domain_changes: 0,
            webview_domains: Vec::new(),
            commit: None,
            audits: BTreeMap::new(),
            latest_audit: None,
            releases: Vec::new(),
            gray_percentage: None,
            visit_status: 1,
            undo_by_day: HashMap::new(),
            undo_by_month: HashMap::new(),
            commit_seq: 0,
        }
    }

    fn domains_json(&self) -> Value {
        let mut out = json!({"errcode": 0, "errmsg": "ok"});
        for kind in DOMAIN_KINDS {
            out[kind] = json!(self.domains.get(kind).cloned().unwrap_or_default());
        }
        out
    }

    fn modify_domain(&mut self, b: &Value) -> WxResult {
        let action = b["action"].as_str().unwrap_or("");
        if action == "get" {
            return Ok(self.domains_json());
        }
        if !matches!(action, "set" | "add" | "delete") {
            return Err(WxErr(47001, "data format error"));
        }
        let before = self.domains.clone();
        for kind in DOMAIN_KINDS {
            let given: Vec<String> = match b[kind].as_array() {
                Some(list) => list
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
                None if action == "set" => Vec::new(),
                None => continue,
            };
            let scheme_ok = |d: &String| match kind {
                "wsrequestdomain" => d.starts_with("wss://"),
                "udpdomain" => d.starts_with("udp://"),
                "tcpdomain" => d.starts_with("tcp://"),
                _ => d.starts_with("https://"),
            };
            if let Some(bad) = given.iter().find(|d| !scheme_ok(d)) {
                let _ = bad;
                return Err(WxErr(
                    85018,
                    "domain is not set on the third-party platform",
                ));
            }
            let current = self.domains.entry(kind.to_owned()).or_default();
            match action {
                "set" => *current = given,
                "add" => {
                    for d in given {
                        if !current.contains(&d) {
                            current.push(d);
                        }
                    }
                }
                _ => current.retain(|d| !given.contains(d)),
            }
            if current.len() > 200 {
                self.domains = before;
                return Err(WxErr(85016, "too many domains"));
            }
        }
        if self.domains == before {
            return Err(WxErr(85017, "no domain to modify after filtered"));
        }
        self.domain_changes += 1;
        Ok(self.domains_json())
    }

    fn set_webview_domain(&mut self, b: &Value) -> WxResult {
        let action = b["action"].as_str().unwrap_or("add");
        let given: Vec<String> = b["webviewdomain"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if given.iter().any(|d| !d.starts_with("https://")) {
            return Err(WxErr(89021, "not a platform web-view domain"));
        }
        match action {
            "get" => {
                return Ok(
                    json!({"errcode": 0, "errmsg": "ok", "webviewdomain": self.webview_domains}),
                );
            }
            "set" => self.webview_domains = given,
            "add" => self.webview_domains.extend(given),
            "delete" => self.webview_domains.retain(|d| !given.contains(d)),
            _ => return Err(WxErr(47001, "data format error")),
        }
        Ok(json!({"errcode": 0, "errmsg": "ok"}))
    }

    fn commit(
        &mut self,
        b: &Value,
        templates: &HashMap<i64, Vec<String>>,
        standard_templates: &[i64],
        privacy_scan_secs: i64,
        now: i64,
    ) -> WxResult {
        let template_id = match &b["template_id"] {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or(WxErr(47001, "data format error"))?;
        let Value::String(ext_json) = &b["ext_json"] else {
            return Err(WxErr(47001, "data format error: ext_json must be a string"));
        };
        let pages = templates
            .get(&template_id)
            .ok_or(WxErr(85014, "invalid template id"))?;
        let ext: Value =
            serde_json::from_str(ext_json).map_err(|_| WxErr(85048, "ext_json parse failed"))?;
        let Some(ext_keys) = ext.as_object() else {
            return Err(WxErr(85048, "ext_json parse failed"));
        };
        if standard_templates.contains(&template_id)
            && ext_keys
                .keys()
                .any(|k| !["extAppid", "ext", "window"].contains(&k.as_str()))
        {
            return Err(WxErr(9402203, "标准模板extjson错误"));
        }
        if ext["extAppid"].as_str().is_some_and(|a| a != self.appid) {
            return Err(WxErr(85013, "invalid ext_json config: extAppid"));
        }
        if let Some(listed) = ext["pages"].as_array()
            && listed
                .iter()
                .any(|p| !p.as_str().is_some_and(|p| pages.iter().any(|t| t == p)))
        {
            return Err(WxErr(85045, "path in ext_json does not exist"));
        }
        if let Some(tabs) = ext["tabBar"]["list"].as_array()
            && tabs.iter().any(|t| {
                !t["pagePath"]
                    .as_str()
                    .is_some_and(|p| pages.iter().any(|q| q == p))
            })
        {
            return Err(WxErr(85046, "tabBar path does not exist"));
        }
        let user_version = b["user_version"].as_str().unwrap_or("").to_owned();
        if user_version.is_empty() || user_version.chars().count() > 64 {
            return Err(WxErr(47001, "data format error: user_version"));
        }
        if b["user_desc"].as_str().is_none_or(|d| d.trim().is_empty()) {
            return Err(WxErr(47001, "data format error: user_desc is required"));
        }
        self.commit_seq += 1;
        self.commit = Some(Commit {
            seq: self.commit_seq,
            template_id,
            ext_json: ext_json.clone(),
            user_version,
            user_desc: b["user_desc"].as_str().unwrap_or("").to_owned(),
            at: now,
            privacy_ready_at: now + privacy_scan_secs,
        });
        Ok(json!({"errcode": 0, "errmsg": "ok"}))
    }

    fn submit_audit(&mut self, b: &Value, quota_used_up: bool, auditid: i64, now: i64) -> WxResult {
        let commit = self
            .commit
            .clone()
            .ok_or(WxErr(85086, "must commit before submit"))?;
        if now < commit.privacy_ready_at {
            return Err(WxErr(61039, "privacy scan is not finished"));
        }
        if self
            .latest_audit
            .and_then(|id| self.audits.get(&id))
            .is_some_and(|a| a.status == 2 || a.status == 4)
        {
            return Err(WxErr(85009, "a version is already under audit"));
        }
        if quota_used_up {
            return Err(WxErr(85085, "submit audit reach limit"));
        }
        if let Some(items) = b["item_list"].as_array() {
            if items.is_empty() || items.len() > 5 {
                return Err(WxErr(85023, "item count must be 1 to 5"));
            }
            for item in items {
                if item["first_id"].as_i64().is_some_and(|id| id != 287) {
                    return Err(WxErr(85008, "category invalid"));
                }
                if item["title"]
                    .as_str()
                    .is_some_and(|t| t.chars().count() > 32)
                {
                    return Err(WxErr(85011, "title invalid"));
                }
            }
        }
        self.audits.insert(
            auditid,
            Audit {
                auditid,
                status: 2,
                reason: String::new(),
                commit_seq: commit.seq,
                user_version: commit.user_version,
                user_desc: commit.user_desc,
                submitted_at: now,
                released: false,
            },
        );
        self.latest_audit = Some(auditid);
        Ok(json!({"errcode": 0, "errmsg": "ok", "auditid": auditid}))
    }

    fn undo_audit(&mut self, now: i64) -> WxResult {
        let (day, month) = shanghai_day_month(now);
        let audit = self
            .latest_audit
            .and_then(|id| self.audits.get_mut(&id))
            .filter(|a| a.status == 2 || a.status == 4)
            .ok_or(WxErr(85019, "no version under audit"))?;
        let today = self.undo_by_day.get(&day).copied().unwrap_or(0);
        let this_month = self.undo_by_month.get(&month).copied().unwrap_or(0);
        if today >= UNDO_PER_DAY || this_month >= UNDO_PER_MONTH {
            return Err(WxErr(87013, "undo audit limit reached"));
        }
        audit.status = 3;
        *self.undo_by_day.entry(day).or_default() += 1;
        *self.undo_by_month.entry(month).or_default() += 1;
        Ok(json!({"errcode": 0, "errmsg": "ok"}))
    }

    fn release(&mut self, app_version: i64, now: i64) -> WxResult {
        let current_seq = self.commit.as_ref().map(|c| c.seq);
        let audit = self
            .latest_audit
            .and_then(|id| self.audits.get_mut(&id))
            .ok_or(WxErr(85019, "no version under audit or approved"))?;
        if audit.released {
            return Err(WxErr(85052, "app is already released"));
        }
        if audit.status != 0 || Some(audit.commit_seq) != current_seq {
            return Err(WxErr(85020, "status not allowed"));
        }
        audit.released = true;
        let release = Release {
            app_version,
            user_version: audit.user_version.clone(),
            user_desc: audit.user_desc.clone(),
            at: now,
            rolled_back: false,
        };
        self.releases.push(release);
        self.gray_percentage = None;
        Ok(json!({"errcode": 0, "errmsg": "ok"}))
    }

    fn revert_release(&mut self, query: &HashMap<String, String>) -> WxResult {
        if query.get("action").map(String::as_str) == Some("get_history_version") {
            let list: Vec<Value> = self
                .releases
                .iter()
                .rev()
                .take(5)
                .map(|r| json!({"app_version": r.app_version, "user_version": r.user_version, "user_desc": r.user_desc, "commit_time": r.at}))
                .collect();
            return Ok(json!({"errcode": 0, "errmsg": "ok", "version_list": list}));
        }
        if self.gray_percentage.is_some() {
            return Err(WxErr(87011, "gray release in progress"));
        }
        let live: Vec<usize> = (0..self.releases.len())
            .filter(|i| !self.releases[*i].rolled_back)
            .collect();
        if live.len() < 2 {
            return Err(WxErr(87012, "cannot roll back"));
        }
        let last = *live.last().expect("two live releases");
        self.releases[last].rolled_back = true;
        Ok(json!({"errcode": 0, "errmsg": "ok"}))
    }

    fn gray_release(&mut self, b: &Value) -> WxResult {
        let pct = b["gray_percentage"]
            .as_u64()
            .filter(|p| (1..=100).contains(p))
            .ok_or(WxErr(85081, "invalid gray percentage"))? as u32;
        if self.releases.is_empty() {
            return Err(WxErr(85079, "no online version"));
        }
        let approved = self
            .latest_audit
            .and_then(|id| self.audits.get(&id))
            .is_some_and(|a| a.status == 0 && !a.released);
        if !approved {
            return Err(WxErr(85080, "audit not approved"));
        }
        if self.gray_percentage.is_some_and(|p| pct <= p) {
            return Err(WxErr(85082, "gray percentage must increase"));
        }
        self.gray_percentage = Some(pct);
        Ok(json!({"errcode": 0, "errmsg": "ok"}))
    }
}
