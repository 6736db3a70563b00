/**
 * The platform screens against the real binary and its built-in WeChat simulator, in
 * Chromium. Two paid tenants bind their mini-programs through the simulator's
 * authorization page; an agency admin reads the WeChat status, makes the library's
 * template current, starts a fleet roll-out from the template tab, pauses and resumes it,
 * and watches it finish live while the simulator's reviewer approves both audits; a
 * takedown whose `change_visitstatus` WeChat refuses leaves a dead job, which the admin
 * retries from the dead-jobs tab; the admin sends a broadcast (it reaches a merchant's
 * inbox) and registers an SMS template (the server's refusal shown at the parameters
 * first); reads the finance report and downloads the payments CSV (a range over 36 months
 * refused at the range); sets the agency's name and logo (a file that is not an image
 * refused at the field) and sees them in the header and on the sign-in page; sets an
 * account manager's contact on the staff screen. An account manager sees no admin-only
 * screen, in the navigation or by its address, and only their own tenant's money in
 * finance. Screenshots of every screen in both languages go to target/e2e/.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import createClient from 'openapi-fetch';
import type { paths } from '../../src/api/schema';
import { formatFen as formatYuan } from '../../src/utils/format';
import { ADMIN, ok, shanghaiDate, signedInApi, STANDARD_PLAN, type Api } from './support/api';
import { launch, PageWatch, shootBoth } from './support/browser';
import { startFake, startForwarder } from './support/fakes';
import { startServer } from './support/server.mjs';
import type { RunningServer } from './support/server.mjs';

const AM = { username: 'sun.li', name: '孙丽', password: 'Sun-Li-password-2026' };
const OTHER_AM = { username: 'zhou.qi', name: '周琪', password: 'Zhou-Qi-password-2026' };
/** Two tenants: A belongs to AM, B to the other account manager. */
const TENANTS = [
  { business: '春风花店', username: 'chunfeng.admin', password: 'Chunfeng-password-2026', appid: 'wxa1a1a1a1a1a1a1a1' },
  { business: '山海书屋', username: 'shanhai.admin', password: 'Shanhai-password-2026', appid: 'wxb2b2b2b2b2b2b2b2' },
] as const;
const BROADCAST_TITLE = '春节期间客服安排';
const AGENCY_NAME = '好帮手数字科技';
/** What each tenant paid (the plan's yearly price, the whole first contract). */
const PAID_FEN = STANDARD_PLAN.terms.yearly_price_fen;

type Messages = { platform: Record<string, Record<string, string>>; nav: Record<string, string> };
const zh = {
  ...(JSON.parse(readFileSync(new URL('../../src/i18n/locales/platform/zh-CN.json', import.meta.url), 'utf8')) as Messages),
  nav: (JSON.parse(readFileSync(new URL('../../src/i18n/locales/zh-CN.json', import.meta.url), 'utf8')) as Messages).nav,
};

let server: RunningServer;
let sim: { origin: string; child: ChildProcess; forwarder: Server };
let browser: Browser;
let context: BrowserContext;
let page: Page;
let adminApi: Api;
const tenantIds: string[] = [];
const merchantApis: Api[] = [];
const watch = new PageWatch();

/** The WeChat simulator, pushing to the service through a forwarder (support/fakes.ts). */
async function startSimulator(): Promise<{ origin: string; env: Record<string, string>; child: ChildProcess; forwarder: Server; target: (origin: string) => void }> {
  const pushes = await startForwarder();
  const sim = await startFake('wechat-sim', pushes.origin);
  return { origin: sim.origin, env: sim.env, child: sim.child, forwarder: pushes.server, target: pushes.target };
}

async function simPost(path: string, body: unknown): Promise<void> {
  const r = await fetch(`${sim.origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`simulator ${path}: ${r.status} ${await r.text()}`);
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Signs in with a one-time password and sets `password` (the API refuses everything else before). */
async function firstSignIn(username: string, oneTimePassword: string, password: string): Promise<Api> {
  const anonymous = createClient<paths>({ baseUrl: server.binaryOrigin });
  const login = ok(await anonymous.POST('/api/v1/auth/login', { body: { username, password: oneTimePassword } }), `${username} signing in`);
  const api = createClient<paths>({ baseUrl: server.binaryOrigin, headers: { Authorization: `Bearer ${login.access_token}` } });
  ok(await api.POST('/api/v1/auth/password', { body: { current_password: oneTimePassword, new_password: password } }), `${username} setting a password`);
  return signedInApi(server.binaryOrigin, username, password);
}

async function createAccountManager(who: typeof AM): Promise<string> {
  const created = ok(
    await adminApi.POST('/api/v1/staff', { body: { username: who.username, display_name: who.name, role: 'account_manager' } }),
    `creating ${who.username}`,
  );
  await firstSignIn(who.username, created.one_time_password, who.password);
  return created.account.id;
}

/** The merchant admin authorizes the mini-program on the simulator's page; the service binds it. */
async function bindThroughSimulator(merchant: Api, tenantId: string, appid: string): Promise<void> {
  const link = ok(
    await merchant.POST('/api/v1/tenants/{tenant_id}/wechat/authorization-link', { params: { path: { tenant_id: tenantId } } }),
    'authorization link',
  );
  const confirmed = await fetch(`${link.url}&sim_appid=${appid}&sim_func_ids=17,18,1&sim_event=none`, { redirect: 'manual' });
  const location = confirmed.headers.get('location');
  if (!location) throw new Error(`the authorization page did not redirect: ${confirmed.status} ${await confirmed.text()}`);
  const back = new URL(location);
  const done = await fetch(`${server.binaryOrigin}${back.pathname}${back.search}`, { redirect: 'manual', headers: { Accept: 'application/json' } });
  expect(done.status).toBeLessThan(400);
  await until(`${appid} bound`, async () => {
    const b = ok(await merchant.GET('/api/v1/tenants/{tenant_id}/wechat', { params: { path: { tenant_id: tenantId } } }), 'binding');
    return b.status === 'bound';
  });
}

async function signIn(p: Page, who: { username: string; password: string }): Promise<void> {
  await p.goto(`${server.origin}/console/signin`);
  await p.getByTestId('signin-username').fill(who.username);
  await p.getByTestId('signin-password').fill(who.password);
  await p.getByTestId('signin-submit').click();
  await p.waitForURL('**/console/dashboard');
}

async function openPlatformTab(p: Page, name: string): Promise<void> {
  await p.getByTestId(`platform-tab-${name}`).click();
  await p.waitForURL(new RegExp(`tab=${name}`));
}

/** A small real PNG (a two-colour banner), so the logo is visible in the screenshots. */
function bannerPng(width = 120, height = 32): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer): number => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer): Buffer => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'ascii');
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, tail]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0);
    for (let x = 0; x < width; x++) rows.push(...(x < height ? [0xe6, 0x5c, 0x2e] : [0x2e, 0x6f, 0xd8]));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The open confirmation (each tab keeps its own, hidden, in the page). */
function confirmDialog(p: Page) {
  return p.locator('[data-testid="confirm-dialog"]:visible');
}
async function confirm(p: Page): Promise<void> {
  await p.locator('[data-testid="confirm-button"]:visible').click();
}

async function fieldError(p: Page, path: string): Promise<string> {
  const el = p.locator(`[data-field="${path}"] .el-form-item__error`);
  await el.waitFor({ state: 'visible' });
  return (await el.textContent())?.trim() ?? '';
}

beforeAll(async () => {
  const started = await startSimulator();
  sim = { origin: started.origin, child: started.child, forwarder: started.forwarder };
  server = await startServer({
    env: {
      ...started.env,
      // A failed job is retried quickly, so the test does not wait minutes for a dead one.
      WEAPP__JOBS__BACKOFF_BASE_MS: '200',
      WEAPP__JOBS__POLL_INTERVAL_MS: '200',
    },
  });
  started.target(server.binaryOrigin);
  if (server.proxied) console.warn('e2e: the binary embeds an older web/dist; the console is served from web/dist by a local proxy');

  const anonymous = createClient<paths>({ baseUrl: server.binaryOrigin });
  ok(await anonymous.POST('/api/v1/setup', { body: { token: server.setupToken, ...ADMIN } }), 'first-run setup');
  adminApi = await signedInApi(server.binaryOrigin, ADMIN.username, ADMIN.password);
  // WeChat's ticket push, so the service can fetch its component token.
  await simPost('/__sim/push/ticket', {});
  await until('the ticket', async () => ok(await adminApi.GET('/api/v1/platform/status'), 'platform status').ticket);

  const plan = ok(await adminApi.POST('/api/v1/plans', { body: STANDARD_PLAN }), 'creating a plan');
  const managers = [await createAccountManager(AM), await createAccountManager(OTHER_AM)];
  for (const [i, t] of TENANTS.entries()) {
    const provisioned = ok(
      await adminApi.POST('/api/v1/tenants', {
        body: {
          business_name: t.business,
          contact: { name: '王芳', phone: `1381234123${i}`, email: `owner${i}@example.cn` },
          plan_id: plan.id,
          account_manager_id: managers[i]!,
          merchant_admin_username: t.username,
          contract: { payment_method: 'bank_transfer', start_date: shanghaiDate(0) },
        },
      }),
      `provisioning ${t.business}`,
    );
    ok(
      await adminApi.POST('/api/v1/tenants/{tenant_id}/contracts/{contract_id}/payments', {
        params: { path: { tenant_id: provisioned.tenant.id, contract_id: provisioned.contract.id } },
        body: { amount_fen: provisioned.contract.amount_fen, method: 'bank_transfer', reference: `E2E-PLATFORM-${i}`, paid_on: shanghaiDate(0) },
        headers: { 'Idempotency-Key': `e2e-platform-payment-${i}` },
      }),
      'recording the payment',
    );
    tenantIds.push(provisioned.tenant.id);
    const merchant = await firstSignIn(t.username, provisioned.merchant_admin.one_time_password, t.password);
    merchantApis.push(merchant);
    await bindThroughSimulator(merchant, provisioned.tenant.id, t.appid);
  }

  browser = await launch();
  context = await watch.newContext(browser);
  page = await context.newPage();
  watch.attach(page, 'admin');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  sim?.child.kill('SIGTERM');
  await new Promise((r) => (sim?.forwarder ? sim.forwarder.close(() => r(undefined)) : r(undefined)));
});

describe('the platform screens against the binary and the WeChat simulator', () => {
  it('shows the WeChat status: the ticket arriving and both tenants bound', async () => {
    await signIn(page, ADMIN);
    await page.getByTestId('nav-platform').click();
    await page.waitForURL('**/console/platform');
    const ticket = page.getByTestId('platform-ticket');
    await ticket.getByText(zh.platform.status!.fresh!).waitFor();
    const bindings = page.getByTestId('platform-bindings');
    for (const t of TENANTS) {
      await bindings.getByText(t.business).waitFor();
      await bindings.getByText(t.appid).waitFor();
    }
    expect(await bindings.getByText(zh.platform.status!.bound!).count()).toBe(2);
    await shootBoth(page, 'platform-status');

    // A malformed appid: the server's message at the field.
    await page.getByTestId(`set-appid-${TENANTS[1].business}`).click();
    await page.getByTestId('appid-dialog').waitFor();
    await page.getByTestId('appid-input').fill('wx123');
    await page.getByTestId('appid-submit').click();
    expect(await fieldError(page, 'appid')).not.toBe('');
    await shootBoth(page, 'platform-appid-refused');
    await page.getByTestId('appid-dialog').getByRole('button', { name: '取消' }).click();
    await page.getByTestId('appid-dialog').waitFor({ state: 'hidden' });
    watch.assertClean();
  });

  it('makes the library template current', async () => {
    await openPlatformTab(page, 'template');
    await page.getByTestId('no-template').waitFor();
    await page.getByTestId('template-library').getByText('1.0.0').waitFor();
    await shootBoth(page, 'platform-template-none');
    await page.getByTestId('make-current-1').click();
    await confirm(page);
    const current = page.getByTestId('current-template');
    await current.getByText('1.0.0').waitFor();
    const answer = ok(await adminApi.GET('/api/v1/platform/templates'), 'templates');
    expect(answer.current?.template_id).toBe(1);
    await shootBoth(page, 'platform-template');
    watch.assertClean();
  });

  it('rolls the template out to the fleet and follows it live until both are released', async () => {
    await page.getByTestId('roll-out-1').click();
    await page.waitForURL(/tab=rollouts/);
    const dialog = page.getByTestId('rollout-dialog');
    await dialog.waitFor();
    await page.getByTestId('rollout-per-minute').locator('input').fill('600');
    await shootBoth(page, 'platform-rollout-start');
    await page.getByTestId('rollout-submit').click();
    await dialog.waitFor({ state: 'hidden' });

    const rollouts = ok(await adminApi.GET('/api/v1/rollouts'), 'roll-outs').items;
    expect(rollouts).toHaveLength(1);
    const rollout = rollouts[0]!;
    expect(rollout.targets).toBe(2);
    const card = page.getByTestId(`rollout-${rollout.id}`);
    await card.waitFor();

    // Both runs reach WeChat's audit; the screen shows them there without a reload.
    await until('both runs waiting for the audit', async () => {
      const r = ok(await adminApi.GET('/api/v1/rollouts/{rollout_id}', { params: { path: { rollout_id: rollout.id } } }), 'roll-out');
      return (r.by_status.waiting_audit ?? 0) === 2;
    }, 90_000);
    await card.getByTestId('rollout-by-status').locator('[data-status="waiting_audit"]').getByText('2').waitFor({ timeout: 15_000 });
    await card.getByTestId('rollout-by-step').getByText(zh.platform.runStep!.audit!).waitFor();
    await shootBoth(page, 'platform-rollout-audit');

    // Pause (nothing new starts; both runs are already under audit) and resume.
    await card.getByTestId('rollout-pause').click();
    await confirmDialog(page).waitFor();
    await confirm(page);
    await card.getByTestId('rollout-status').getByText(zh.platform.rollouts!.statusPaused!).waitFor();
    await card.locator('.el-alert').getByText('admin').waitFor();
    await shootBoth(page, 'platform-rollout-paused');
    await card.getByTestId('rollout-resume').click();
    await confirmDialog(page).waitFor();
    await confirm(page);
    await card.getByTestId('rollout-status').getByText(zh.platform.rollouts!.statusRunning!).waitFor();

    // The simulator's reviewer approves both; the runs release and the roll-out is done.
    for (const t of TENANTS) await simPost(`/__sim/apps/${t.appid}/audit`, { result: 'pass' });
    await card.getByTestId('rollout-status').getByText(zh.platform.rollouts!.statusDone!).waitFor({ timeout: 90_000 });
    await card.getByTestId('rollout-by-status').locator('[data-status="released"]').getByText('2').waitFor();
    expect(await card.getByTestId('rollout-pause').count()).toBe(0);
    await shootBoth(page, 'platform-rollout-done');

    await openPlatformTab(page, 'deploys');
    const deploys = page.getByTestId('deploys-table');
    for (const t of TENANTS) await deploys.getByText(t.appid).waitFor();
    expect(await deploys.getByText(zh.platform.runStatus!.released!).count()).toBe(2);
    await shootBoth(page, 'platform-deploys');
    watch.assertClean();
  });

  it('retries a dead job once its cause is gone', async () => {
    // WeChat refuses to close the mini-program once (a permanent errcode): the takedown's
    // visit-status job dies at its first attempt.
    await simPost('/__sim/faults', { path: '/wxa/change_visitstatus', mode: 'errcode', errcode: 85009, count: 1 });
    ok(
      await adminApi.POST('/api/v1/tenants/{tenant_id}/holds/takedown', {
        params: { path: { tenant_id: tenantIds[1]! } },
        body: { reason: '页面含违规内容' },
      }),
      'takedown',
    );
    const dead = await until('a dead job', async () => {
      const jobs = ok(await adminApi.GET('/api/v1/admin/jobs', { params: { query: { status: 'dead' } } }), 'dead jobs');
      return jobs.items.find((j) => j.kind === 'wechat.visit_status');
    });

    await openPlatformTab(page, 'jobs');
    const table = page.getByTestId('jobs-table');
    await table.getByText('wechat.visit_status').waitFor();
    await shootBoth(page, 'platform-jobs-dead');
    await page.getByTestId(`job-retry-${dead.id}`).click();
    await confirmDialog(page).waitFor();
    await shootBoth(page, 'platform-jobs-retry');
    await confirm(page);
    await page.getByTestId('list-empty').waitFor();
    await until('the retried job done', async () => {
      const jobs = ok(await adminApi.GET('/api/v1/admin/jobs', { params: { query: { status: 'done', limit: 200 } } }), 'done jobs');
      return jobs.items.some((j) => j.id === dead.id);
    });
    await shootBoth(page, 'platform-jobs-empty');
    watch.assertClean();
  });

  it('sends a broadcast notice that reaches the merchants', async () => {
    await openPlatformTab(page, 'broadcast');
    await page.getByTestId('broadcast-send').click();
    expect(await fieldError(page, 'title')).not.toBe('');
    await page.getByTestId('broadcast-title').fill(BROADCAST_TITLE);
    await page.getByTestId('broadcast-text').fill('除夕至初三客服暂停，如有紧急问题请联系您的客户经理。');
    await shootBoth(page, 'platform-broadcast');
    await page.getByTestId('broadcast-send').click();
    await confirmDialog(page).waitFor();
    await shootBoth(page, 'platform-broadcast-confirm');
    await confirm(page);
    await confirmDialog(page).waitFor({ state: 'hidden' });
    expect(await page.getByTestId('broadcast-title').inputValue()).toBe('');
    await until('the notice in a merchant inbox', async () => {
      const inbox = ok(await merchantApis[0]!.GET('/api/v1/inbox'), 'inbox');
      return inbox.items.some((n) => n.title === BROADCAST_TITLE);
    });
    watch.assertClean();
  });

  it('registers an SMS template: a parameter missing is refused at the parameters first', async () => {
    await openPlatformTab(page, 'sms');
    await page.getByTestId('sms-empty').waitFor();
    await shootBoth(page, 'platform-sms-empty');
    await page.getByTestId('sms-create').click();
    await page.getByTestId('sms-template-dialog').waitFor();
    await page.getByTestId('sms-name').fill('订单发货通知');
    await page.getByTestId('sms-provider-id').fill('1110');
    await page.getByTestId('sms-text').fill('您的订单{1}已发货，快递单号{2}。');
    await page.getByTestId('sms-param-name-0').fill('order_no');
    await page.getByTestId('sms-submit').click();
    expect(await fieldError(page, 'params')).not.toBe('');
    await shootBoth(page, 'platform-sms-refused');
    await page.getByTestId('sms-add-param').click();
    await page.getByTestId('sms-param-name-1').fill('tracking_no');
    await page.getByTestId('sms-submit').click();
    await page.getByTestId('sms-template-dialog').waitFor({ state: 'hidden' });
    await page.getByTestId('sms-templates').getByText('订单发货通知').waitFor();
    const templates = ok(await adminApi.GET('/api/v1/sms/templates'), 'sms templates').items;
    expect(templates.map((t) => t.name)).toContain('订单发货通知');
    expect(templates[0]!.params.map((p) => p.name)).toEqual(['order_no', 'tracking_no']);
    await shootBoth(page, 'platform-sms');
    watch.assertClean();
  });

  it('shows the money by month, tenant and account manager, and downloads the payments as CSV', async () => {
    await page.getByTestId('nav-finance').click();
    await page.waitForURL('**/console/finance');
    await page.getByTestId('finance-received').getByText(formatYuan(2 * PAID_FEN)).waitFor();
    const tenants = page.getByTestId('finance-tenants');
    for (const t of TENANTS) await tenants.getByText(t.business).waitFor();
    const managers = page.getByTestId('finance-managers');
    for (const who of [AM, OTHER_AM]) await managers.getByText(who.name).waitFor();
    await shootBoth(page, 'finance');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('finance-csv').click()]);
    expect(download.suggestedFilename()).toMatch(/^payments-\d{4}-\d{2}-to-\d{4}-\d{2}\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv).toContain('E2E-PLATFORM-0');
    expect(csv).toContain('E2E-PLATFORM-1');
    expect(csv).toContain(TENANTS[0].business);

    // A tenant's name opens its detail.
    await page.getByTestId(`finance-tenant-${TENANTS[0].business}`).click();
    await page.waitForURL(`**/console/tenants/${tenantIds[0]}`);
    await page.goBack();
    await page.waitForURL('**/console/finance**');

    // Over 36 months: the server's message under the range.
    await page.goto(`${server.origin}/console/finance?from=2020-01&to=2026-12`);
    const refused = page.locator('[data-field="from"] .el-form-item__error');
    await refused.waitFor();
    expect((await refused.textContent())?.trim()).not.toBe('');
    await shootBoth(page, 'finance-range-refused');
    watch.assertClean();
  });

  it('sets the agency name and logo: the header and the sign-in page show them', async () => {
    await page.goto(`${server.origin}/console/branding`);
    await page.getByTestId('branding').waitFor();
    await shootBoth(page, 'branding-unset');
    await page.getByTestId('branding-name').fill(AGENCY_NAME);
    await page.getByTestId('branding-save-name').click();
    await page.getByTestId('brand').getByText(AGENCY_NAME).waitFor();

    // Not an image (its content decides, not its name): the server's refusal at the field.
    await page.getByTestId('branding-logo-file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
    const logoError = page.locator('[data-field="file"] .el-form-item__error');
    await logoError.waitFor();
    expect((await logoError.textContent())?.trim()).not.toBe('');
    await shootBoth(page, 'branding-logo-refused');

    await page.getByTestId('branding-logo-file').setInputFiles({ name: 'logo.png', mimeType: 'image/png', buffer: bannerPng() });
    await page.getByTestId('branding-logo').waitFor();
    await page.locator('[data-testid="brand"] img').waitFor();
    const branding = ok(await createClient<paths>({ baseUrl: server.binaryOrigin }).GET('/api/v1/branding'), 'branding');
    expect(branding.name).toBe(AGENCY_NAME);
    expect(branding.logo_url).toBeTruthy();
    await shootBoth(page, 'branding');

    // The sign-in page, before anyone signs in.
    const visitor = await watch.newContext(browser);
    const signInPage = await visitor.newPage();
    watch.attach(signInPage, 'visitor');
    await signInPage.goto(`${server.origin}/console/signin`);
    await signInPage.getByTestId('brand').getByText(AGENCY_NAME).waitFor();
    const logo = signInPage.locator('[data-testid="brand"] img');
    await logo.waitFor();
    expect(await logo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(120);
    await shootBoth(signInPage, 'signin-branded');
    await visitor.close();
    watch.assertClean();
  });

  it("sets an account manager's contact on the staff screen (a malformed number refused at the field)", async () => {
    await page.getByTestId('nav-staff').click();
    await page.waitForURL('**/console/staff');
    await page.getByTestId(`contact-${AM.username}`).click();
    await page.getByTestId('staff-contact-dialog').waitFor();
    await page.getByTestId('staff-contact-phone').fill('12345');
    await page.getByTestId('staff-contact-submit').click();
    expect(await fieldError(page, 'phone')).not.toBe('');
    await shootBoth(page, 'staff-contact-refused');
    await page.getByTestId('staff-contact-phone').fill('13900001111');
    await page.getByTestId('staff-contact-email').fill('sun.li@agency.example.cn');
    await page.getByTestId('staff-contact-submit').click();
    await page.getByTestId('staff-contact-dialog').waitFor({ state: 'hidden' });
    await page.getByTestId(`contact-of-${AM.username}`).getByText('13900001111').waitFor();
    const staff = ok(await adminApi.GET('/api/v1/staff'), 'staff');
    expect(staff.items.find((a) => a.username === AM.username)?.email).toBe('sun.li@agency.example.cn');
    await shootBoth(page, 'staff-contact');
    watch.assertClean();
  });

  it('shows each of these steps in the audit log', async () => {
    const steps = [
      'platform.template_set',
      'rollout.started',
      'rollout.paused',
      'job.retried',
      'notification.broadcast',
      'sms.template_created',
      'branding.changed',
      'staff.contact_changed',
    ];
    for (const action of steps) {
      await page.goto(`${server.origin}/console/audit?action=${action}`);
      await page.getByTestId('audit-table').locator('code', { hasText: action }).first().waitFor();
    }
    await page.goto(`${server.origin}/console/audit?action=rollout.`);
    await page.getByTestId('audit-table').locator('code', { hasText: 'rollout.started' }).first().waitFor();
    await shootBoth(page, 'platform-audit');
    watch.assertClean();
  });

  it("shows an account manager no admin-only screen (navigation or address) and only their tenants' money", async () => {
    const amContext = await watch.newContext(browser);
    const amPage = await amContext.newPage();
    watch.attach(amPage, 'account manager');
    await signIn(amPage, AM);
    await amPage.getByTestId('nav-tenants').waitFor();
    expect(await amPage.getByTestId('nav-platform').count()).toBe(0);
    expect(await amPage.getByTestId('nav-branding').count()).toBe(0);
    await amPage.goto(`${server.origin}/console/platform?tab=jobs`);
    await amPage.waitForURL('**/console/dashboard');
    expect(await amPage.getByTestId('platform-tabs').count()).toBe(0);
    await amPage.goto(`${server.origin}/console/branding`);
    await amPage.waitForURL('**/console/dashboard');

    // Finance: only their own tenant's money.
    await amPage.getByTestId('nav-finance').click();
    await amPage.waitForURL('**/console/finance');
    await amPage.getByTestId('finance-received').getByText(formatYuan(PAID_FEN)).waitFor();
    const tenants = amPage.getByTestId('finance-tenants');
    await tenants.getByText(TENANTS[0].business).waitFor();
    expect(await tenants.getByText(TENANTS[1].business).count()).toBe(0);
    expect(await amPage.getByTestId('finance-managers').getByText(OTHER_AM.name).count()).toBe(0);
    await shootBoth(amPage, 'finance-account-manager');
    await amContext.close();
    watch.assertClean();
  });
});
