/**
 * The page builder against the real binary, in Chromium, for a tenant with NO appid:
 * the merchant's first sign-in, a page from a starter, a carousel dragged in with two
 * uploaded images, a typed text shown by the server-rendered preview, a reorder undone
 * and redone, save, a publish refused with every dead link named and then accepted, and
 * every image in the canvas loaded; once an agency admin sets an appid, the client API
 * serves that text and those images to phones. Then: two browser contexts meet the conflict dialog,
 * and a reload offers the unsaved layout back. Screenshots in both languages go to
 * target/e2e/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN, ok, provisionMerchant, signedInApi, type ProvisionedMerchant } from './support/api';
import { choose, launch, PageWatch, shootBoth } from './support/browser';
import { REPO_DIR, startServer } from './support/server.mjs';
import type { RunningServer } from './support/server.mjs';

const PASSWORD = 'Merchant-password-2026';
const IMAGES = [join(REPO_DIR, 'page-templates/assets/placeholder-square.png'), join(REPO_DIR, 'page-templates/assets/placeholder-logo.png')];

let server: RunningServer;
let browser: Browser;
let merchant: ProvisionedMerchant;
const watch = new PageWatch();
let homeId = '';
let templatesDir = '';

async function signIn(page: Page, password: string): Promise<void> {
  await page.goto(`${server.origin}/console/signin`);
  await page.getByTestId('signin-username').fill(merchant.username);
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
}

async function newMerchantPage(context?: BrowserContext): Promise<{ context: BrowserContext; page: Page }> {
  const ctx = context ?? (await watch.newContext(browser));
  const page = await ctx.newPage();
  watch.attach(page, `merchant ${ctx === context ? 'again' : 'new'}`);
  return { context: ctx, page };
}

/** The ids of the page's top-level components in canvas order. */
async function canvasOrder(page: Page): Promise<string[]> {
  return page.locator('[data-testid="canvas-list"] > [data-component-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-component-id') ?? ''));
}

/**
 * Clicks Save. Autosave (after 2 s without edits) may have been first: then the button is
 * disabled (nothing left to save) or a dialog it opened covers it, and the click is moot.
 */
async function clickSave(page: Page): Promise<void> {
  await page.getByTestId('save').click({ timeout: 2000 }).catch(() => undefined);
}

/** Saves and waits until the builder says everything is saved. */
async function save(page: Page): Promise<void> {
  await clickSave(page);
  await expect.poll(() => page.getByTestId('save-state').textContent()).toMatch(/已于/);
}

/** Resolves when the server has rendered the working page and the preview shows it. */
async function renderedWith(page: Page, text: string): Promise<void> {
  await page.locator('[data-testid="canvas"]').getByText(text).first().waitFor();
}

beforeAll(async () => {
  // page-templates/ plus a component type the console has never seen (fixtures/coupon).
  templatesDir = mkdtempSync(join(tmpdir(), 'weapp-templates-'));
  cpSync(join(REPO_DIR, 'page-templates'), templatesDir, { recursive: true });
  cpSync(join(REPO_DIR, 'web/tests/e2e/fixtures/coupon'), join(templatesDir, 'components/coupon'), { recursive: true });
  rmSync(join(templatesDir, 'components/coupon/README.md'));
  server = await startServer({ env: { WEAPP__RENDER__TEMPLATES_DIR: templatesDir } });
  merchant = await provisionMerchant(server.binaryOrigin, server.setupToken, {
    apps: ['pages', 'media', 'store'],
    username: 'builder.admin',
    business: '好味小馆',
  });
  browser = await launch();
});

afterAll(async () => {
  // The service's log beside the screenshots, for a failure's post-mortem.
  mkdirSync(join(REPO_DIR, 'target', 'e2e'), { recursive: true });
  if (server) writeFileSync(join(REPO_DIR, 'target', 'e2e', 'builder-server.log'), server.log());
  await browser?.close();
  await server?.stop();
  if (templatesDir) rmSync(templatesDir, { recursive: true, force: true });
});

describe('the page builder', () => {
  let context: BrowserContext;
  let page: Page;

  it('builds a page from a starter: carousel with uploads, text, reorder, undo/redo, save, publish', async () => {
    ({ context, page } = await newMerchantPage());
    await signIn(page, merchant.oneTimePassword);
    await page.waitForURL('**/console/password');
    await page.getByTestId('password-current').fill(merchant.oneTimePassword);
    await page.getByTestId('password-new').fill(PASSWORD);
    await page.getByTestId('password-confirm').fill(PASSWORD);
    await page.getByTestId('password-submit').click();
    await page.waitForURL('**/console/home');

    // A page from the home starter.
    await page.getByTestId('nav-pages').click();
    await page.getByTestId('list-empty').waitFor();
    await shootBoth(page, 'pages-empty');
    await page.getByTestId('page-new').click();
    await page.getByTestId('starter-home').click();
    await shootBoth(page, 'pages-new');
    await page.getByTestId('new-page-submit').click();
    await page.waitForURL(/\/console\/pages\/[0-9a-f-]+\/edit$/);
    homeId = /pages\/([0-9a-f-]+)\/edit/.exec(page.url())![1]!;
    await page.locator('[data-testid="canvas-item-banner"] img').first().waitFor();
    expect(await canvasOrder(page)).toEqual(['banner', 'notice', 'store', 'featured-title', 'featured', 'to-contact']);

    // A carousel dragged from the palette to just below the notice bar.
    await page.getByTestId('palette-carousel').dragTo(page.getByTestId('canvas-item-store'), { targetPosition: { x: 40, y: 4 } });
    await page.getByTestId('canvas-item-carousel-1').waitFor();
    const order = await canvasOrder(page);
    expect(order).toContain('carousel-1');
    expect(order.indexOf('carousel-1')).toBeLessThan(order.indexOf('featured'));
    await page.getByTestId('canvas-item-carousel-1').click();

    // Two images uploaded at once, one picked for each slide.
    await page.getByTestId('prop-slides.0.asset_id-choose').click();
    // Each asset field has its own library dialog: the open one is the visible one.
    const library = page.locator('[data-testid="asset-library"]:visible');
    await library.getByTestId('asset-upload-input').setInputFiles(IMAGES);
    await library.locator('[data-testid="asset-grid"] button').nth(1).waitFor();
    const assetIds = await library.locator('[data-testid="asset-grid"] button').evaluateAll((els) => els.map((e) => (e.getAttribute('data-testid') ?? '').replace('asset-', '')));
    expect(assetIds).toHaveLength(2);
    await shootBoth(page, 'builder-asset-library');
    await library.getByTestId(`asset-${assetIds[0]}`).click();
    await page.getByTestId('prop-slides-add').click();
    await page.getByTestId('prop-slides.1.asset_id-choose').click();
    await library.getByTestId(`asset-${assetIds[1]}`).click();
    // The console loads images through the tenant's signed prefix, not the phones' route.
    const prefixed = (ids: string[]) => ids.map((id) => expect.stringMatching(new RegExp(`^/api/v1/links/[^/]+/assets/${id}$`)));
    await expect
      .poll(() => page.locator('[data-testid="canvas-item-carousel-1"] img').evaluateAll((els) => els.map((e) => e.getAttribute('src'))))
      .toEqual(prefixed([assetIds[0]!, assetIds[1]!]));

    // A number out of range: the server's message marks the component and the property.
    await page.getByTestId('prop-height_rpx').fill('5000');
    await page.locator('[data-testid="canvas-item-carousel-1"] [data-testid="canvas-fault"]').waitFor();
    const fieldError = page.locator('[data-field="height_rpx"] .el-form-item__error');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toMatch(/1500/);
    await shootBoth(page, 'builder-invalid');
    await page.getByTestId('prop-height_rpx').fill('400');
    await page.locator('[data-testid="canvas-item-carousel-1"] [data-testid="canvas-fault"]').waitFor({ state: 'detached' });

    // A typed text shows in the server-rendered preview.
    await page.getByTestId('canvas-item-featured-title').click();
    await page.getByTestId('prop-text').fill('本店招牌 Signature dishes');
    await renderedWith(page, '本店招牌 Signature dishes');
    // And a navigation-bar title.
    await page.locator('.builder__canvas').click({ position: { x: 5, y: 5 } });
    await page.getByTestId('bar-title-input').fill('好味小馆');
    await expect.poll(() => page.getByTestId('phone-title').textContent()).toBe('好味小馆');

    // Reorder: the button moves above the grid; undo puts it back, redo moves it again.
    await page.getByTestId('canvas-item-to-contact').click();
    await page.getByTestId('item-up').click();
    const moved = await canvasOrder(page);
    expect(moved.indexOf('to-contact')).toBe(moved.indexOf('featured') - 1);
    await page.keyboard.press('Control+z');
    await expect.poll(() => canvasOrder(page)).not.toEqual(moved);
    expect((await canvasOrder(page)).at(-1)).toBe('to-contact');
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => canvasOrder(page)).toEqual(moved);

    // Save.
    await save(page);
    await shootBoth(page, 'builder');

    // Every image in the canvas loaded (the tenant has no appid).
    const images = await page.locator('[data-testid="canvas"] img').evaluateAll((els) =>
      els.map((e) => ({ src: e.getAttribute('src'), loaded: (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0 })),
    );
    expect(images.length).toBeGreaterThanOrEqual(5);
    expect(images.filter((i) => !i.loaded)).toEqual([]);

    // Publishing names every dead link at once (catalogue and contact do not exist yet).
    await page.getByTestId('publish').click();
    const dialog = page.getByTestId('publish-dialog');
    const errors = dialog.getByTestId('publish-errors');
    await errors.waitFor();
    const listed = (await errors.textContent()) ?? '';
    expect(listed).toContain('catalogue');
    expect(listed).toContain('contact');
    expect(await errors.locator('li').count()).toBeGreaterThanOrEqual(3);
    expect(await dialog.getByTestId('publish-confirm').isDisabled()).toBe(true);
    await shootBoth(page, 'builder-publish-blocked');
    await dialog.getByRole('button', { name: '取消' }).click();

    // The linked pages exist and are published: the page publishes.
    const api = await signedInApi(server.binaryOrigin, merchant.username, PASSWORD);
    for (const template of ['catalogue', 'contact']) {
      const created = ok(await api.POST('/api/v1/pages/from-template', { body: { template } }), `creating ${template}`);
      ok(await api.POST('/api/v1/pages/{page_id}/publish', { params: { path: { page_id: created.id } } }), `publishing ${template}`);
    }
    await page.getByTestId('publish').click();
    await dialog.getByText('检查通过').waitFor();
    await dialog.getByTestId('publish-confirm').click();
    await dialog.waitFor({ state: 'hidden' });

    const published = ok(await api.GET('/api/v1/pages/{page_id}/preview', { params: { path: { page_id: homeId }, query: { version: 1 } } }), 'the published version');
    const json = JSON.stringify(published);
    expect(json).toContain('本店招牌 Signature dishes');
    expect(json).toContain(`/assets/${assetIds[0]}`);
    expect(json).toContain(`/assets/${assetIds[1]}`);

    // With an appid set (a mini-program bound outside the platform), the client API serves
    // that text and those images to phones, and the images load.
    const appid = 'wx0123456789abcdef';
    const admin = await signedInApi(server.binaryOrigin, ADMIN.username, ADMIN.password);
    ok(
      await admin.PUT('/api/v1/tenants/{tenant_id}/appid', {
        params: { path: { tenant_id: merchant.tenantId } },
        body: { appid, reason: 'e2e' },
      }),
      'setting the appid',
    );
    const served = await fetch(`${server.binaryOrigin}/client/v1/${appid}/pages/home`);
    expect(served.status).toBe(200);
    const phone = await served.text();
    expect(phone).toContain('本店招牌 Signature dishes');
    for (const id of assetIds.slice(0, 2)) {
      const url = `/client/v1/${appid}/assets/${id}`;
      expect(phone).toContain(url);
      const image = await fetch(`${server.binaryOrigin}${url}`);
      expect(image.status).toBe(200);
      expect(image.headers.get('content-type')).toMatch(/^image\//);
    }

    // A tab bar (set through the API: its editor is not built yet) frames the phone.
    const catalogueId = ok(await api.GET('/api/v1/pages'), 'pages').items.find((p) => p.slug === 'catalogue')!.id;
    ok(
      await api.PUT('/api/v1/settings/tab-bar', {
        body: {
          items: [
            { page_id: homeId, label: '首页', icon_asset_id: 'sys-placeholder-icon', selected_icon_asset_id: 'sys-placeholder-icon-active' },
            { page_id: catalogueId, label: '商品', icon_asset_id: 'sys-placeholder-icon', selected_icon_asset_id: 'sys-placeholder-icon-active' },
          ],
        },
      }),
      'the tab bar',
    );

    // The pages list says what is published.
    await page.getByTestId('nav-pages').click();
    await page.getByTestId('page-state-home').getByText('已发布').waitFor();
    await shootBoth(page, 'pages');
    await watch.assertNoStoredToken(page);
    watch.assertClean();
  });

  it('a second editor who saves after the first gets the conflict dialog and loses nothing', async () => {
    const url = `${server.origin}/console/pages/${homeId}/edit`;
    await page.goto(url);
    await page.getByTestId('canvas-item-notice').waitFor();
    const other = await newMerchantPage();
    await signIn(other.page, PASSWORD);
    await other.page.waitForURL('**/console/home');
    await other.page.goto(url);
    await other.page.getByTestId('canvas-item-notice').waitFor();

    // The first editor saves a change.
    await page.getByTestId('canvas-item-notice').click();
    await page.getByTestId('prop-text').fill('第一位编辑的公告');
    await renderedWith(page, '第一位编辑的公告');
    await save(page);

    // The second, still on the old revision, saves too: refused, with the dialog.
    await other.page.getByTestId('canvas-item-notice').click();
    await other.page.getByTestId('prop-text').fill('第二位编辑的公告');
    await renderedWith(other.page, '第二位编辑的公告');
    await clickSave(other.page);
    await other.page.getByTestId('conflict-dialog').getByTestId('conflict-load-theirs').waitFor();
    await shootBoth(other.page, 'builder-conflict');

    // Load theirs: the canvas shows the first editor's text, mine stays visible beside it.
    await other.page.getByTestId('conflict-load-theirs').click();
    await renderedWith(other.page, '第一位编辑的公告');
    const mine = other.page.getByTestId('kept-mine');
    await mine.getByText('第二位编辑的公告').waitFor();
    await shootBoth(other.page, 'builder-conflict-kept');
    await other.context.close();
    watch.assertClean();
  });

  it('a reload in the middle of an edit offers the unsaved layout back', async () => {
    await page.goto(`${server.origin}/console/pages/${homeId}/edit`);
    await page.getByTestId('canvas-item-notice').click();
    await page.getByTestId('prop-text').fill('刷新前没保存的公告');
    // Reload before the 2 s autosave.
    await page.reload();
    const banner = page.getByTestId('recover-banner');
    await banner.waitFor();
    await shootBoth(page, 'builder-recover');
    await banner.getByTestId('recover-restore').click();
    await renderedWith(page, '刷新前没保存的公告');
    // The tenant's tab bar at the foot of the phone, this page's tab selected, icons loaded.
    const tabbar = page.getByTestId('phone-tabbar');
    await tabbar.getByText('商品').waitFor();
    await expect
      .poll(() => tabbar.locator('img').evaluateAll((els) => els.every((e) => (e as HTMLImageElement).complete && (e as HTMLImageElement).naturalWidth > 0) && els.length === 2))
      .toBe(true);
    await save(page);

    // The contact button now calls a number: the saved page has the tel: link.
    await page.getByTestId('canvas-item-to-contact').click();
    await page.getByTestId('prop-link').getByText('电话', { exact: true }).click();
    await page.getByTestId('prop-link-tel').fill('400-123-4567');
    await save(page);
    const api = await signedInApi(server.binaryOrigin, merchant.username, PASSWORD);
    const saved = ok(await api.GET('/api/v1/pages/{page_id}', { params: { path: { page_id: homeId } } }), 'the saved home page');
    const button = (saved.layout as unknown as { components: { id: string; props: Record<string, unknown> }[] }).components.find((c) => c.id === 'to-contact');
    expect(button?.props.link).toBe('tel:400-123-4567');
    await watch.assertNoStoredToken(page);
    watch.assertClean();
    await context.close();
  });

  it('a component type added only in the templates folder gets a working panel, round-trips and shows a placeholder; drags into a container', async () => {
    ({ context, page } = await newMerchantPage());
    await signIn(page, PASSWORD);
    await page.waitForURL('**/console/home');
    const api = await signedInApi(server.binaryOrigin, merchant.username, PASSWORD);
    const promo = ok(await api.POST('/api/v1/pages', { body: { slug: 'promo', title: '优惠活动', layout: { components: [] } } }), 'a blank page');
    await page.goto(`${server.origin}/console/pages/${promo.id}/edit`);
    await page.getByTestId('palette-coupon').click();
    const item = page.getByTestId('canvas-item-coupon-1');
    await item.getByTestId('preview-placeholder').waitFor();

    const panel = page.getByTestId('property-panel');
    for (const label of ['标题', '使用条件', '主色', '类型', '数量', '折扣率', '可叠加', '券面图', '点击后', '规则网址', '适用门店', '门店名', '角标', '角标文字', '细则']) {
      await panel.locator('.el-form-item__label', { hasText: label }).first().waitFor();
    }
    await panel.getByText('券面上最大的字').waitFor();
    await page.getByTestId('prop-headline').fill('满100减20');
    await page.getByTestId('prop-terms').fill('周末可用');
    await choose(page, 'prop-kind', '赠品');
    await page.getByTestId('prop-quantity').fill('5');
    await page.getByTestId('prop-stackable').click();
    await page.getByTestId('prop-link').getByText('网址').click();
    await page.getByTestId('prop-link-url').fill('https://shop.example.cn/coupon');
    await page.getByTestId('prop-rules_url').fill('https://shop.example.cn/rules');
    await page.getByTestId('prop-shops-add').click();
    await page.getByTestId('prop-shops.1.name').fill('二号店');
    await page.getByTestId('prop-badge.text').fill('新');
    await page.getByTestId('prop-fine_print').click();
    await page.keyboard.type('仅限堂食');
    await shootBoth(page, 'builder-new-type');
    await save(page);

    const saved = ok(await api.GET('/api/v1/pages/{page_id}', { params: { path: { page_id: promo.id } } }), 'the saved page');
    const props = (saved.layout as unknown as { components: { type: string; props: Record<string, unknown> }[] }).components[0]!.props;
    expect(props).toMatchObject({
      headline: '满100减20',
      terms: '周末可用',
      kind: 'gift',
      quantity: 5,
      stackable: true,
      link: 'https://shop.example.cn/coupon',
      rules_url: 'https://shop.example.cn/rules',
      badge: { text: '新' },
      fine_print: [{ type: 'text', text: '仅限堂食' }],
    });
    expect((props.shops as { name: string }[]).map((s) => s.name)).toEqual(['优惠券（测试类型）', '二号店']);

    // After a reload the panel shows what was saved.
    await page.reload();
    await page.getByTestId('canvas-item-coupon-1').click();
    expect(await page.getByTestId('prop-headline').inputValue()).toBe('满100减20');
    expect(await page.getByTestId('prop-shops.1.name').inputValue()).toBe('二号店');

    // Containers: one added by click, a text dragged from the palette into it, and the
    // coupon dragged from the page into it too.
    await page.getByTestId('palette-container').click();
    const box = page.getByTestId('canvas-list-container-1');
    await box.waitFor();
    await page.getByTestId('palette-text').dragTo(box);
    await box.locator('[data-component-id="text-1"] [data-block-type="text"]').waitFor();
    {
      // A component already on the page, dragged by hand (small steps, as a person would).
      const from = (await page.getByTestId('canvas-item-coupon-1').boundingBox())!;
      const to = (await box.locator('[data-component-id="text-1"]').boundingBox())!;
      await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
      await page.mouse.down();
      await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2 + 10, { steps: 5 });
      await page.mouse.move(to.x + to.width / 2, to.y + to.height * 0.75, { steps: 20 });
      await page.mouse.up();
    }
    await box.locator('[data-component-id="coupon-1"]').waitFor();
    await save(page);
    const nested = ok(await api.GET('/api/v1/pages/{page_id}', { params: { path: { page_id: promo.id } } }), 'the nested page');
    const top = (nested.layout as unknown as { components: { id: string; children?: { id: string }[] }[] }).components;
    expect(top.map((c) => c.id)).toEqual(['container-1']);
    expect(top[0]!.children!.map((c) => c.id).sort()).toEqual(['coupon-1', 'text-1']);
    watch.assertClean();
    await context.close();
  });
});
