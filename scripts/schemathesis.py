#!/usr/bin/env python3
"""Runs schemathesis (all checks) against the served OpenAPI document, twice: as an agency
admin on an empty database, and as a merchant admin of an active tenant with a plan,
pages, an asset and an editor (its one-time password already changed).

Usage: scripts/schemathesis.py [BINARY]   (default target/debug/weapp-builder)
Env:   ST_MAX_TIME (seconds per run, default 150), ST_MAX_EXAMPLES (default 10),
       ST_SEED (a fixed seed; default random), ST_REPORT_DIR (default target/schemathesis),
       ST_EXCLUDE_CHECKS (checks left out, comma-separated; default none: all checks),
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


def merchant_with_data(origin):
    """A plan, an active tenant with pages, an asset and an editor; the merchant admin's session."""
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
    for slug, title in [("home", "首页"), ("about", "关于我们")]:
        merchant.call("POST", "/api/v1/pages", {"slug": slug, "title": title, "layout": {"components": [
            {"id": "t1", "type": "text", "props": {"text": title}}]}})
    boundary = uuid.uuid4().hex
    png = open(os.path.join(ROOT, "page-templates/assets/placeholder-banner.png"), "rb").read()
    form = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"banner.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + png + f"\r\n--{boundary}--\r\n".encode()
    merchant.call("POST", "/api/v1/assets", raw=form, content_type=f"multipart/form-data; boundary={boundary}")
    merchant.call("POST", f"/api/v1/tenants/{tenant}/editors", {"username": "st.editor", "display_name": "小王"})
    return merchant


def twoxx_by_operation(origin):
    with urllib.request.urlopen(origin + "/metrics") as res:
        text = res.read().decode()
    seen = {}
    for m in re.finditer(r'http_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"\} (\d+)', text):
        method, route, status, count = m.groups()
        key = f"{method} {route}"
        seen.setdefault(key, 0)
        if status.startswith("2"):
            seen[key] += int(count)
    return seen


def documented_operations(origin):
    with urllib.request.urlopen(origin + "/openapi.json") as res:
        doc = json.load(res)
    ops = {}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            ops[f"{method.upper()} {path}"] = op
    return ops


def run(name, origin, token, excluded):
    report_dir = os.path.join(REPORT_DIR, name)
    shutil.rmtree(report_dir, ignore_errors=True)
    before = twoxx_by_operation(origin)
    cmd = ["st", "run", f"{origin}/openapi.json", "--checks", "all",
           "--header", f"Authorization: Bearer {token}",
           "--max-examples", MAX_EXAMPLES, "--max-time", MAX_TIME, "--workers", "2",
           "--generation-database", "none", "--no-color",
           "--report", "json", "--report-dir", report_dir]
    if os.environ.get("ST_EXCLUDE_CHECKS"):
        cmd += ["--exclude-checks", os.environ["ST_EXCLUDE_CHECKS"]]
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
    ok = [k for k in tested if after.get(k, 0) - before.get(k, 0) > 0]
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
    return result.returncode


def main():
    if shutil.which("st") is None:
        raise SystemExit("schemathesis is not installed (pip install -r scripts/schemathesis-requirements.txt)")
    codes = []
    for name in ["agency-admin", "merchant-admin"]:
        data_dir = tempfile.mkdtemp(prefix=f"weapp-st-{name}-")
        proc, origin = start(data_dir, free_port())
        try:
            if name == "agency-admin":
                token = Api(origin).login(*ADMIN).token
            else:
                token = merchant_with_data(origin).token
            codes.append(run(name, origin, token, ENDS_OWN_SESSION))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            shutil.rmtree(data_dir, ignore_errors=True)
    sys.exit(0 if all(c == 0 for c in codes) else 1)


if __name__ == "__main__":
    main()
