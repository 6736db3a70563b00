#!/usr/bin/env python3
"""Runs schemathesis (all checks) against the served OpenAPI document three times: as an
agency admin on an empty database, then as an agency admin and as a merchant admin on a
database seeded through the API (a plan, an active tenant with an appid, a published page
and a draft, an asset, an editor, a preview link, an export, a broadcast; the merchant's
one-time password already changed). In the seeded runs most generated path parameters
name a seeded resource (schemathesis dictionaries, see `config_with_dictionaries`).

Usage: scripts/schemathesis.py [BINARY]   (default target/debug/weapp-builder)
Env:   ST_MAX_TIME (seconds per run, default 150), ST_MAX_EXAMPLES (default 10),
       ST_SEED (a fixed seed; default random), ST_REPORT_DIR (default target/schemathesis),
       ST_EXCLUDE_CHECKS (checks left out, comma-separated; default none: all checks),
       ST_DATA_EXCLUDE_CHECKS (the same for the runs with seeded data; default none),
       ST_PHASES (default all four).

Prints, per run, operations x test cases x operations answered 2xx (counted from the
service's own /metrics), the operations that never answered 2xx, and exits non-zero on
any failure. What is allowed per operation (a 503 of an integration the run leaves
unconfigured, a 422 for a rule across fields) is in schemathesis.toml, with its reason.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/debug/weapp-builder"))
MAX_TIME = os.environ.get("ST_MAX_TIME", "150")
MAX_EXAMPLES = os.environ.get("ST_MAX_EXAMPLES", "10")
REPORT_DIR = os.environ.get("ST_REPORT_DIR", os.path.join(ROOT, "target/schemathesis"))
ADMIN = ("admin", "Admin-password-2026")
MERCHANT = ("st.merchant", "Merchant-password-2026")

# Operations that would end the run's own session or account.
ENDS_OWN_SESSION = ["logout", "change_password", "reset_password", "reset_merchant_admin_password"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    def __init__(self, origin, token=None):
        self.origin = origin
        self.token = token

    def call(self, method, path, body=None, headers=None, raw=None, content_type=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.origin + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", content_type or "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req) as res:
                text = res.read().decode()
                return res.status, (json.loads(text) if text and res.headers.get_content_type() == "application/json" else text)
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            raise SystemExit(f"{method} {path} answered {e.code}: {text}")

    def login(self, username, password):
        _, body = Api(self.origin).call("POST", "/api/v1/auth/login", {"username": username, "password": password})
        return Api(self.origin, body["access_token"])


def start(data_dir, port):
    env = dict(os.environ, WEAPP__STORAGE__DATA_DIR=data_dir, RUST_LOG="warn")
    create = subprocess.run(
        [BINARY, "create-admin", "--username", ADMIN[0]],
        input=f"{ADMIN[1]}\n{ADMIN[1]}\n", text=True, env=env, capture_output=True,
    )
    if create.returncode != 0:
        raise SystemExit(f"create-admin failed: {create.stderr}")
    log = open(os.path.join(data_dir, "service.log"), "w")
    proc = subprocess.Popen([BINARY, "serve", "--bind", f"127.0.0.1:{port}"], env=env, stdout=log, stderr=subprocess.STDOUT)
    origin = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(origin + "/health/ready") as res:
                if res.status == 200:
                    return proc, origin
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the service did not become ready")


def seeded(origin):
    """A plan, an active tenant (appid bound) with a published page and a draft, an asset,
    an editor, a preview link, an export and a broadcast in the merchant's inbox. Returns
    the agency admin's and the merchant admin's sessions and the ids, by path parameter,
    that the runs draw from (schemathesis dictionaries)."""
    admin = Api(origin).login(*ADMIN)
    terms = {"apps": ["pages", "media", "store"], "page_quota": 50, "storage_quota_bytes": 1073741824,
             "client_rps": 50, "sms_segments_per_year": 0, "yearly_price_fen": 298000,
             "sms_overage_millifen": 0, "sms_overage_allowed": False}
    _, plan = admin.call("POST", "/api/v1/plans", {"name": "标准版", "terms": terms})
    _, am = admin.call("POST", "/api/v1/staff", {"username": "st.am", "display_name": "赵敏", "role": "account_manager"})
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    _, created = admin.call("POST", "/api/v1/tenants", {
        "business_name": "好味小馆", "plan_id": plan["id"], "merchant_admin_username": MERCHANT[0],
        "account_manager_id": am["account"]["id"],
        "contact": {"name": "李娜", "phone": "13812341234", "email": "li.na@example.cn"},
        "contract": {"start_date": today, "payment_method": "bank_transfer"},
    })
    tenant, contract = created["tenant"]["id"], created["contract"]["id"]
    admin.call("POST", f"/api/v1/tenants/{tenant}/contracts/{contract}/payments",
               {"amount_fen": created["contract"]["amount_fen"], "method": "bank_transfer",
                "reference": "ST-1", "paid_on": today}, headers={"Idempotency-Key": str(uuid.uuid4())})
    otp = created["merchant_admin"]["one_time_password"]
    first = Api(origin).login(MERCHANT[0], otp)
    first.call("POST", "/api/v1/auth/password", {"current_password": otp, "new_password": MERCHANT[1]})
    merchant = Api(origin).login(*MERCHANT)
    pages = []
    for slug, title in [("home", "首页"), ("about", "关于我们")]:
        _, page = merchant.call("POST", "/api/v1/pages", {"slug": slug, "title": title, "layout": {"components": [
            {"id": "t1", "type": "text", "props": {"text": title}}]}})
        pages.append(page["id"])
    merchant.call("POST", f"/api/v1/pages/{pages[0]}/publish")
    appid = "wx" + uuid.uuid4().hex[:16]
    admin.call("PUT", f"/api/v1/tenants/{tenant}/appid", {"appid": appid})
    _, link = merchant.call("POST", f"/api/v1/pages/{pages[1]}/preview-link")
    boundary = uuid.uuid4().hex
    png = open(os.path.join(ROOT, "page-templates/assets/placeholder-banner.png"), "rb").read()
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"banner.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
    _, asset = merchant.call("POST", "/api/v1/assets", raw=form, content_type=f"multipart/form-data; boundary={boundary}")
    _, editor = merchant.call("POST", f"/api/v1/tenants/{tenant}/editors", {"username": "st.editor", "display_name": "小王"})
    _, export = admin.call("POST", f"/api/v1/tenants/{tenant}/exports")
    admin.call("POST", "/api/v1/notifications/broadcast", {"title": "系统维护通知", "text": "今晚 23:00 起维护 10 分钟。"})
    inbox, export_link = [], None
    for _ in range(100):  # the job queue builds the export and fills the inboxes
        _, got = merchant.call("GET", "/api/v1/inbox")
        inbox = [e["id"] for e in got["items"]]
        _, exports = admin.call("GET", f"/api/v1/tenants/{tenant}/exports")
        listed = exports["items"] if isinstance(exports, dict) else exports
        export_link = next((e["download_url"] for e in listed if e.get("download_url")), None)
        if inbox and export_link:
            break
        time.sleep(0.2)
    _, jobs = admin.call("GET", "/api/v1/admin/jobs")
    _, starters = merchant.call("GET", "/api/v1/page-templates")
    ids = {
        "tenant_id": [tenant], "plan_id": [plan["id"]], "contract_id": [contract],
        "page_id": pages, "asset_id": [asset["id"]], "user_id": [editor["account"]["id"] if "account" in editor else editor["id"]],
        "id": [am["account"]["id"]] + [j["id"] for j in jobs["items"][:3]],
        "export_id": [export["id"]], "entry_id": inbox, "appid": [appid], "slug": ["home", "about"],
        "version": [1], "year": [int(today[:4]) + 1],
        "token": [link["token"]] + ([export_link["url"].rsplit("/", 1)[-1]] if export_link else []),
    }
    # Ids a body names: a plan, an account manager, pages, a starter page.
    body = {
        "body.plan_id": [plan["id"]], "body.contract.plan_id": [plan["id"]],
        "body.account_manager_id": [am["account"]["id"]], "body.page_ids[*]": pages,
        "body.template": [t["key"] for t in starters["items"]],
    }
    return admin, merchant, {k: v for k, v in ids.items() if v}, body


def config_with_dictionaries(ids, body, path):
    """schemathesis.toml plus dictionaries of the seeded ids: most generated path parameters
    name a resource that exists, the rest stay random (404s are tested too)."""
    with open(os.path.join(ROOT, "schemathesis.toml")) as f:
        text = f.read()
    lines = ["", "# Generated by scripts/schemathesis.py: the seeded resources."]
    for name, values in ids.items():
        lines.append(f"[dictionaries.{name}]")
        lines.append("values = " + json.dumps(values, ensure_ascii=False))
    lines.append("[parameters]")
    for name in ids:
        for location in (["path", "query"] if name == "token" else ["path"]):
            lines.append(f'"{location}.{name}" = {{ dictionary = "{name}", probability = 0.8 }}')
    for i, (key, _) in enumerate(body.items()):
        lines.append(f'"{key}" = {{ dictionary = "body_{i}", probability = 0.8 }}')
    lines.append('"body.username" = { dictionary = "login_username", probability = 0.5 }')
    lines.append('"body.password" = { dictionary = "login_password", probability = 0.5 }')
    lines.append("[dictionaries.login_username]")
    lines.append("values = " + json.dumps([ADMIN[0], MERCHANT[0]]))
    lines.append("[dictionaries.login_password]")
    lines.append("values = " + json.dumps([ADMIN[1], MERCHANT[1]]))
    for i, (_, values) in enumerate(body.items()):
        lines.append(f"[dictionaries.body_{i}]")
        lines.append("values = " + json.dumps(values, ensure_ascii=False))
    with open(path, "w") as f:
        f.write(text + "\n".join(lines) + "\n")
    return path


def twoxx_by_operation(origin):
    with urllib.request.urlopen(origin + "/metrics") as res:
        text = res.read().decode()
    seen = {}
    for m in re.finditer(r'http_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"\} (\d+)', text):
        method, route, status, count = m.groups()
        key = f"{method} {route}"
        seen.setdefault(key, {})
        seen[key][status] = seen[key].get(status, 0) + int(count)
    return seen


def answered(before, after, key, status_prefix):
    return sum(n - before.get(key, {}).get(status, 0)
               for status, n in after.get(key, {}).items() if status.startswith(status_prefix))


def documented_operations(origin):
    with urllib.request.urlopen(origin + "/openapi.json") as res:
        doc = json.load(res)
    ops = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            ops[f"{method.upper()} {path}"] = op
    return ops


def run(name, origin, token, excluded, config=None):
    report_dir = os.path.join(REPORT_DIR, name)
    shutil.rmtree(report_dir, ignore_errors=True)
    before = twoxx_by_operation(origin)
    cmd = ["st"] + (["--config-file", config] if config else []) + ["run", f"{origin}/openapi.json", "--checks", "all",
           "--header", f"Authorization: Bearer {token}",
           "--max-examples", MAX_EXAMPLES, "--max-time", MAX_TIME, "--workers", "2",
           "--generation-database", "none", "--no-color",
           "--report", "json", "--report-dir", report_dir]
    exclude = os.environ.get("ST_DATA_EXCLUDE_CHECKS" if config else "ST_EXCLUDE_CHECKS")
    if exclude:
        cmd += ["--exclude-checks", exclude]
    if os.environ.get("ST_PHASES"):
        cmd += ["--phases", os.environ["ST_PHASES"]]
    if os.environ.get("ST_SEED"):
        cmd += ["--seed", os.environ["ST_SEED"]]
    for op in excluded:
        cmd += ["--exclude-operation-id", op]
    print(f"\n== schemathesis: {name}", flush=True)
    started = time.time()
    result = subprocess.run(cmd, cwd=ROOT)
    after = twoxx_by_operation(origin)
    ops = documented_operations(origin)
    tested = [k for k, op in ops.items() if op.get("operationId") not in excluded]
    ok = [k for k in tested if answered(before, after, k, "2") > 0]
    # An integration the runs leave unconfigured answers its declared 503 and nothing else.
    unconfigured = [k for k in tested if k not in ok and answered(before, after, k, "503") > 0]
    cases = "?"
    reports = [f for f in os.listdir(report_dir) if f.endswith(".json")] if os.path.isdir(report_dir) else []
    if reports:
        with open(os.path.join(report_dir, reports[0])) as f:
            cases = json.load(f)["test_cases"]["generated"]
    print(f"\n{name}: {len(tested)} operations x {cases} test cases; {len(ok)} operations answered 2xx "
          f"({time.time() - started:.0f} s, exit {result.returncode})")
    missing = sorted(set(tested) - set(ok))
    if missing:
        print(f"{name}: no 2xx for {len(missing)}: " + ", ".join(missing))
    return result.returncode, set(tested), set(ok), set(unconfigured)


def main():
    if shutil.which("st") is None:
        raise SystemExit("schemathesis is not installed (pip install -r scripts/schemathesis-requirements.txt)")
    codes = []
    all_tested, all_ok, all_unconfigured = set(), set(), set()
    for name in ["agency-admin", "agency-admin-with-data", "merchant-admin"]:
        data_dir = tempfile.mkdtemp(prefix=f"weapp-st-{name}-")
        proc, origin = start(data_dir, free_port())
        try:
            config = None
            if name == "agency-admin":
                token = Api(origin).login(*ADMIN).token
            else:
                admin, merchant, ids, body = seeded(origin)
                token = (admin if name.startswith("agency") else merchant).token
                config = config_with_dictionaries(ids, body, os.path.join(data_dir, "schemathesis.toml"))
            code, tested, ok, unconfigured = run(name, origin, token, ENDS_OWN_SESSION, config)
            codes.append(code)
            all_tested |= tested
            all_ok |= ok
            all_unconfigured |= unconfigured
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            shutil.rmtree(data_dir, ignore_errors=True)
    never = sorted(all_tested - all_ok - all_unconfigured)
    print(f"\nall runs: {len(all_ok)} of {len(all_tested)} operations answered 2xx; "
          f"{len(all_unconfigured - all_ok)} only their declared 503 (integration left unconfigured); "
          f"{len(never)} neither" + (": " + ", ".join(never) if never else ""))
    sys.exit(0 if all(c == 0 for c in codes) else 1)


if __name__ == "__main__":
    main()
