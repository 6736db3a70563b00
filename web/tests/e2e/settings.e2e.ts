/**
 * Tab bar & theme against the real binary, in Chromium: the merchant sets a tab bar (one
 * tab first: refused, the list marked with the server's message), two tabs with labels,
 * a theme (a bad colour first: marked), watches the phone preview apply them before
 * saving, saves, and GET /api/v1/settings returns them. Then the builder's "Preview on a
 * phone" is disabled with the reason (this server has no WeChat platform and the tenant
 * no binding). Screenshots in both languages go to target/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ok, provisionMerchant, signedInApi, type Api, type ProvisionedMerchant } from './support/api';
import { launch, PageWatch, screenshotPath, shootBoth, switchLanguage } from './support/browser';
import { REPO_DIR, startServer } from './support/server.mjs';
import type { RunningServer } from './support/server.mjs';

const PASSWORD = 'Merchant-password-2026';

let server: RunningServer;
let browser: Browser;
let merchant: ProvisionedMerchant;
let api: Api;
const watch = new PageWatch();
const ids: Record<string, string> = {};

beforeAll(async () => {
  server = await startServer();
  merchant = await provisionMerchant(server.binaryOrigin, server.setupToken, { apps: ['pages', 'media', 'store'], username: 'theme.admin', business: '好味小馆' });
  // The first password change through the API; the pages the tabs open, published (and
  // one draft, which the tab bar must not offer).
  const first = await signedInApi(server.binaryOrigin, merchant.username, merchant.oneTimePassword);
  ok(await first.POST('/api/v1/auth/password', { body: { current_password: merchant.oneTimePassword, new_password: PASSWORD } }), 'the password change');
  api = await signedInApi(server.binaryOrigin, merchant.username, PASSWORD);
  for (const template of ['home', 'catalogue', 'contact']) {
    const created = ok(await api.POST('/api/v1/pages/from-template', { body: { template } }), `creating ${template}`);
    ids[template] = created.id;
  }
  // Linked pages first (the home page links to both).
  for (const template of ['contact', 'catalogue', 'home']) {
    ok(await api.POST('/api/v1/pages/{page_id}/publish', { params: { path: { page_id: ids[template]! } } }), `publishing ${template}`);
  }
  ok(await api.POST('/api/v1/pages', { body: { slug: 'promo', title: '优惠活动草稿', layout: { components: [] } } }), 'a draft page');
  browser = await launch();
});

afterAll(async () => {
  mkdirSync(join(REPO_DIR, 'target', 'e2e'), { recursive: true });
  if (server) writeFileSync(join(REPO_DIR, 'target', 'e2e', 'settings-server.log'), server.log());
  await browser?.close();
  await server?.stop();
});

/** The message Element Plus shows under the field with this path (FieldItem's data-field). */
function fieldError(page: Page, path: string) {
  return page.locator(`[data-field="${path}"] > .el-form-item__content > .el-form-item__error`);
}
async function labelColour(page: Page, index: number): Promise<string> {
  return page.getByTestId('phone-tab').nth(index).locator('.tabbar__label').evaluate((e) => getComputedStyle(e).color);
}

describe('tab bar and theme', () => {
  let context: BrowserContext;
  let page: Page;

  it('sets a two-tab bar and a theme with the live phone preview, refusals marked, and saves them', async () => {
    context = await watch.newContext(browser);
    page = await context.newPage();
    watch.attach(page, 'merchant');
    await page.goto(`${server.origin}/console/signin`);
    await page.getByTestId('signin-username').fill(merchant.username);
    await page.getByTestId('signin-password').fill(PASSWORD);
    await page.getByTestId('signin-submit').click();
    await page.waitForURL('**/console/home');
    await page.getByTestId('nav-settings').click();
    await page.getByTestId('settings-screen').waitFor();
    await page.getByTestId('tab-none').waitFor();

    // Only published pages are offered.
    await page.getByTestId('tab-add').click();
    await page.getByTestId('tab-page-0').click();
    const options = page.locator('.el-select-dropdown__item:visible');
    await options.first().waitFor();
    expect((await options.allTextContents()).map((s) => s.trim()).sort()).toEqual(['商品目录', '联系我们', '首页'].sort());
    await options.filter({ hasText: '首页' }).click();

    // One tab only: the server refuses, and its message marks the list.
    await page.getByTestId('tab-bar-save').click();
    const listError = fieldError(page, 'tab_bar.items');
    await listError.waitFor();
    expect(await listError.textContent()).toContain('须为 0 或 2–5 项');
    await expect.poll(() => page.getByTestId('settings-preview').textContent()).toContain('只有 1 个导航项时手机上不显示底部导航');
    // In English the server words it in English (asked again, so the screenshot shows it).
    for (const lang of ['en', 'zh-CN'] as const) {
      await switchLanguage(page, lang);
      await page.getByTestId('tab-bar-save').click();
      await expect.poll(() => listError.textContent()).toMatch(lang === 'en' ? /must have 0 or 2–5 entries/i : /须为 0 或 2–5 项/);
      await page.mouse.move(0, 0);
      await page.waitForTimeout(400);
      await page.screenshot({ path: screenshotPath('settings-invalid', lang), fullPage: true });
    }

    // A second tab (the next published page not yet a tab: catalogue), labels typed; the
    // phone shows them at once.
    await page.getByTestId('tab-add').click();
    expect(await page.getByTestId('tab-label-1').inputValue()).toBe('商品目录');
    await page.getByTestId('tab-label-0').fill('首页');
    await page.getByTestId('tab-label-1').fill('点单');
    const tabs = page.getByTestId('phone-tab');
    await expect.poll(() => tabs.allTextContents()).toEqual(['首页', '点单']);
    await expect
      .poll(() => page.locator('[data-testid="phone-tabbar"] img').evaluateAll((els) => els.length === 2 && els.every((e) => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0)))
      .toBe(true);

    // A bad colour: the server's message marks that colour.
    await page.getByTestId('theme-primary').fill('#E643');
    await page.getByTestId('theme-save').click();
    const colourError = fieldError(page, 'theme.primary_color');
    await colourError.waitFor();
    expect((await colourError.textContent())?.trim()).not.toBe('');

    // The theme, shown live before saving.
    await page.getByTestId('theme-primary').fill('#E64340');
    await page.getByTestId('theme-text').fill('#555555');
    await page.getByTestId('theme-background').fill('#FFF8E1');
    await page.getByTestId('theme-bar').fill('#C0392B');
    await page.getByTestId('theme-bar-text-white').click();
    await expect.poll(() => labelColour(page, 0)).toBe('rgb(230, 67, 64)');
    expect(await labelColour(page, 1)).toBe('rgb(85, 85, 85)');
    const phone = page.getByTestId('settings-phone');
    expect(await phone.getByTestId('phone-page').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(255, 248, 225)');
    expect(await phone.locator('.phone__bar').evaluate((e) => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color])).toEqual(['rgb(192, 57, 43)', 'rgb(255, 255, 255)']);
    // The first tab's page, as published, is in the phone, every image loaded.
    await phone.getByTestId('phone-title').getByText('首页').waitFor();
    await expect
      .poll(() => phone.locator('img').evaluateAll((els) => els.length >= 5 && els.every((e) => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0)))
      .toBe(true);

    // Save both; the toasts confirm, the marks go.
    await page.getByTestId('tab-bar-save').click();
    await page.locator('.el-message', { hasText: '底部导航已保存' }).waitFor();
    await listError.waitFor({ state: 'detached' });
    await page.getByTestId('theme-save').click();
    await page.locator('.el-message', { hasText: '主题已保存' }).waitFor();
    await colourError.waitFor({ state: 'detached' });

    // A tap on the second tab shows its page.
    await tabs.nth(1).click();
    await phone.getByTestId('phone-title').getByText('商品目录').waitFor();
    await page.getByTestId('settings-screen').evaluate(() => document.querySelectorAll('*').forEach((e) => e.scrollTop > 0 && (e.scrollTop = 0)));
    await shootBoth(page, 'settings');

    const saved = ok(await api.GET('/api/v1/settings'), 'the settings');
    expect((saved.tab_bar as { items: unknown[] }).items).toEqual([
      { page_id: ids.home, label: '首页', icon_asset_id: 'sys-placeholder-icon', selected_icon_asset_id: 'sys-placeholder-icon-active' },
      { page_id: ids.catalogue, label: '点单', icon_asset_id: 'sys-placeholder-icon', selected_icon_asset_id: 'sys-placeholder-icon-active' },
    ]);
    expect(saved.theme).toEqual({
      primary_color: '#E64340',
      text_color: '#555555',
      background_color: '#FFF8E1',
      navigation_bar: { background_color: '#C0392B', text_style: 'white' },
    });

    // After a reload the screen shows what was saved.
    await page.reload();
    await page.getByTestId('tab-item-1').waitFor();
    expect(await page.getByTestId('tab-label-1').inputValue()).toBe('点单');
    expect(await page.getByTestId('theme-primary').inputValue()).toBe('#E64340');
    await watch.assertNoStoredToken(page);
    watch.assertClean();
  });

  it('the builder frames the page with the saved theme; "preview on a phone" says why it is unavailable', async () => {
    await page.goto(`${server.origin}/console/pages/${ids.home}/edit`);
    await page.getByTestId('canvas-item-banner').waitFor();
    const canvas = page.getByTestId('canvas');
    await expect.poll(() => page.getByTestId('phone-tab').allTextContents()).toEqual(['首页', '点单']);
    expect(await canvas.locator('.phone__bar').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(192, 57, 43)');
    expect(await page.getByTestId('phone-tab').nth(0).locator('.tabbar__label').evaluate((e) => getComputedStyle(e).color)).toBe('rgb(230, 67, 64)');

    // No WeChat binding: the button is disabled, and hovering it says why.
    const button = page.getByTestId('phone-preview');
    await expect.poll(() => button.isDisabled()).toBe(true);
    for (const lang of ['zh-CN', 'en'] as const) {
      await switchLanguage(page, lang);
      await page.getByTestId('phone-preview-wrap').hover();
      const tip = page.locator('.phone-preview-tip:visible');
      await tip.waitFor();
      expect(await tip.textContent()).toContain(lang === 'zh-CN' ? '小程序还没有绑定到本平台' : 'not bound to this platform yet');
      await page.waitForTimeout(300);
      await page.screenshot({ path: screenshotPath('builder-phone-preview-unbound', lang), fullPage: true });
      await page.mouse.move(0, 0);
      await tip.waitFor({ state: 'hidden' });
    }
    await switchLanguage(page, 'zh-CN');
    watch.assertClean();
    await context.close();
  });
});
