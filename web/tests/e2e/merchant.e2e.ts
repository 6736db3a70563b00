/**
 * The merchant's own screens against the real binary, in Chromium. Images are limited to
 * 3,000 bytes (`WEAPP__STORAGE__MAX_IMAGE_BYTES`) so a real PNG can be too large. The
 * merchant admin signs in for the first time and sees the home; uploads three images at
 * once — one stored, one too large and one that is not an image, both refused in words
 * naming the file; sees where the stored image is used (a page) and cannot delete it;
 * adds an editor (the one-time password shown once) who signs in, can make a page but
 * cannot manage editors; disables and enables them; requests an export and downloads the
 * zip through its signed link. A frozen tenant's merchant sees the status and deletion
 * date on the home, and every write control disabled with the reason, while export stays
 * open. Screenshots of each screen in both languages go to target/e2e/.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import createClient from 'openapi-fetch';
import type { paths } from '../../src/api/schema';
import { ADMIN, ok, shanghaiDate, signedInApi, STANDARD_PLAN, type Api, type ProvisionedMerchant } from './support/api';
import { launch, PageWatch, shootBoth } from './support/browser';
import { startFake, startForwarder } from './support/fakes';
import { REPO_DIR, startServer } from './support/server.mjs';
import type { RunningServer } from './support/server.mjs';

const PASSWORD = 'Merchant-password-2026';
const EDITOR = { username: 'haowei.xiaowang', name: '小王', password: 'Xiaowang-password-2026' };
const IMAGE_LIMIT = 3000;
const APPID = 'wxc3c3c3c3c3c3c3c3';

const zhMerchant = JSON.parse(readFileSync(new URL('../../src/i18n/locales/merchant/zh-CN.json', import.meta.url), 'utf8')) as {
  merchant: { editors: Record<string, string> };
};

let server: RunningServer;
let browser: Browser;
let merchant: ProvisionedMerchant;
let merchantApi: Api;
let adminApi: Api;
let filesDir = '';
let storedAssetId = '';
let context: BrowserContext;
let page: Page;
const watch = new PageWatch();
let ended: { tenantId: string; oneTimePassword: string };
let sim: { origin: string; child: ChildProcess };
let smsFake: { origin: string; child: ChildProcess };
let forwarder: Server;

/**
 * The uploads the test refuses on purpose answer 413 and 422; the shared watch forgives
 * 422 but not 413, so those are taken off its list (and only those).
 */
function forgiveRefusedUploads(): void {
  forgive(/status of 413\b.*\/api\/v1\/assets/);
}

/** Takes the problems matching `pattern` off the watch's list (and only those). */
function forgive(pattern: RegExp): void {
  for (let i = watch.problems.length - 1; i >= 0; i--) {
    if (pattern.test(watch.problems[i]!)) watch.problems.splice(i, 1);
  }
}

/**
 * The first admin, a plan with SMS (a pack of 1,000 segments, overage allowed), an
 * account manager and an active tenant whose merchant admin has a one-time password.
 */
async function provisionWithSms(): Promise<ProvisionedMerchant> {
  const anonymous = createClient<paths>({ baseUrl: server.binaryOrigin });
  ok(await anonymous.POST('/api/v1/setup', { body: { token: server.setupToken, ...ADMIN } }), 'first-run setup');
  const api = await signedInApi(server.binaryOrigin, ADMIN.username, ADMIN.password);
  const plan = ok(
    await api.POST('/api/v1/plans', {
      body: {
        ...STANDARD_PLAN,
        name: '建站短信版',
        terms: { ...STANDARD_PLAN.terms, apps: ['pages', 'media', 'sms'], sms_segments_per_year: 1000, sms_overage_allowed: true },
      },
    }),
    'creating a plan',
  );
  const am = ok(
    await api.POST('/api/v1/staff', { body: { username: 'zhao.min', display_name: '赵敏', role: 'account_manager' } }),
    'creating an account manager',
  );
  const provisioned = ok(
    await api.POST('/api/v1/tenants', {
      body: {
        business_name: '好味小馆',
        contact: { name: '李娜', phone: '13812341234', email: 'li.na@example.cn' },
        plan_id: plan.id,
        account_manager_id: am.account.id,
        merchant_admin_username: 'haowei.admin',
        contract: { payment_method: 'bank_transfer', start_date: shanghaiDate(0) },
      },
    }),
    'provisioning',
  );
  ok(
    await api.POST('/api/v1/tenants/{tenant_id}/contracts/{contract_id}/payments', {
      params: { path: { tenant_id: provisioned.tenant.id, contract_id: provisioned.contract.id } },
      body: { amount_fen: provisioned.contract.amount_fen, method: 'bank_transfer', reference: 'E2E-MERCHANT', paid_on: shanghaiDate(0) },
    }),
    'recording the payment',
  );
  return { tenantId: provisioned.tenant.id, username: 'haowei.admin', oneTimePassword: provisioned.merchant_admin.one_time_password };
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

async function signIn(p: Page, username: string, password: string): Promise<void> {
  await p.goto(`${server.origin}/console/signin`);
  await p.getByTestId('signin-username').fill(username);
  await p.getByTestId('signin-password').fill(password);
  await p.getByTestId('signin-submit').click();
}

/** First sign-in with a one-time password: the password screen, then the home. */
async function firstSignIn(p: Page, username: string, oneTime: string, password: string): Promise<void> {
  await signIn(p, username, oneTime);
  await p.waitForURL('**/console/password');
  await p.getByTestId('password-current').fill(oneTime);
  await p.getByTestId('password-new').fill(password);
  await p.getByTestId('password-confirm').fill(password);
  await p.getByTestId('password-submit').click();
  await p.waitForURL('**/console/home');
}

beforeAll(async () => {
  const pushes = await startForwarder();
  forwarder = pushes.server;
  const wechat = await startFake('wechat-sim', pushes.origin);
  const sms = await startFake('sms-fake', pushes.origin);
  sim = { origin: wechat.origin, child: wechat.child };
  smsFake = { origin: sms.origin, child: sms.child };
  server = await startServer({ env: { ...wechat.env, ...sms.env, WEAPP__STORAGE__MAX_IMAGE_BYTES: String(IMAGE_LIMIT) } });
  pushes.target(server.binaryOrigin);
  merchant = await provisionWithSms();
  adminApi = await signedInApi(server.binaryOrigin, ADMIN.username, ADMIN.password);
  // WeChat's ticket push (the component token needs it) and the agency's code template.
  await simPost('/__sim/push/ticket', {});
  await until('the ticket', async () => ok(await adminApi.GET('/api/v1/platform/status'), 'platform status').ticket);
  ok(await adminApi.PUT('/api/v1/platform/template', { body: { template_id: 1 } }), 'setting the code template');

  // A tenant whose paid term ended five days ago, provisioned now so the scheduler's
  // freeze (once a minute) happens while the other tests run.
  const plans = ok(await adminApi.GET('/api/v1/plans'), 'listing plans');
  const staff = ok(await adminApi.GET('/api/v1/staff'), 'listing staff');
  const am = staff.items.find((s) => s.role === 'account_manager')!;
  const created = ok(
    await adminApi.POST('/api/v1/tenants', {
      body: {
        business_name: '旧时光咖啡',
        contact: { name: '周杰', phone: '13900001111', email: 'zhou.jie@example.cn' },
        plan_id: plans.items[0]!.id,
        account_manager_id: am.id,
        merchant_admin_username: 'jiushiguang.admin',
        contract: { payment_method: 'cash', start_date: shanghaiDate(-370), end_date: shanghaiDate(-5), historical_import: true },
      },
    }),
    'provisioning an ended tenant',
  );
  ok(
    await adminApi.POST('/api/v1/tenants/{tenant_id}/contracts/{contract_id}/payments', {
      params: { path: { tenant_id: created.tenant.id, contract_id: created.contract.id } },
      body: { amount_fen: created.contract.amount_fen, method: 'cash', reference: 'E2E-OLD', paid_on: shanghaiDate(-370) },
    }),
    'paying it',
  );
  ended = { tenantId: created.tenant.id, oneTimePassword: created.merchant_admin.one_time_password };

  filesDir = mkdtempSync(join(tmpdir(), 'weapp-merchant-files-'));
  copyFileSync(join(REPO_DIR, 'page-templates/assets/placeholder-square.png'), join(filesDir, 'shopfront.png')); // 2,134 bytes
  copyFileSync(join(REPO_DIR, 'page-templates/assets/placeholder-banner.png'), join(filesDir, 'big-banner.png')); // 3,585 bytes
  writeFileSync(join(filesDir, 'price-list.png'), '招牌牛肉面 28 元\n酸辣粉 16 元\n');

  browser = await launch();
  context = await watch.newContext(browser);
  page = await context.newPage();
  watch.attach(page, 'merchant admin');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  sim?.child.kill('SIGTERM');
  smsFake?.child.kill('SIGTERM');
  forwarder?.close();
  if (filesDir) rmSync(filesDir, { recursive: true, force: true });
});

describe('the merchant screens', () => {
  it('shows the home after the first sign-in: active until the term end, the binding, quick links', async () => {
    await firstSignIn(page, merchant.username, merchant.oneTimePassword, PASSWORD);
    merchantApi = await signedInApi(server.binaryOrigin, merchant.username, PASSWORD);
    const status = page.getByTestId('home-status');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/服务正常，有效期至 \d{4}-\d{2}-\d{2}/);
    expect(await page.getByTestId('home-binding').textContent()).toContain('尚未绑定');
    expect(await page.getByTestId('write-blocked').count()).toBe(0);
    // The account manager's contact and the last 30 days' usage.
    expect(await page.getByTestId('home-manager').textContent()).toContain('赵敏');
    await page.getByTestId('home-usage').locator('dl').waitFor();
    await shootBoth(page, 'merchant-home-status');
    watch.assertClean();
  });

  it('uploads three images at once: one stored, the too large and the not-an-image refused in words', async () => {
    await page.getByTestId('nav-assets').click();
    await page.waitForURL('**/console/assets');
    await page.getByTestId('asset-quota').waitFor();
    await shootBoth(page, 'merchant-assets-empty');
    await page
      .getByTestId('asset-file-input')
      .setInputFiles([join(filesDir, 'shopfront.png'), join(filesDir, 'big-banner.png'), join(filesDir, 'price-list.png')]);
    await expect.poll(() => page.getByTestId('upload-refusal').count(), { timeout: 15_000 }).toBe(2);
    const refusals = await page.getByTestId('upload-refusal').allTextContents();
    const big = refusals.find((r) => r.includes('big-banner.png'));
    const text = refusals.find((r) => r.includes('price-list.png'));
    expect(big).toBe('“big-banner.png”未上传：文件大小为 3.5 KB，图片最大 2.9 KB。请缩小尺寸或提高压缩后重试。');
    expect(text).toContain('不是 PNG、JPEG、GIF、WebP 图片或 MP4 视频');
    await page.locator('[data-testid="asset-card"][data-name="shopfront.png"] img').waitFor();
    expect(await page.getByTestId('asset-card').count()).toBe(1);
    expect(await page.getByTestId('asset-quota').textContent()).toContain('2.1 KB');
    // The image really loads (through the signed prefix).
    await expect
      .poll(() => page.locator('[data-testid="asset-card"] img').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0))
      .toBe(true);
    await shootBoth(page, 'merchant-assets-upload');
    forgiveRefusedUploads();
    watch.assertClean();
    const list = ok(await merchantApi.GET('/api/v1/assets'), 'listing assets');
    expect(list.items.map((a) => a.original_name)).toEqual(['shopfront.png']);
    storedAssetId = list.items[0]!.id;
  });

  it('names the page that uses an image and does not delete it', async () => {
    const card = page.locator('[data-testid="asset-card"][data-name="shopfront.png"]');
    expect(await card.getByTestId('asset-uses').textContent()).toContain('没有页面在使用');
    // Meanwhile a page starts using it (as another editor would): the delete is refused
    // with the page named.
    ok(
      await merchantApi.POST('/api/v1/pages', {
        body: {
          slug: 'menu',
          title: '今日菜单',
          // The schema types the layout as an open object.
          layout: { components: [{ id: 'hero', type: 'image', props: { asset_id: storedAssetId } }] } as never,
        },
      }),
      'a page using the image',
    );
    await card.getByTestId('asset-delete').click();
    await page.getByTestId('confirm-button').click();
    const dialog = page.getByTestId('asset-in-use');
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('页面“今日菜单”');
    await shootBoth(page, 'merchant-assets-in-use');
    await dialog.getByRole('button', { name: '完成' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // Opened afresh, the list itself says where it is used, and the delete is closed with the reason.
    await page.reload();
    await card.waitFor();
    expect(await card.getByTestId('asset-uses').textContent()).toContain('页面“今日菜单”');
    const del = card.getByTestId('asset-delete');
    expect(await del.isDisabled()).toBe(true);
    expect(await del.getAttribute('data-blocked-reason')).toBe('仍在使用中：请先在下列页面中移除它。');
    const link = card.locator('[data-testid="asset-uses"] a').first();
    expect(await link.getAttribute('href')).toMatch(/\/console\/pages\/[0-9a-f-]+\/edit$/);
    await shootBoth(page, 'merchant-assets-used');
    expect(ok(await merchantApi.GET('/api/v1/assets'), 'listing assets').items).toHaveLength(1);
    watch.assertClean();
  });

  it('adds an editor who signs in, makes a page, and cannot manage editors', async () => {
    await page.getByTestId('nav-editors').click();
    await page.waitForURL('**/console/editors');
    await page.getByTestId('editors-table').waitFor();
    await page.getByTestId('editor-create').click();
    await page.getByTestId('editor-display-name').fill(EDITOR.name);
    await page.getByTestId('editor-username').fill(EDITOR.username);
    await page.getByTestId('editor-submit').click();
    const otp = page.getByTestId('otp-password');
    await otp.waitFor();
    const oneTime = (await otp.textContent())!.trim();
    expect(oneTime.length).toBeGreaterThan(8);
    expect(await page.getByTestId('otp-username').textContent()).toBe(EDITOR.username);
    await shootBoth(page, 'merchant-editor-created');
    await page.getByTestId('editor-dialog-close').click();
    await page.getByTestId(`editor-disable-${EDITOR.username}`).waitFor();
    await shootBoth(page, 'merchant-editors');

    // The editor, in a browser of their own.
    const editorContext = await watch.newContext(browser);
    const editor = await editorContext.newPage();
    watch.attach(editor, 'editor');
    await firstSignIn(editor, EDITOR.username, oneTime, EDITOR.password);
    expect(await editor.getByTestId('nav-editors').count()).toBe(0);
    expect(await editor.getByTestId('nav-export').count()).toBe(0);
    await editor.getByTestId('nav-assets').waitFor();
    await editor.goto(`${server.origin}/console/editors`);
    await editor.waitForURL('**/console/home');
    await editor.getByTestId('nav-pages').click();
    await editor.getByTestId('page-new').click();
    await editor.getByTestId('starter-blank').click();
    await editor.getByTestId('new-page-title').fill('关于我们');
    await editor.getByTestId('new-page-slug').fill('about');
    await editor.getByTestId('new-page-submit').click();
    await editor.waitForURL(/\/console\/pages\/[0-9a-f-]+\/edit$/);
    await editor.getByTestId('canvas').waitFor();
    const editorApi = await signedInApi(server.binaryOrigin, EDITOR.username, EDITOR.password);
    const refused = await editorApi.GET('/api/v1/tenants/{tenant_id}/editors', { params: { path: { tenant_id: merchant.tenantId } } });
    expect(refused.response.status).toBe(403);
    await editorContext.close();

    // Disable (they can no longer sign in), enable again, and a new one-time password shown once.
    await page.getByTestId(`editor-disable-${EDITOR.username}`).click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId(`editor-enable-${EDITOR.username}`).waitFor();
    expect(await page.getByTestId('editors-table').textContent()).toContain(zhMerchant.merchant.editors.stateDisabled!);
    const after = await signedInApi(server.binaryOrigin, EDITOR.username, EDITOR.password).catch((e: Error) => e);
    expect(after).toBeInstanceOf(Error);
    await page.getByTestId(`editor-enable-${EDITOR.username}`).click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId(`editor-reset-${EDITOR.username}`).waitFor();
    await signedInApi(server.binaryOrigin, EDITOR.username, EDITOR.password);
    await page.getByTestId(`editor-reset-${EDITOR.username}`).click();
    await page.getByTestId('confirm-button').click();
    await page.getByTestId('otp-password').waitFor();
    const fresh = (await page.getByTestId('otp-password').textContent())!.trim();
    expect(fresh).not.toBe(oneTime);
    await shootBoth(page, 'merchant-editor-reissued');
    watch.assertClean();
  });

  it('requests an export and downloads the zip through its signed link', async () => {
    await page.goto(`${server.origin}/console/home`);
    await page.getByTestId('nav-export').click();
    await page.waitForURL('**/console/export');
    await page.getByTestId('export-request').click();
    await page.getByTestId('export-status-ready').waitFor({ timeout: 60_000 });
    const href = await page.getByTestId('export-download').getAttribute('href');
    expect(href).toMatch(/\/api\/v1\/links\//);
    // The signed link needs no bearer header.
    const zip = await fetch(new URL(href!, server.origin));
    expect(zip.status).toBe(200);
    const bytes = new Uint8Array(await zip.arrayBuffer());
    expect(String.fromCharCode(bytes[0]!, bytes[1]!)).toBe('PK');
    await shootBoth(page, 'merchant-export');
    watch.assertClean();
  });

  it('binds the mini-program through WeChat’s authorization page and lands back on the binding screen', async () => {
    await page.goto(`${server.origin}/console/home`);
    await page.getByTestId('nav-miniprogram').click();
    await page.waitForURL('**/console/miniprogram');
    const state = page.getByTestId('binding-state');
    await state.waitFor();
    expect(await state.getAttribute('data-status')).toBe('unbound');
    expect(await page.getByTestId('deploy-start').getAttribute('data-blocked-reason')).toBe('请先绑定小程序。');
    await shootBoth(page, 'merchant-miniprogram-unbound');

    await page.getByTestId('binding-authorize').click();
    // The simulator's authorization page (WeChat's, in production).
    await page.waitForURL((url) => url.origin === sim.origin);
    await page.locator('input[name="sim_appid"]').fill(APPID);
    await page.getByRole('button').click();
    // WeChat returns the browser to the service, which sends it on to this screen.
    await page.waitForURL((url) => url.pathname.startsWith('/console/miniprogram'));
    // The simulator's page is not the console: its favicon request 404s, which is its own.
    forgive(/favicon\.ico/);
    await page.waitForURL('**/console/miniprogram');
    const outcome = page.getByTestId('authorization-outcome');
    await outcome.waitFor();
    expect(await outcome.textContent()).toContain(`已绑定`);
    await expect.poll(() => state.getAttribute('data-status')).toBe('bound');
    expect(await page.getByTestId('binding-permissions').textContent()).toContain('可以发布');
    await page.getByTestId('binding-check').click();
    await page.getByTestId('binding-versions').waitFor();
    await shootBoth(page, 'merchant-miniprogram-bound');
    forgive(/favicon\.ico/);
    watch.assertClean();
  });

  it('deploys: the steps advance live, the trial QR shows, the reviewer approves and the release shows', async () => {
    await page.getByTestId('deploy-start').click();
    await page.getByTestId('deploy-desc').fill('首次发布');
    await page.getByTestId('deploy-submit').click();
    const run = page.getByTestId('deploy-run').first();
    await run.waitFor();
    // The steps advance without a reload: the run is asked again while it goes.
    await run.locator('[data-step="commit"][data-state="done"]').waitFor({ timeout: 60_000 });
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 60_000 }).toBe('waiting_audit');
    expect(await run.locator('[data-step="audit"]').getAttribute('data-state')).toBe('in_flight');
    const qr = run.getByTestId('deploy-qrcode').locator('img');
    await qr.waitFor();
    // The image comes through the run's signed link, without a bearer header (the
    // simulator's QR is a minimal JPEG a browser does not draw, so its bytes are checked).
    const src = await qr.getAttribute('src');
    expect(src).toMatch(/^\/api\/v1\/links\//);
    const image = await fetch(new URL(src!, server.origin));
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toContain('image/');
    expect([...new Uint8Array(await image.arrayBuffer()).slice(0, 2)]).toEqual([0xff, 0xd8]);
    expect(await run.getByTestId('deploy-undo-audit').isEnabled()).toBe(true);
    await shootBoth(page, 'merchant-deploy-review');

    await simPost(`/__sim/apps/${APPID}/audit`, { result: 'pass' });
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 60_000 }).toBe('released');
    expect(await run.getByTestId('deploy-status').textContent()).toContain('已上线');
    // Every step passed (done, or skipped when WeChat did not need it).
    expect(await run.locator('[data-step]').count()).toBe(8);
    expect(await run.locator('[data-step]:not([data-state="done"]):not([data-state="skipped"])').count()).toBe(0);
    await shootBoth(page, 'merchant-deploy-released');
    watch.assertClean();
  });

  it('shows a rejected review’s reasons line by line with what to change', async () => {
    await page.getByTestId('deploy-start').click();
    await page.getByTestId('deploy-auto-release').click();
    await page.getByTestId('deploy-submit').click();
    const run = page.getByTestId('deploy-run').first();
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 60_000 }).toBe('waiting_audit');
    await simPost(`/__sim/apps/${APPID}/audit`, { result: 'fail', reason: '1. 小程序名称与页面内容不符<br>2. 未提供用户隐私保护指引' });
    const rejection = run.getByTestId('deploy-rejection');
    await rejection.waitFor({ timeout: 60_000 });
    expect(await rejection.locator('li').allTextContents()).toEqual(['1. 小程序名称与页面内容不符', '2. 未提供用户隐私保护指引']);
    expect(await rejection.textContent()).toContain('然后发布新版本');
    expect(await run.locator('[data-step="audit"]').getAttribute('data-state')).toBe('failed');
    await shootBoth(page, 'merchant-deploy-rejected');
    watch.assertClean();
  });

  it('releases by hand: to a share of users first, stops it, then to everyone, and rolls back', async () => {
    await page.getByTestId('deploy-start').click();
    await page.getByTestId('deploy-auto-release').click();
    await page.getByTestId('deploy-submit').click();
    const run = page.getByTestId('deploy-run').first();
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 60_000 }).toBe('waiting_audit');
    await simPost(`/__sim/apps/${APPID}/audit`, { result: 'pass' });
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 60_000 }).toBe('awaiting_release');
    expect(await run.locator('[data-step="release"]').getAttribute('data-state')).toBe('in_flight');
    await shootBoth(page, 'merchant-deploy-approved');

    await run.getByTestId('deploy-gray-percent').locator('input').fill('30');
    await run.getByTestId('deploy-gray').click();
    await page.locator('[data-testid="confirm-button"]:visible').click();
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 30_000 }).toBe('gray');
    expect(await run.getByTestId('deploy-status').textContent()).toContain('30%');
    await shootBoth(page, 'merchant-deploy-gray');

    await run.getByTestId('deploy-revert-gray').click();
    await page.locator('[data-testid="confirm-button"]:visible').click();
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 30_000 }).toBe('awaiting_release');

    await run.getByTestId('deploy-release').click();
    await page.locator('[data-testid="confirm-button"]:visible').click();
    await expect.poll(() => run.getAttribute('data-status'), { timeout: 30_000 }).toBe('released');

    // Two releases now: back to the first one.
    await page.getByTestId('deploy-rollback').click();
    await page.locator('[data-testid="confirm-button"]:visible').click();
    await page.locator('.el-message', { hasText: '已回退到上一个版本' }).waitFor();
    watch.assertClean();
  });

  it('sends an SMS batch: the bad number listed before sending, the delivered count after, and the month’s report', async () => {
    ok(
      await adminApi.POST('/api/v1/sms/templates', {
        body: {
          name: '取餐通知',
          provider_template_id: '100001',
          text: '您的取餐号是{1}，请到前台取餐。',
          params: [{ name: 'number', max_chars: 6, digits_only: true }],
          usage: 'merchant',
        },
      }),
      'registering a merchant template',
    );
    await page.goto(`${server.origin}/console/home`);
    await page.getByTestId('nav-sms').click();
    await page.waitForURL('**/console/sms');
    await page.getByTestId('sms-send-form').waitFor();
    expect(await page.getByTestId('sms-pack').textContent()).toContain('已用 0 段，共 1000 段');
    await page.getByTestId('sms-param-number').fill('A17');
    await page.getByTestId('sms-send-form').getByText('只能是数字。').waitFor();
    await page.getByTestId('sms-param-number').fill('017');
    expect(await page.getByTestId('sms-preview').textContent()).toBe('您的取餐号是017，请到前台取餐。');
    await page.getByTestId('sms-numbers').fill('13800138000\n139-0013-9000，12345\n+86 138 0013 8000');
    const bad = page.getByTestId('sms-bad-numbers');
    await bad.waitFor();
    expect(await bad.locator('li').allTextContents()).toEqual([
      '第 3 项“12345”不是中国大陆手机号（11 位，以 13–19 开头）。',
      '第 4 项“+86 138 0013 8000”与前面的号码重复，只发一次。',
    ]);
    expect(await page.getByTestId('sms-send').textContent()).toContain('发送给 2 个号码');
    await shootBoth(page, 'merchant-sms-form');
    await page.getByTestId('sms-send').click();
    const counts = page.getByTestId('sms-batch-counts');
    await counts.locator('[data-status="delivered"]').filter({ hasText: '已送达 2' }).waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('sms-messages').textContent()).toContain('138****8000');
    // The fake provider got exactly the two valid numbers.
    const sent = (await (await fetch(`${smsFake.origin}/__fake/sent`)).json()) as unknown;
    expect(JSON.stringify(sent)).toContain('13900139000');
    // The month's report, read again once the batch settled: 2 sent, 2 delivered, from the pack.
    const month = page.getByTestId('sms-months').locator('tbody tr').first();
    await expect.poll(async () => (await month.locator('td').allTextContents()).map((c) => c.trim())).toEqual([shanghaiDate(0).slice(0, 7), '2', '2', '0', '2', '2', '0', '¥0.00']);
    await shootBoth(page, 'merchant-sms-sent');
    watch.assertClean();
  });

  it('a frozen tenant’s home shows the status and deletion date, and every write says why it is closed', async () => {
    let status = '';
    // The scheduler freezes it at its next once-a-minute tick.
    for (let i = 0; i < 90 && status !== 'frozen'; i++) {
      status = ok(await adminApi.GET('/api/v1/tenants/{tenant_id}', { params: { path: { tenant_id: ended.tenantId } } }), 'the tenant').status;
      if (status !== 'frozen') await new Promise((r) => setTimeout(r, 1000));
    }
    expect(status).toBe('frozen');

    const frozenContext = await watch.newContext(browser);
    const frozen = await frozenContext.newPage();
    watch.attach(frozen, 'frozen merchant');
    await firstSignIn(frozen, 'jiushiguang.admin', ended.oneTimePassword, PASSWORD);
    await frozen.getByTestId('home-status').waitFor();
    expect(await frozen.getByTestId('home-status').textContent()).toContain('已冻结');
    const deletion = frozen.getByTestId('home-deletion');
    await deletion.waitFor();
    expect(await deletion.textContent()).toMatch(/如不续费，店铺的全部数据将于 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（北京时间）删除|具体日期尚未确定/);
    expect(await frozen.getByTestId('write-blocked').textContent()).toContain('服务已到期，店铺已冻结');
    await shootBoth(frozen, 'merchant-frozen-home');

    await frozen.getByTestId('nav-assets').click();
    const choose = frozen.getByTestId('asset-choose');
    await choose.waitFor();
    await expect.poll(() => choose.isDisabled()).toBe(true);
    expect(await choose.getAttribute('data-blocked-reason')).toContain('服务已到期，店铺已冻结');
    await choose.locator('xpath=..').hover();
    await frozen.locator('.el-popper:visible', { hasText: '服务已到期' }).first().waitFor();
    await shootBoth(frozen, 'merchant-frozen-assets');

    await frozen.getByTestId('nav-editors').click();
    const add = frozen.getByTestId('editor-create');
    await add.waitFor();
    await expect.poll(() => add.isDisabled()).toBe(true);
    expect(await add.getAttribute('data-blocked-reason')).toContain('服务已到期，店铺已冻结');
    await shootBoth(frozen, 'merchant-frozen-editors');

    await frozen.getByTestId('nav-miniprogram').click();
    const bind = frozen.getByTestId('binding-authorize');
    await bind.waitFor();
    await expect.poll(() => bind.isDisabled()).toBe(true);
    expect(await bind.getAttribute('data-blocked-reason')).toContain('服务已到期，店铺已冻结');

    // Exporting is what a frozen shop may still do.
    await frozen.getByTestId('nav-export').click();
    const request = frozen.getByTestId('export-request');
    await request.waitFor();
    expect(await request.isDisabled()).toBe(false);
    await request.click();
    await frozen.getByTestId('export-status-ready').waitFor({ timeout: 60_000 });
    await shootBoth(frozen, 'merchant-frozen-export');
    await frozenContext.close();
    watch.assertClean();
  });
});
