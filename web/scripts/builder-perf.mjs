// `npm run perf:builder`: what the page builder costs. Prints the builder route's own JS+CSS
// (gzip, the chunks Chromium fetches when the route opens after the shell is loaded) and,
// against the real binary (E2E_BINARY or ../target/debug/weapp-builder), the time from a
// property edit to the updated preview on a 50-component page: the edit is typed into the
// panel and the clock stops when the server-rendered canvas shows it (median of 20; goal
// ≤ 300 ms). Figures only; nothing here passes or fails on timing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import createClient from 'openapi-fetch';
import { launch } from '../tests/e2e/support/chromium.mjs';
import { DIST_DIR, startServer } from '../tests/e2e/support/server.mjs';

const RUNS = 20;
const COMPONENTS = 50;
const ADMIN = { username: 'admin', password: 'Admin-password-2026' };
const MERCHANT = { username: 'perf.admin', password: 'Perf-password-2026' };

/** @param {number} bytes */
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;
/** @param {number[]} xs */
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/**
 * @template T
 * @param {{ data?: T; error?: unknown; response: Response }} answer
 * @param {string} what
 * @returns {T}
 */
function ok(answer, what) {
  if (answer.data === undefined) throw new Error(`${what}: ${answer.response.status} ${JSON.stringify(answer.error)}`);
  return answer.data;
}

/** @typedef {import('openapi-fetch').Client<import('../src/api/schema').paths>} Api */
/** @returns {Api} */
const client = (/** @type {string} */ baseUrl, /** @type {Record<string, string>} */ headers = {}) => createClient({ baseUrl, headers });

/** A 50-component page: texts, images, notices, dividers, spacers, carousels, in turn. */
function bigLayout() {
  /** @type {((i: number) => { type: string; props: Record<string, unknown> })[]} */
  const kinds = [
    (/** @type {number} */ i) => ({ type: 'text', props: { text: `第 ${i} 段文字` } }),
    () => ({ type: 'image', props: { asset_id: 'sys-placeholder-square' } }),
    (/** @type {number} */ i) => ({ type: 'notice_bar', props: { text: `公告 ${i}` } }),
    () => ({ type: 'divider', props: {} }),
    () => ({ type: 'spacer', props: { height_rpx: 20 } }),
    () => ({ type: 'carousel', props: { slides: [{ asset_id: 'sys-placeholder-banner' }, { asset_id: 'sys-placeholder-banner' }] } }),
  ];
  return { components: Array.from({ length: COMPONENTS }, (_, i) => ({ id: `c${i}`, .../** @type {NonNullable<(typeof kinds)[number]>} */ (kinds[i % kinds.length])(i) })) };
}

const server = await startServer();
const browser = await launch();
try {
  // A merchant with no appid, through the API.
  const setup = ok(await client(server.binaryOrigin).POST('/api/v1/setup', { body: { token: server.setupToken, ...ADMIN } }), 'setup');
  const admin = client(server.binaryOrigin, { Authorization: `Bearer ${setup.access_token}` });
  const plan = ok(
    await admin.POST('/api/v1/plans', {
      body: {
        name: '建站版',
        terms: { apps: ['pages', 'media'], page_quota: 50, storage_quota_bytes: 1024 ** 3, client_rps: 50, sms_segments_per_year: 0, yearly_price_fen: 298000, sms_overage_millifen: 3800, sms_overage_allowed: false },
      },
    }),
    'plan',
  );
  const am = ok(await admin.POST('/api/v1/staff', { body: { username: 'am.perf', display_name: '客户经理', role: 'account_manager' } }), 'account manager');
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  const tenant = ok(
    await admin.POST('/api/v1/tenants', {
      body: {
        business_name: '性能测试店',
        contact: { name: '联系人', phone: '13800000000', email: 'perf@example.cn' },
        plan_id: plan.id,
        account_manager_id: am.account.id,
        merchant_admin_username: MERCHANT.username,
        contract: { start_date: today, payment_method: 'bank_transfer' },
      },
    }),
    'tenant',
  );
  ok(
    await admin.POST('/api/v1/tenants/{tenant_id}/contracts/{contract_id}/payments', {
      params: { path: { tenant_id: tenant.tenant.id, contract_id: tenant.contract.id } },
      body: { amount_fen: tenant.contract.amount_fen, method: 'bank_transfer', reference: 'PERF', paid_on: today },
    }),
    'payment',
  );
  const first = ok(await client(server.binaryOrigin).POST('/api/v1/auth/login', { body: { username: MERCHANT.username, password: tenant.merchant_admin.one_time_password } }), 'merchant sign-in');
  ok(
    await client(server.binaryOrigin, { Authorization: `Bearer ${first.access_token}` }).POST('/api/v1/auth/password', {
      body: { current_password: tenant.merchant_admin.one_time_password, new_password: MERCHANT.password },
    }),
    'password change',
  );
  const login = ok(await client(server.binaryOrigin).POST('/api/v1/auth/login', { body: { username: MERCHANT.username, password: MERCHANT.password } }), 'merchant sign-in');
  const merchant = client(server.binaryOrigin, { Authorization: `Bearer ${login.access_token}` });
  const created = ok(await merchant.POST('/api/v1/pages', { body: { slug: 'big', title: '五十个组件', layout: /** @type {any} */ (bigLayout()) } }), 'the 50-component page');

  const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  const page = await context.newPage();
  // The builder route's own files: what the browser fetches when it opens, the shell loaded.
  await page.goto(`${server.origin}/console/signin`);
  await page.getByTestId('signin-username').fill(MERCHANT.username);
  await page.getByTestId('signin-password').fill(MERCHANT.password);
  await page.getByTestId('signin-submit').click();
  await page.waitForURL('**/console/home');
  /** @type {Set<string>} */
  const loaded = new Set();
  page.on('response', (r) => {
    const m = /\/console\/assets\/([^?#]+)$/.exec(new URL(r.url()).pathname);
    if (m?.[1]) loaded.add(m[1]);
  });
  await page.evaluate((path) => {
    history.pushState({}, '', path);
    dispatchEvent(new PopStateEvent('popstate'));
  }, `/console/pages/${created.id}/edit`);
  await page.locator('[data-testid="canvas-item-c0"] [data-block-type]').waitFor();
  await page.waitForLoadState('networkidle');
  let gzip = 0;
  for (const name of loaded) {
    if (name.endsWith('.js') || name.endsWith('.css')) gzip += gzipSync(readFileSync(join(DIST_DIR, 'assets', name)), { level: 9 }).length;
  }
  console.log(`builder route: ${kib(gzip)} gzip JS+CSS beyond the shell (${[...loaded].filter((n) => /\.(js|css)$/.test(n)).join(', ')})`);

  // Property edit → updated preview, timed in the page.
  await page.getByTestId('canvas-item-c48').click();
  /** @type {number[]} */
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const text = `改动 ${run} · edit ${run}`;
    /** @type {number} */
    const ms = await page.evaluate(async (value) => {
      const area = /** @type {HTMLTextAreaElement} */ (document.querySelector('[data-testid="prop-text"]'));
      const target = document.querySelector('[data-testid="canvas-item-c48"] [data-block-type="text"]');
      if (!area || !target) throw new Error('no text field or block');
      const t0 = performance.now();
      area.value = value;
      area.dispatchEvent(new Event('input', { bubbles: true }));
      return new Promise(/** @param {(ms: number) => void} resolve */ (resolve) => {
        const check = () => {
          const block = document.querySelector('[data-testid="canvas-item-c48"] [data-block-type="text"]');
          if (block?.textContent === value) {
            resolve(performance.now() - t0);
            return true;
          }
          return false;
        };
        if (check()) return;
        const observer = new MutationObserver(() => {
          if (check()) observer.disconnect();
        });
        observer.observe(document.querySelector('[data-testid="canvas"]') ?? document.body, { subtree: true, childList: true, characterData: true });
      });
    }, text);
    times.push(ms);
    await page.waitForTimeout(200);
  }
  console.log(
    `edit → preview on a ${COMPONENTS}-component page (${RUNS} runs): median ${median(times).toFixed(0)} ms, ` +
      `min ${Math.min(...times).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (goal ≤ 300 ms; includes the ${150} ms debounce)`,
  );
  if (server.proxied) console.log('(the binary embeds an older web/dist; the local build was served through a proxy)');
} finally {
  await browser.close();
  await server.stop();
}
