/**
 * The console against the real binary, in Chromium: first-run setup, staff, the account
 * manager's first sign-in, provisioning (with a refused input marked at its field), the
 * dashboard and the filtered list, two tabs whose tokens expire together, log out
 * everywhere, a merchant's first sign-in, throttled sign-in. Every page is watched for
 * uncaught errors, console errors and CSP violations, and storage is checked for tokens.
 * Screenshots of every screen in both languages go to target/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ok, signedInApi, STANDARD_PLAN } from './support/api';
import { choose, launch, PageWatch, shoot, shootBoth, switchLanguage } from './support/browser';
import { startServer } from './support/server.mjs';
import type { RunningServer } from './support/server.mjs';

/** Short access tokens, so the test crosses many silent refreshes. */
const ACCESS_TOKEN_TTL_SECS = 5;

const ADMIN = { username: 'admin', password: 'Admin-password-2026' };
const AM = { username: 'li.lei', name: '李雷', password: 'Li-Lei-password-2026', otp: '' };
const MERCHANT = { username: 'haowei.admin', password: 'Haowei-password-2026', otp: '' };
const BUSINESS = '好味小馆';

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let tab2: Page | null = null;
const watch = new PageWatch();

function addDays(days: number): string {
  const now = new Date(Date.now() + 8 * 3600_000 + days * 86_400_000); // Asia/Shanghai calendar
  return now.toISOString().slice(0, 10);
}

async function signIn(p: Page, username: string, password: string): Promise<void> {
  await p.getByTestId('signin-username').fill(username);
  await p.getByTestId('signin-password').fill(password);
  await p.getByTestId('signin-submit').click();
}

async function accountMenu(p: Page, item: 'logout' | 'logout-everywhere'): Promise<void> {
  await p.getByTestId('account-menu').click();
  await p.locator(`.el-dropdown-menu__item[data-testid="${item}"]:visible`).click();
}

async function fieldError(p: Page, path: string): Promise<string> {
  const el = p.locator(`[data-field="${path}"] .el-form-item__error`);
  await el.waitFor({ state: 'visible' });
  return (await el.textContent())?.trim() ?? '';
}

beforeAll(async () => {
  server = await startServer({ accessTokenTtlSecs: ACCESS_TOKEN_TTL_SECS });
  if (server.proxied) {
    console.warn('e2e: the binary embeds an older web/dist; the console is served from web/dist by a local proxy');
  }
  browser = await launch();
  context = await watch.newContext(browser);
  page = await context.newPage();
  watch.attach(page, 'tab 1');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the console against the binary', () => {
  it('first-run setup creates the first agency admin and signs them in', async () => {
    await page.goto(`${server.origin}/console/signin`);
    await page.getByTestId('setup-needed').waitFor();
    await shootBoth(page, 'signin-first-run');

    await page.goto(`${server.origin}/console/setup?token=${server.setupToken}`);
    await page.getByTestId('setup-username').waitFor();
    await shootBoth(page, 'setup');
    await page.getByTestId('setup-username').fill(ADMIN.username);
    await page.getByTestId('setup-password').fill(ADMIN.password);
    await page.getByTestId('setup-confirm').fill(ADMIN.password);
    await page.getByTestId('setup-submit').click();
    await page.waitForURL('**/console/dashboard');
    await page.getByTestId('count-pending').waitFor();
    await watch.assertNoStoredToken(page);
    await shootBoth(page, 'dashboard-empty');

    // A reload restores the session from the refresh cookie.
    await page.reload();
    await page.getByTestId('count-pending').waitFor();
    expect(new URL(page.url()).pathname).toBe('/console/dashboard');

    // The setup address now says setup is done and links to sign-in.
    const other = await context.newPage();
    watch.attach(other, 'setup again');
    await other.goto(`${server.origin}/console/setup?token=${server.setupToken}`);
    await other.getByTestId('setup-finished').waitFor();
    await shootBoth(other, 'setup-done');
    await other.close();
    watch.assertClean();
  });

  it('the admin creates an account manager and sees the one-time password once', async () => {
    // Plans have no screen yet: the admin creates one through the API.
    const adminApi = await signedInApi(server.binaryOrigin, ADMIN.username, ADMIN.password);
    ok(await adminApi.POST('/api/v1/plans', { body: STANDARD_PLAN }), 'creating a plan');

    await page.getByTestId('nav-staff').click();
    await page.getByTestId('staff-table').waitFor();
    await shootBoth(page, 'staff');

    await page.getByTestId('staff-create').click();
    await page.getByTestId('staff-display-name').fill(AM.name);
    await page.getByTestId('staff-username').fill(AM.username);
    await shootBoth(page, 'staff-create');
    await page.getByTestId('staff-submit').click();
    const otp = page.getByTestId('otp-password');
    await otp.waitFor();
    AM.otp = ((await otp.textContent()) ?? '').trim();
    expect(AM.otp.length).toBeGreaterThanOrEqual(10);
    expect(await page.getByTestId('one-time-password').textContent()).toContain('系统不会通过短信');
    await shootBoth(page, 'staff-created');
    await page.getByTestId('staff-dialog-close').click();
    await page.getByTestId('staff-table').getByText(AM.username).waitFor();
    await watch.assertNoStoredToken(page);
    watch.assertClean();
  });

  it('the account manager signs in with the one-time password and must change it', async () => {
    await accountMenu(page, 'logout');
    await page.waitForURL('**/console/signin');
    await shootBoth(page, 'signin');
    await signIn(page, AM.username, AM.otp);
    await page.waitForURL('**/console/password');
    await shootBoth(page, 'password-forced');

    // A weak new password is refused at its field with the server's message.
    await page.getByTestId('password-current').fill(AM.otp);
    await page.getByTestId('password-new').fill('short');
    await page.getByTestId('password-confirm').fill('short');
    await page.getByTestId('password-submit').click();
    expect(await fieldError(page, 'new_password')).toContain('10');
    await shoot(page, 'password-refused', 'zh-CN');

    await page.getByTestId('password-new').fill(AM.password);
    await page.getByTestId('password-confirm').fill(AM.password);
    await page.getByTestId('password-submit').click();
    await page.waitForURL('**/console/dashboard');
    await page.getByTestId('count-pending').waitFor();
    await watch.assertNoStoredToken(page);
    watch.assertClean();
  });

  it('provisions a tenant: a bad schedule is marked at its field, then the one-time password is shown once', async () => {
    await page.getByTestId('nav-tenants').click();
    await page.getByTestId('list-empty').waitFor();
    await shootBoth(page, 'tenants-empty');

    await page.getByTestId('provision-button').click();
    await page.getByTestId('wiz-business-name').fill(BUSINESS);
    await page.getByTestId('wiz-contact-name').fill('李娜');
    await page.getByTestId('wiz-contact-phone').fill('13812341234');
    await page.getByTestId('wiz-contact-email').fill('li.na@example.cn');
    await page.getByTestId('wiz-admin-username').fill(MERCHANT.username);
    await shootBoth(page, 'wizard-business');
    await page.getByTestId('wiz-next').click();

    await page.getByTestId('wiz-plan').getByText(STANDARD_PLAN.name).click();
    await shootBoth(page, 'wizard-plan');
    await page.getByTestId('wiz-next').click();

    // A term ending in 20 days, so the tenant shows among those ending soon once paid.
    const end = page.getByTestId('wiz-end').locator('input');
    await end.fill(addDays(19));
    await end.press('Enter');
    await page.getByTestId('wiz-add-milestone').click();
    await page.getByTestId('milestone-0-amount').fill('1.00');
    await shootBoth(page, 'wizard-contract');
    await page.getByTestId('wiz-next').click();
    await page.getByTestId('wiz-review').waitFor();
    await shootBoth(page, 'wizard-review');

    // The milestones do not add up to the price: the server refuses, the field says why.
    await page.getByTestId('wiz-submit').click();
    const zh = await fieldError(page, 'contract.milestones');
    expect(zh).toContain('各期金额之和');
    await shoot(page, 'wizard-refused', 'zh-CN');
    await switchLanguage(page, 'en');
    await page.getByTestId('wiz-next').click();
    await page.getByTestId('wiz-submit').click();
    const en = await fieldError(page, 'contract.milestones');
    expect(en).toContain('The stages add up to');
    await shoot(page, 'wizard-refused', 'en');
    await switchLanguage(page, 'zh-CN');

    // One payment instead: accepted.
    await page.getByTestId('milestone-0').getByRole('button').click();
    await page.getByTestId('wiz-next').click();
    await page.getByTestId('wiz-submit').click();
    await page.getByTestId('wiz-done').waitFor();
    MERCHANT.otp = ((await page.getByTestId('otp-password').textContent()) ?? '').trim();
    expect(MERCHANT.otp.length).toBeGreaterThanOrEqual(10);
    expect(await page.getByTestId('otp-username').textContent()).toBe(MERCHANT.username);
    await shootBoth(page, 'wizard-done');
    await watch.assertNoStoredToken(page);
    watch.assertClean();
  });

  it('finds the tenant on the dashboard and in the filtered list', async () => {
    // The contract is paid (payments have no screen yet): the tenant becomes active.
    const amApi = await signedInApi(server.binaryOrigin, AM.username, AM.password);
    const tenant = ok(await amApi.GET('/api/v1/tenants', { params: { query: { q: BUSINESS } } }), 'listing').items[0]!;
    const contract = ok(
      await amApi.GET('/api/v1/tenants/{tenant_id}/contracts', { params: { path: { tenant_id: tenant.id } } }),
      'contracts',
    ).items[0]!;
    ok(
      await amApi.POST('/api/v1/tenants/{tenant_id}/contracts/{contract_id}/payments', {
        params: { path: { tenant_id: tenant.id, contract_id: contract.id } },
        body: { amount_fen: contract.amount_fen, method: 'bank_transfer', reference: 'E2E-0001', paid_on: addDays(0) },
      }),
      'recording the payment',
    );

    await page.getByTestId('nav-dashboard').click();
    await page.getByTestId('ending-soon').getByText(BUSINESS).waitFor();
    expect(await page.getByTestId('count-active').textContent()).toContain('1');
    await shootBoth(page, 'dashboard');

    await page.getByTestId('nav-tenants').click();
    await page.getByTestId('tenant-table').waitFor();
    await choose(page, 'filter-status', '服务中');
    await choose(page, 'filter-ends', '30 天内到期');
    await page.getByTestId('tenant-search').fill('好味');
    await page.getByTestId('tenant-search').press('Enter');
    await page.waitForURL((url) => url.searchParams.get('q') === '好味');
    const url = new URL(page.url());
    expect(url.searchParams.get('status')).toBe('active');
    expect(url.searchParams.get('ends_within_days')).toBe('30');
    await page.getByTestId('tenant-table').getByText(BUSINESS).waitFor();
    await shootBoth(page, 'tenants-filtered');

    // The filters are in the URL: opening it again gives the same list.
    await page.goto(page.url());
    await page.getByTestId('tenant-table').getByText(BUSINESS).waitFor();

    // A filter nothing matches says so and offers to clear the filters.
    await choose(page, 'filter-status', '已冻结');
    await page.getByTestId('list-empty').waitFor();
    await shootBoth(page, 'tenants-no-match');
    await page.getByTestId('list-empty').getByRole('button').click();
    await page.getByTestId('tenant-table').getByText(BUSINESS).waitFor();
    expect(new URL(page.url()).search).toBe('');
    watch.assertClean();
  });

  it('two tabs whose access tokens expire together both keep working', async () => {
    tab2 = await context.newPage();
    watch.attach(tab2, 'tab 2');
    await tab2.goto(`${server.origin}/console/tenants`);
    await tab2.getByTestId('tenant-table').getByText(BUSINESS).waitFor();

    const refreshes: number[] = [];
    context.on('response', (r) => {
      if (r.url().endsWith('/api/v1/auth/refresh')) refreshes.push(r.status());
    });
    await page.waitForTimeout((ACCESS_TOKEN_TTL_SECS + 1) * 1000);
    await Promise.all([page.getByTestId('nav-dashboard').click(), tab2.getByTestId('nav-dashboard').click()]);
    await Promise.all([
      page.getByTestId('ending-soon').getByText(BUSINESS).waitFor(),
      tab2.getByTestId('ending-soon').getByText(BUSINESS).waitFor(),
    ]);
    expect(new URL(page.url()).pathname).toBe('/console/dashboard');
    expect(new URL(tab2.url()).pathname).toBe('/console/dashboard');
    expect(refreshes.length).toBeGreaterThanOrEqual(2);
    expect(refreshes.every((s) => s === 200)).toBe(true);
    await watch.assertNoStoredToken(page);
    await watch.assertNoStoredToken(tab2);
    watch.assertClean();
  });

  it('shows the inbox with its bell', async () => {
    await page.getByTestId('nav-inbox').click();
    await page.locator('[data-testid="inbox-list"], [data-testid="list-empty"]').first().waitFor();
    await shootBoth(page, 'inbox');
    watch.assertClean();
  });

  it('"log out everywhere" ends the other tab too', async () => {
    await accountMenu(page, 'logout-everywhere');
    await page.getByTestId('confirm-button').waitFor();
    await shootBoth(page, 'logout-everywhere');
    await page.getByTestId('confirm-button').click();
    await page.waitForURL('**/console/signin');

    await tab2!.getByTestId('nav-tenants').click();
    await tab2!.waitForURL('**/console/signin**');
    await tab2!.close();
    watch.assertClean();
  });

  it("a merchant admin signs in with the handed-over password and sees the tenant's state", async () => {
    await signIn(page, MERCHANT.username, MERCHANT.otp);
    await page.waitForURL('**/console/password');
    await page.getByTestId('password-current').fill(MERCHANT.otp);
    await page.getByTestId('password-new').fill(MERCHANT.password);
    await page.getByTestId('password-confirm').fill(MERCHANT.password);
    await page.getByTestId('password-submit').click();
    await page.waitForURL('**/console/home');
    await page.getByTestId('merchant-home').getByText(BUSINESS).first().waitFor();
    await shootBoth(page, 'merchant-home');

    // The bell counts unread notices; the inbox lists them and marks them read.
    const bell = page.getByTestId('inbox-bell');
    await bell.click();
    await page.waitForURL('**/console/inbox');
    const unread = page.getByTestId('inbox-list').locator('.inbox__item--unread');
    if ((await unread.count()) > 0) {
      expect(await bell.locator('.el-badge__content').textContent()).toMatch(/\d/);
      await shootBoth(page, 'inbox-with-notices');
      await page.getByTestId('inbox-mark-all').click();
      await unread.first().waitFor({ state: 'detached' });
      await bell.locator('.el-badge__content').waitFor({ state: 'hidden' });
    }

    await page.goto(`${server.origin}/console/no-such-screen`);
    await page.getByText('页面不存在').waitFor();
    await shootBoth(page, 'not-found');
    await accountMenu(page, 'logout');
    await page.waitForURL('**/console/signin');
    await watch.assertNoStoredToken(page);
    watch.assertClean();
  });

  it('throttled sign-in shows the Retry-After countdown and disables the button', async () => {
    const button = page.getByTestId('signin-submit');
    /** Wrong passwords until the server answers 429 and the button waits out Retry-After. */
    async function failUntilThrottled(): Promise<void> {
      for (let attempt = 0; attempt < 8; attempt++) {
        await page.getByTestId('signin-username').fill('nobody.e2e');
        await page.getByTestId('signin-password').fill(`wrong-password-${attempt}`);
        if (await button.isDisabled()) return;
        await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/login')), button.click()]);
        await page.getByTestId('signin-error').waitFor();
      }
    }
    await failUntilThrottled();
    expect(await button.isDisabled()).toBe(true);
    expect(await button.textContent()).toMatch(/\d+/);
    await shoot(page, 'signin-throttled', 'zh-CN');

    // Again in English, so the server's message comes in English too.
    await switchLanguage(page, 'en');
    await page.waitForFunction(
      () => !(document.querySelector('[data-testid="signin-submit"]') as HTMLButtonElement | null)?.disabled,
      undefined,
      { timeout: 30_000 },
    );
    await failUntilThrottled();
    expect(await button.isDisabled()).toBe(true);
    expect(await page.getByTestId('signin-error').textContent()).toMatch(/[A-Za-z]{4}/);
    await shoot(page, 'signin-throttled', 'en');
    await switchLanguage(page, 'zh-CN');
    watch.assertClean();
  });
});
