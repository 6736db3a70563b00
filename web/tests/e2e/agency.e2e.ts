/**
 * The agency's plans, lifecycle and audit screens against the real binary, in Chromium:
 * a plan and its new version (and a delete the server refuses because tenants use the
 * plan); next year's working-day calendar (a make-up day on a Tuesday refused at its
 * field with the server's message, then a valid year, seen among the years); the plan of
 * the coming days as a table and a calendar, with an unknown deletion date; the audit log
 * filtered and one entry's before/after. An account manager sees plans without the admin's
 * actions. Screenshots of every screen in both languages go to target/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import createClient from 'openapi-fetch';
import type { paths } from '../../src/api/schema';
import { ADMIN, ok, shanghaiDate, signedInApi, STANDARD_PLAN, type Api } from './support/api';
import { choose, launch, PageWatch, shoot, shootBoth, switchLanguage } from './support/browser';
import { startServer } from './support/server.mjs';
import type { RunningServer } from './support/server.mjs';

const AM = { username: 'wang.fang', name: '王芳', password: 'Wang-Fang-password-2026' };
const BUSINESS = '好味小馆';
const NEW_PLAN = '旗舰版';

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let adminApi: Api;
const watch = new PageWatch();

/** Next year in Asia/Shanghai, and its first Tuesday (January) and first Saturday of March. */
const NEXT_YEAR = Number(shanghaiDate(0).slice(0, 4)) + 1;
function firstWeekday(month: number, weekday: number): string {
  const d = new Date(Date.UTC(NEXT_YEAR, month - 1, 1));
  while (d.getUTCDay() !== weekday) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}
const TUESDAY = firstWeekday(1, 2);
const SATURDAY = firstWeekday(3, 6);

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
  browser = await launch();
  context = await watch.newContext(browser);
  page = await context.newPage();
  watch.attach(page, 'admin');
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('the agency screens against the binary', () => {
  it('sets up the first admin, and a tenant whose term ends soon', async () => {
    await page.goto(`${server.origin}/console/setup?token=${server.setupToken}`);
    await page.getByTestId('setup-username').fill(ADMIN.username);
    await page.getByTestId('setup-password').fill(ADMIN.password);
    await page.getByTestId('setup-confirm').fill(ADMIN.password);
    await page.getByTestId('setup-submit').click();
    await page.waitForURL('**/console/dashboard');

    // The scene through the API: a plan, an account manager, and a paid tenant whose term
    // ends in 10 days (so it is frozen, and its deletion date may lie past the calendar).
    adminApi = await signedInApi(server.binaryOrigin, ADMIN.username, ADMIN.password);
    const plan = ok(await adminApi.POST('/api/v1/plans', { body: STANDARD_PLAN }), 'creating a plan');
    const am = ok(
      await adminApi.POST('/api/v1/staff', { body: { username: AM.username, display_name: AM.name, role: 'account_manager' } }),
      'creating an account manager',
    );
    const anonymous = createClient<paths>({ baseUrl: server.binaryOrigin });
    const login = ok(
      await anonymous.POST('/api/v1/auth/login', { body: { username: AM.username, password: am.one_time_password } }),
      'the account manager signing in',
    );
    const amApi = createClient<paths>({ baseUrl: server.binaryOrigin, headers: { Authorization: `Bearer ${login.access_token}` } });
    const changed = await amApi.POST('/api/v1/auth/password', { body: { current_password: am.one_time_password, new_password: AM.password } });
    expect(changed.response.ok).toBe(true);
    const provisioned = ok(
      await adminApi.POST('/api/v1/tenants', {
        body: {
          business_name: BUSINESS,
          contact: { name: '李娜', phone: '13812341234', email: 'li.na@example.cn' },
          plan_id: plan.id,
          account_manager_id: am.account.id,
          merchant_admin_username: 'haowei.admin',
          contract: { payment_method: 'bank_transfer', start_date: shanghaiDate(-355), end_date: shanghaiDate(10), historical_import: true },
        },
      }),
      'provisioning',
    );
    ok(
      await adminApi.POST('/api/v1/tenants/{tenant_id}/contracts/{contract_id}/payments', {
        params: { path: { tenant_id: provisioned.tenant.id, contract_id: provisioned.contract.id } },
        body: { amount_fen: provisioned.contract.amount_fen, method: 'bank_transfer', reference: 'E2E-AGENCY', paid_on: shanghaiDate(-355) },
      }),
      'recording the payment',
    );
    watch.assertClean();
  });

  it('creates a plan and a new version; deleting a plan in use shows the server’s refusal', async () => {
    await page.getByTestId('nav-plans').click();
    await page.getByTestId('plans-table').waitFor();
    await shootBoth(page, 'plans');

    await page.getByTestId('plan-create').click();
    // Nothing filled in: the form says what is missing before asking the server.
    await page.getByTestId('plan-submit').click();
    expect(await fieldError(page, 'name')).toBe('请填写此项');
    await page.getByTestId('plan-name').fill(NEW_PLAN);
    await page.getByTestId('plan-price').fill('5980');
    await page.getByTestId('plan-apps').getByText('商城').click();
    await shootBoth(page, 'plan-create');
    await page.getByTestId('plan-submit').click();
    const row = page.getByTestId('plans-table').locator('tr', { hasText: NEW_PLAN }).first();
    await row.waitFor();
    expect(await row.textContent()).toContain('v1');
    expect(await row.textContent()).toContain('¥5,980.00');

    await page.getByTestId(`plan-version-${NEW_PLAN}`).click();
    await page.getByTestId('plan-dialog').getByText('v2').first().waitFor();
    const price = page.getByTestId('plan-price');
    await price.fill('6980');
    await page.getByTestId('plan-pages').locator('input').fill('80');
    await shootBoth(page, 'plan-version');
    await page.getByTestId('plan-submit').click();
    await page.getByTestId('plan-dialog').waitFor({ state: 'hidden' });
    await page.getByTestId('plans-table').locator('tr', { hasText: '¥6,980.00' }).first().waitFor();

    // Every version, with the tenant count, in the expanded row.
    await page.getByTestId('plans-table').locator('tr', { hasText: NEW_PLAN }).first().locator('.el-table__expand-icon').click();
    const versions = page.locator('[data-testid^="plan-versions-"]').first();
    await versions.getByText('¥5,980.00').waitFor();
    await versions.getByText('¥6,980.00').waitFor();
    expect(await versions.textContent()).toContain('使用此套餐的商户：0 个');
    await shootBoth(page, 'plans-versions');

    // The plan the tenant is on cannot be deleted: the server's message is shown.
    await page.getByTestId(`plan-delete-${STANDARD_PLAN.name}`).click();
    await page.getByTestId('confirm-dialog').getByText('永久删除').waitFor();
    await shootBoth(page, 'plan-delete-confirm');
    await page.getByTestId('confirm-button').click();
    const refusal = page.locator('.el-message--error');
    await refusal.waitFor();
    const plans = ok(await adminApi.GET('/api/v1/plans'), 'listing plans');
    const inUse = await adminApi.DELETE('/api/v1/plans/{plan_id}', {
      params: { path: { plan_id: plans.items.find((p) => p.name === STANDARD_PLAN.name)!.id } },
      headers: { 'Accept-Language': 'zh-CN' },
    });
    expect(inUse.response.status).toBe(409);
    expect(await refusal.textContent()).toContain((inUse.error as { message: string }).message);
    expect(await page.getByTestId('plans-table').textContent()).toContain(STANDARD_PLAN.name);
    watch.assertClean();
  });

  it('adds next year to the calendar: a Tuesday make-up day is refused at its field, then a valid year', async () => {
    // Before the year is added, the tenant's deletion (10 working days after its freeze,
    // in the new year) has no date: the calendar does not reach it.
    const deletionOf = async () =>
      ok(await adminApi.GET('/api/v1/lifecycle/plan', { params: { query: { days: 60 } } }), 'the plan')
        .items.flatMap((d) => d.actions.map((a) => ({ ...a, date: d.date })))
        .filter((a) => a.business_name === BUSINESS && (a.action === 'purge' || a.action === 'deletion_unscheduled'));
    expect((await deletionOf()).map((a) => a.action)).toEqual(['deletion_unscheduled']);
    await page.getByTestId('nav-lifecycle').click();
    await page.getByTestId('years-table').waitFor();
    await page.getByTestId('plan-table').getByTestId('deletion-unknown').first().waitFor();
    const before = ok(await adminApi.GET('/api/v1/calendar/years'), 'the calendar');
    if ((before.coverage_days_left ?? 0) < 60) await page.getByTestId('coverage-warning').waitFor();
    await shootBoth(page, 'lifecycle-calendar-years');

    await page.getByTestId('year-add').click();
    await page.getByTestId('year-dialog').waitFor();
    expect(await page.getByTestId('year-number').locator('input').inputValue()).toBe(String(NEXT_YEAR));
    await page.getByTestId('year-source').fill(`国办发明电〔${NEXT_YEAR - 1}〕7号`);
    await page.getByTestId('year-holidays').fill(`${NEXT_YEAR}-01-01\n${NEXT_YEAR}-02-06 ~ ${NEXT_YEAR}-02-08`);
    await page.getByTestId('year-workdays').fill(TUESDAY);
    await page.getByTestId('year-submit').click();
    const zh = await fieldError(page, 'workdays');
    expect(zh).toContain(TUESDAY);
    expect(zh).toContain('周六或周日');
    await shoot(page, 'lifecycle-year-refused', 'zh-CN');
    await switchLanguage(page, 'en');
    await page.getByTestId('year-submit').click();
    await page.waitForFunction(
      () => /Saturday or Sunday/.test(document.querySelector('[data-field="workdays"] .el-form-item__error')?.textContent ?? ''),
    );
    const en = await fieldError(page, 'workdays');
    expect(en).toContain(TUESDAY);
    await shoot(page, 'lifecycle-year-refused', 'en');
    await switchLanguage(page, 'zh-CN');

    // A weekend make-up day: accepted, and the year is among those in force.
    await page.getByTestId('year-workdays').fill(SATURDAY);
    await shoot(page, 'lifecycle-year-form', 'zh-CN');
    await page.getByTestId('year-submit').click();
    await page.getByTestId('year-dialog').waitFor({ state: 'hidden' });
    const yearRow = page.getByTestId('years-table').locator('tr', { hasText: String(NEXT_YEAR) }).first();
    await yearRow.waitFor();
    expect(await yearRow.textContent()).toContain('在此添加');
    const after = ok(await adminApi.GET('/api/v1/calendar/years'), 'the calendar');
    expect(after.years.map((y) => y.year)).toContain(NEXT_YEAR);
    // With the year in force the deletion has its date, in the new year.
    const deletion = await deletionOf();
    expect(deletion.map((a) => a.action)).toEqual(['purge']);
    expect(deletion[0]!.date.startsWith(String(NEXT_YEAR))).toBe(true);
    await yearRow.locator('.el-table__expand-icon').click();
    await page.getByTestId('years-table').getByText(`${SATURDAY} 周六`).waitFor();
    await shootBoth(page, 'lifecycle-calendar-added');
    watch.assertClean();
  });

  it('shows the coming days as a table and as a month calendar', async () => {
    await page.goto(`${server.origin}/console/lifecycle?days=60`);
    await page.getByTestId('plan-table').waitFor();
    const plan = ok(await adminApi.GET('/api/v1/lifecycle/plan', { params: { query: { days: 60 } } }), 'the plan').items;
    const freeze = plan.find((d) => d.actions.some((a) => a.action === 'freeze'));
    expect(freeze).toBeDefined();
    await page.getByTestId('plan-table').getByText(BUSINESS).first().waitFor();
    await page.getByTestId('plan-table').getByText('冻结', { exact: true }).first().waitFor();
    // The deletion date that appeared with the new year is in the table.
    const purge = plan.find((d) => d.actions.some((a) => a.action === 'purge' && a.business_name === BUSINESS));
    expect(purge).toBeDefined();
    await page.getByTestId('plan-table').getByText('删除数据', { exact: true }).first().waitFor();
    await page.getByTestId('plan-table').getByText(purge!.date).first().waitFor();
    await shootBoth(page, 'lifecycle-table');

    await page.getByTestId('view-calendar').click();
    await page.waitForURL(/view=calendar/);
    const calendar = page.getByTestId('plan-calendar');
    await calendar.waitFor();
    // Go to the freeze's month, then open its day.
    const month = freeze!.date.slice(0, 7);
    for (let i = 0; i < 3 && !(await calendar.locator(`[data-date="${freeze!.date}"]`).count()); i++) {
      await page.getByTestId('calendar-next').click();
    }
    for (let i = 0; i < 3; i++) {
      const shown = await calendar.locator('.plan-cal__cell:not(.plan-cal__cell--out)').first().getAttribute('data-date');
      if (shown?.startsWith(month)) break;
      await page.getByTestId('calendar-next').click();
    }
    await calendar.locator(`[data-date="${freeze!.date}"]`).click();
    await page.getByTestId('calendar-day-detail').getByText(BUSINESS).first().waitFor();
    await shootBoth(page, 'lifecycle-month');
    watch.assertClean();
  });

  it('filters the audit log and opens an entry’s before/after', async () => {
    await page.getByTestId('nav-audit').click();
    await page.getByTestId('audit-table').waitFor();
    await shootBoth(page, 'audit');

    await choose(page, 'audit-filter-action', '套餐 (plan.*)');
    await page.waitForURL(/action=plan\./);
    const table = page.getByTestId('audit-table');
    await table.getByText('plan.version_created').waitFor();
    const codes = await table.locator('code').allTextContents();
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.every((c) => c.startsWith('plan.'))).toBe(true);

    // Filters live in the URL: today's plan events, bookmarkable.
    const today = shanghaiDate(0);
    await page.goto(`${server.origin}/console/audit?action=plan.&from=${today}&to=${today}`);
    await table.getByText('plan.version_created').waitFor();
    await shootBoth(page, 'audit-filtered');

    await page.getByTestId('audit-open-plan.version_created').click();
    const diff = page.getByTestId('audit-diff-table');
    await diff.waitFor();
    const priceRow = diff.locator('tr', { hasText: 'yearly_price_fen' });
    expect(await priceRow.textContent()).toContain('¥5,980.00');
    expect(await priceRow.textContent()).toContain('¥6,980.00');
    expect(await priceRow.textContent()).toContain('已修改');
    await shootBoth(page, 'audit-diff');
    await page.getByTestId('audit-diff-close').click();
    watch.assertClean();
  });

  it('an account manager sees the plans without the admin’s actions', async () => {
    const amContext = await watch.newContext(browser);
    const am = await amContext.newPage();
    watch.attach(am, 'account manager');
    await am.goto(`${server.origin}/console/signin`);
    await am.getByTestId('signin-username').fill(AM.username);
    await am.getByTestId('signin-password').fill(AM.password);
    await am.getByTestId('signin-submit').click();
    await am.waitForURL('**/console/dashboard');
    await am.getByTestId('nav-plans').click();
    await am.getByTestId('plans-table').getByText(NEW_PLAN).waitFor();
    expect(await am.getByTestId('plan-create').count()).toBe(0);
    expect(await am.getByTestId(`plan-version-${NEW_PLAN}`).count()).toBe(0);
    await shootBoth(am, 'plans-account-manager');
    await am.getByTestId('nav-lifecycle').click();
    await am.getByTestId('years-table').waitFor();
    expect(await am.getByTestId('year-add').count()).toBe(0);
    await am.getByTestId('nav-audit').click();
    await am.getByTestId('audit-table').waitFor();
    await amContext.close();
    watch.assertClean();
  });
});
