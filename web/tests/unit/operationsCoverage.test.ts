// @vitest-environment node
// Issue 22, point 3: every operation of the OpenAPI document that a console user works
// with is called somewhere in the console's code. The document's operations are read from
// the generated `src/api/schema.d.ts` (regenerated from the served document, so it is the
// document the code is typed against); the console's calls are found by scanning
// `src/**/*.{ts,vue}` for `api.GET('/api/v1/…'` (and the methods beside it) and for the
// one upload made with XHR (`xhr.open('POST', '/api/v1/…')`).
//
// Every operation is classified below — agency, merchant, or excluded with its reason —
// so a new endpoint fails this test until someone decides who uses it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const WEB = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(WEB, 'src');

/** Operations both sides use: signing in and out, first run, the inbox bell. */
const SHARED = [
  'login',
  'logout',
  'refresh',
  'change_password',
  'setup_status',
  'setup',
  'list_inbox',
  'inbox_unread_count',
  'mark_inbox_read',
  'mark_inbox_entry_read',
  // the agency's name and logo on the sign-in page and in the header
  'get_branding',
] as const;

/** What agency staff (admins and account managers) do in the console (CONSOLE.md "Agency screens"). */
const AGENCY = [
  ...SHARED,
  // dashboard, tenants, provisioning, tenant detail
  'dashboard',
  'list_tenants',
  'provision_tenant',
  'get_tenant',
  'change_tenant_account_manager',
  'change_tenant_contact',
  'get_contact_history',
  'set_tenant_appid',
  'list_contracts',
  'create_renewal',
  'record_payment',
  'record_termination',
  'set_takedown_hold',
  'lift_takedown_hold',
  'reset_merchant_admin_password',
  'list_editors',
  'staff_list_pages',
  'take_down_page',
  'lift_page_takedown',
  'tenant_binding',
  'list_tenant_deploys',
  'tenant_usage_report',
  'sms_report',
  'list_exports',
  'request_export',
  // plans, staff, audit, lifecycle
  'list_plans',
  'get_plan',
  'create_plan',
  'add_plan_version',
  'retire_plan',
  'unretire_plan',
  'delete_plan',
  'list_staff',
  'create_staff',
  'set_staff_contact',
  'disable_staff',
  'enable_staff',
  'reset_password',
  'list_audit_events',
  'lifecycle_plan',
  'list_calendar_years',
  'put_calendar_year',
  // finance, branding
  'finance_report',
  'finance_payments_csv',
  'set_branding',
  'set_branding_logo',
  'delete_branding_logo',
  // platform (admins)
  'platform_status',
  'list_templates',
  'set_template',
  'list_rollouts',
  'start_rollout',
  'get_rollout',
  'pause_rollout',
  'resume_rollout',
  'list_all_deploys',
  'list_jobs',
  'retry_job',
  'broadcast_notice',
  'list_sms_templates',
  'create_sms_template',
  'disable_sms_template',
] as const;

/** What merchant admins and editors do (CONSOLE.md "Merchant screens"); checked once those screens are in. */
const MERCHANT = [
  ...SHARED,
  'get_tenant',
  'list_components',
  'list_page_templates',
  'list_pages',
  'create_page',
  'create_page_from_template',
  'get_page',
  'replace_page',
  'delete_page',
  'render_unsaved_page',
  'preview_page',
  'preview_link',
  'preview_qrcode',
  'publish_check',
  'publish_page',
  'unpublish_page',
  'unpublish_pages',
  'list_page_versions',
  'get_page_version',
  'restore_page_version',
  'get_settings',
  'put_tab_bar',
  'put_theme',
  'asset_links',
  'list_assets',
  'upload_asset',
  'get_asset',
  'delete_asset',
  'usage_report',
  'list_editors',
  'create_editor',
  'disable_editor',
  'enable_editor',
  'reset_editor_password',
  'tenant_binding',
  'authorization_link',
  'check_binding',
  'list_tenant_deploys',
  'start_deploy',
  'get_deploy',
  'release_deploy',
  'revert_gray_release',
  'undo_deploy_audit',
  'rollback_release',
  'list_sms_templates',
  'send_messages',
  'get_batch',
  'list_messages',
  'sms_report',
  'list_exports',
  'request_export',
] as const;

/** Operations no console screen calls, and why. */
const EXCLUDED: Readonly<Record<string, string>> = {
  // The phones' client API (the mini-program calls it, without a login).
  client_app: 'client API',
  client_version: 'client API',
  client_page: 'client API',
  client_preview: 'client API',
  client_asset: 'client API',
  // Pushes and redirects from WeChat and the SMS provider, not called by people.
  component_url_check: 'WeChat push endpoint',
  component_event: 'WeChat push endpoint',
  app_url_check: 'WeChat push endpoint',
  app_event: 'WeChat push endpoint',
  authorization_redirect: "WeChat's authorization page sends the browser there itself",
  take_receipts: 'SMS provider receipts',
  // Operations endpoints for load balancers and Prometheus.
  live: 'health check',
  ready: 'health check',
  metrics: 'metrics scrape',
  // Signed links the browser opens directly (href / img src): they carry no bearer token.
  open_link: 'signed link opened by the browser (export download, trial QR)',
  open_asset_link: 'signed asset URL used as an image source (assetUrls.ts)',
  branding_logo: "the logo's `<img src>`: `logo_url` of get_branding points at it",
  deploy_qrcode: "the trial QR's `<img src>` is the deploy's signed `qrcode_url` (an image cannot send the bearer token)",
  // Covered by an operation that answers the same data.
  download_export: 'the console follows the export\'s signed `download_url` instead (a link cannot send the bearer token)',
  get_contract: 'list_contracts answers every contract with the same fields',
  me: 'the token answers of login/refresh carry the account',
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if ((name.endsWith('.vue') || name.endsWith('.ts')) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** `METHOD path` → operationId, from the generated schema's `paths` interface. */
function documentOperations(): Map<string, string> {
  const text = readFileSync(join(SRC, 'api', 'schema.d.ts'), 'utf8');
  const pathsBlock = text.slice(text.indexOf('export interface paths {'), text.indexOf('export type webhooks'));
  const out = new Map<string, string>();
  let current: string | null = null;
  for (const line of pathsBlock.split('\n')) {
    const path = /^ {4}"([^"]+)": \{$/.exec(line);
    if (path) {
      current = path[1]!;
      continue;
    }
    const op = /^ {8}(get|put|post|delete|patch|head|options|trace): operations\["([^"]+)"\];$/.exec(line);
    if (op && current) out.set(`${op[1]!.toUpperCase()} ${current}`, op[2]!);
  }
  return out;
}

/** `METHOD path` pairs the console's code calls. */
function consoleCalls(): Set<string> {
  const calls = new Set<string>();
  const patterns = [
    /\bapi\.(GET|PUT|POST|DELETE|PATCH)\(\s*'([^']+)'/g,
    /\.open\(\s*'(GET|PUT|POST|DELETE|PATCH)',\s*'(\/api\/[^']+)'/g,
  ];
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) for (const m of text.matchAll(pattern)) calls.add(`${m[1]} ${m[2]}`);
  }
  return calls;
}

const operations = documentOperations();
const called = new Set([...consoleCalls()].map((call) => operations.get(call)).filter((id): id is string => id !== undefined));
const classified = new Set<string>([...AGENCY, ...MERCHANT, ...Object.keys(EXCLUDED)]);

describe('the console covers the OpenAPI document', () => {
  it('reads the document and the calls', () => {
    expect(operations.size).toBeGreaterThan(100);
    expect(called.has('list_tenants')).toBe(true);
  });

  it('calls only operations the document has', () => {
    const unknown = [...consoleCalls()].filter((call) => !operations.has(call));
    expect(unknown).toEqual([]);
  });

  it('classifies every operation of the document (agency, merchant or excluded with a reason)', () => {
    const ids = new Set(operations.values());
    expect([...ids].filter((id) => !classified.has(id)).sort()).toEqual([]);
    // A classified operation that left the document is a stale entry.
    expect([...classified].filter((id) => !ids.has(id)).sort()).toEqual([]);
    expect([...AGENCY, ...MERCHANT].filter((id) => id in EXCLUDED)).toEqual([]);
  });

  it('calls every agency operation', () => {
    expect(AGENCY.filter((id) => !called.has(id))).toEqual([]);
  });

  it('calls every merchant operation', () => {
    expect(MERCHANT.filter((id) => !called.has(id))).toEqual([]);
  });
  it('lists merchant operations the document has', () => {
    expect(MERCHANT.length).toBeGreaterThan(40);
  });
});
