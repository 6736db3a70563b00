/**
 * Chromium for browser tests, with the checks every page gets: no uncaught error, no
 * console error (API answers the test provokes on purpose aside), no CSP violation, and
 * no token in localStorage, sessionStorage or IndexedDB.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { REPO_DIR } from './server.mjs';

export { launch } from './chromium.mjs';

export const SCREENSHOT_DIR = join(REPO_DIR, 'target', 'e2e');

/** Answers the API gives on purpose in these tests (expired tokens, wrong input, a save that lost the race, throttling). */
const EXPECTED_API_ANSWER = /^Failed to load resource: the server responded with a status of (401|403|404|409|412|422|429)\b/;

export class PageWatch {
  readonly problems: string[] = [];
  /** Every token the server handed to the browser (access tokens and refresh cookies). */
  readonly tokens = new Set<string>();

  attach(page: Page, label: string): void {
    page.on('pageerror', (err) => this.problems.push(`[${label}] uncaught: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      const url = msg.location().url ?? '';
      if (EXPECTED_API_ANSWER.test(text) && url.includes('/api/v1/')) return;
      this.problems.push(`[${label}] console error: ${text} (${url})`);
    });
    page.on('response', async (response) => {
      const url = response.url();
      if (!url.includes('/api/v1/auth/') && !url.includes('/api/v1/setup')) return;
      const cookie = (await response.headerValue('set-cookie').catch(() => null)) ?? '';
      const m = /weapp_refresh=([^;]+)/.exec(cookie);
      if (m?.[1]) this.tokens.add(m[1]);
      if (response.ok() && (response.headers()['content-type'] ?? '').includes('json')) {
        const body = (await response.json().catch(() => null)) as { access_token?: string } | null;
        if (body?.access_token) this.tokens.add(body.access_token);
      }
    });
  }

  async newContext(browser: Browser): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, locale: 'zh-CN' });
    // Report CSP violations as console errors (Chromium also logs its own "Refused to …").
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
      });
    });
    return context;
  }

  /** Fails when a token (or anything JWT-shaped) is in web storage or IndexedDB. */
  async assertNoStoredToken(page: Page): Promise<void> {
    const dump = await page.evaluate(async () => {
      const out: string[] = [];
      for (const store of [localStorage, sessionStorage]) {
        for (let i = 0; i < store.length; i++) {
          const key = store.key(i) ?? '';
          out.push(`${key}=${store.getItem(key) ?? ''}`);
        }
      }
      const dbs = indexedDB.databases ? await indexedDB.databases() : [];
      for (const info of dbs) {
        if (!info.name) continue;
        const db = await new Promise<IDBDatabase>((res, rej) => {
          const req = indexedDB.open(info.name!);
          req.onsuccess = () => res(req.result);
          req.onerror = () => rej(req.error);
        });
        for (const storeName of Array.from(db.objectStoreNames)) {
          const all = await new Promise<unknown[]>((res, rej) => {
            const req = db.transaction(storeName, 'readonly').objectStore(storeName).getAll();
            req.onsuccess = () => res(req.result as unknown[]);
            req.onerror = () => rej(req.error);
          });
          out.push(`idb:${info.name}/${storeName}=${JSON.stringify(all)}`);
        }
        db.close();
      }
      out.push(`cookie=${document.cookie}`);
      return out;
    });
    const text = dump.join('\n');
    for (const token of this.tokens) {
      if (text.includes(token)) throw new Error(`a token is readable by scripts:\n${text}`);
    }
    if (/eyJ[\w-]{10,}\.[\w-]{10,}\.[\w-]{10,}/.test(text)) throw new Error(`a JWT is stored:\n${text}`);
    if (text.includes('weapp_refresh')) throw new Error('the refresh cookie is readable by scripts');
  }

  assertClean(): void {
    if (this.problems.length) throw new Error(`the pages reported problems:\n${this.problems.join('\n')}`);
  }
}

export function screenshotPath(name: string, lang: 'zh-CN' | 'en'): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.${lang}.png`);
}

/** Switches the UI language with the header's (or sign-in page's) language switch. */
export async function switchLanguage(page: Page, lang: 'zh-CN' | 'en'): Promise<void> {
  const current = await page.evaluate(() => document.documentElement.lang);
  if (current === lang) return;
  // Dispatched rather than clicked: an open dialog's overlay covers the header, and the
  // dropdown opens above it.
  await page.locator('[data-testid="language-switch"] .el-select__wrapper').first().dispatchEvent('click');
  await page
    .locator('.el-select-dropdown__item:visible', { hasText: lang === 'en' ? 'English' : '简体中文' })
    .click();
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

/** Lets transitions finish and clears earlier toasts (they keep the language they had). */
async function settle(page: Page): Promise<void> {
  await page.mouse.move(0, 0);
  for (const close of await page.locator('.el-message .el-message__closeBtn').all()) {
    await close.click({ timeout: 1000 }).catch(() => undefined);
  }
  await page.locator('.el-message').first().waitFor({ state: 'detached', timeout: 3000 }).catch(() => undefined);
  await page.locator('.el-select-dropdown__item:visible').first().waitFor({ state: 'hidden', timeout: 3000 }).catch(() => undefined);
  await page.waitForTimeout(400);
}

/** Screenshots the current screen in one language. */
export async function shoot(page: Page, name: string, lang: 'zh-CN' | 'en'): Promise<void> {
  await switchLanguage(page, lang);
  await settle(page);
  await page.screenshot({ path: screenshotPath(name, lang), fullPage: true });
}

/** Screenshots the current screen in both languages (leaves it in zh-CN). */
export async function shootBoth(page: Page, name: string): Promise<void> {
  await shoot(page, name, 'zh-CN');
  await shoot(page, name, 'en');
  await switchLanguage(page, 'zh-CN');
}

/** Picks an option of an Element Plus select. */
export async function choose(page: Page, testid: string, option: string): Promise<void> {
  await page.locator(`[data-testid="${testid}"]`).click();
  await page.locator('.el-select-dropdown__item:visible', { hasText: option }).first().click();
}
