// `npm run size`: what the console costs. Prints the sign-in route's JS+CSS (gzip, as
// Chromium loads it), the largest chunks, and — against the real binary with 1,000
// tenants created through the API — how long until the dashboard shows. Figures only;
// nothing here passes or fails on timing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import createClient from 'openapi-fetch';
import { launch } from '../tests/e2e/support/chromium.mjs';
import { DIST_DIR, startServer } from '../tests/e2e/support/server.mjs';

const TENANTS = Number(process.env.SIZE_TENANTS ?? 1000);
const SIGNIN_GOAL_KIB = 300;
const CHUNK_LIMIT_KIB = 500;
const ADMIN = { username: 'admin', password: 'Admin-password-2026' };

/** @param {number} bytes */
const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`;

/** @typedef {import('openapi-fetch').Client<import('../src/api/schema').paths>} Api */

/**
 * @param {string} baseUrl
 * @param {Record<string, string>} [headers]
 * @returns {Api}
 */
const client = (baseUrl, headers = {}) => createClient({ baseUrl, headers });

/** @type {Map<string, { raw: number; gzip: number }>} */
const assets = new Map();
for (const name of readdirSync(join(DIST_DIR, 'assets'))) {
  const body = readFileSync(join(DIST_DIR, 'assets', name));
  assets.set(name, { raw: body.length, gzip: gzipSync(body, { level: 9 }).length });
}

const chunks = [...assets].filter(([n]) => n.endsWith('.js')).sort((a, b) => b[1].raw - a[1].raw);
console.log(`largest chunks (limit ${CHUNK_LIMIT_KIB} KiB):`);
for (const [name, size] of chunks.slice(0, 3)) {
  console.log(`  ${name}: ${kib(size.raw)} (${kib(size.gzip)} gzip)`);
}

const server = await startServer();
const browser = await launch();
try {
  // The sign-in route: everything under /console/assets/ the browser fetched to show it.
  const page = await (await browser.newContext({ viewport: { width: 1360, height: 900 } })).newPage();
  /** @type {Set<string>} */
  const loaded = new Set();
  page.on('response', (r) => {
    const m = /\/console\/assets\/([^?#]+)$/.exec(new URL(r.url()).pathname);
    if (m?.[1]) loaded.add(m[1]);
  });
  await page.goto(`${server.origin}/console/signin`);
  await page.getByTestId('signin-submit').waitFor();
  await page.waitForLoadState('networkidle');
  let js = 0;
  let css = 0;
  for (const name of loaded) {
    const size = assets.get(name);
    if (!size) continue;
    if (name.endsWith('.js')) js += size.gzip;
    else if (name.endsWith('.css')) css += size.gzip;
  }
  const files = [...loaded].filter((n) => n.endsWith('.js') || n.endsWith('.css'));
  console.log(
    `sign-in route: ${kib(js + css)} gzip (JS ${kib(js)}, CSS ${kib(css)}; ${files.length} files; goal ≤ ${SIGNIN_GOAL_KIB} KiB)`,
  );

  // 1,000 tenants through the API.
  const anonymous = client(server.binaryOrigin);
  const setup = await anonymous.POST('/api/v1/setup', {
    body: { token: server.setupToken, username: ADMIN.username, password: ADMIN.password },
  });
  if (!setup.data) throw new Error(`setup failed: ${JSON.stringify(setup.error)}`);
  const api = client(server.binaryOrigin, { Authorization: `Bearer ${setup.data.access_token}` });
  const plan = await api.POST('/api/v1/plans', {
    body: {
      name: '标准版',
      terms: {
        apps: ['pages', 'media'],
        page_quota: 50,
        storage_quota_bytes: 1024 ** 3,
        client_rps: 50,
        sms_segments_per_year: 0,
        yearly_price_fen: 298000,
        sms_overage_millifen: 3800,
        sms_overage_allowed: false,
      },
    },
  });
  const manager = await api.POST('/api/v1/staff', {
    body: { username: 'li.lei', display_name: '李雷', role: 'account_manager' },
  });
  if (!plan.data || !manager.data) throw new Error('creating the plan or the account manager failed');
  const planId = plan.data.id;
  const managerId = manager.data.account.id;
  const started = Date.now();
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  let next = 0;
  /** Two workers on a two-core machine. */
  async function worker() {
    while (next < TENANTS) {
      const i = next++;
      const answer = await api.POST('/api/v1/tenants', {
        body: {
          business_name: `商户 ${String(i).padStart(4, '0')}`,
          contact: { name: '联系人', phone: `138${String(10_000_000 + i).slice(-8)}`, email: `m${i}@example.cn` },
          plan_id: planId,
          account_manager_id: managerId,
          merchant_admin_username: `merchant.${i}`,
          contract: { start_date: today, payment_method: 'bank_transfer' },
        },
      });
      if (!answer.data) throw new Error(`tenant ${i}: ${JSON.stringify(answer.error)}`);
    }
  }
  await Promise.all([worker(), worker()]);
  console.log(`created ${TENANTS} tenants through the API in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  // Sign in once (the refresh cookie then restores the session on each load).
  await page.getByTestId('signin-username').fill(ADMIN.username);
  await page.getByTestId('signin-password').fill(ADMIN.password);
  await page.getByTestId('signin-submit').click();
  await page.getByTestId('count-pending').waitFor();
  /** @type {number[]} */
  const times = [];
  for (let run = 0; run < 3; run++) {
    const t0 = Date.now();
    await page.goto(`${server.origin}/console/dashboard`);
    await page.getByTestId('count-pending').waitFor();
    times.push(Date.now() - t0);
  }
  const pending = (await page.getByTestId('count-pending').textContent())?.replace(/\D+/g, ' ').trim();
  const median = [...times].sort((a, b) => a - b)[1];
  console.log(
    `dashboard with ${TENANTS} tenants (pending card shows ${pending}): ${times.map((t) => `${t} ms`).join(', ')} ` +
      `(median ${median} ms) from navigation to the counts on screen, debug binary`,
  );
  if (server.proxied) console.log('(the binary embeds an older web/dist; the local build was served through a proxy)');
} finally {
  await browser.close();
  await server.stop();
}
