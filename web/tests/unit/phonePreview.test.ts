// "Preview on a phone" in the builder against a stubbed server: disabled with the reason
// when the mini-program is not bound; when bound, unsaved changes are saved first, then
// the QR image (fetched as a blob with the session) is shown with its expiry and a "new
// code" button; a 409 or 503 shows the server's message.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { i18n } from '@/i18n';
import '@/i18n/builderMessages';
import { useSessionStore } from '@/stores/session';
import PhonePreview from '@/views/builder/PhonePreview.vue';
import type { Account } from '@/api/client';

const TENANT = '01a2506b-3de7-762a-be9c-5f2ddc3ebb00';
const PAGE = '01a2506b-3de7-762a-be9c-5f2ddc3ebb01';
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
function binding(status: string): Response {
  return json(200, { tenant_id: TENANT, status, func_ids: [], can_publish: status === 'bound', appid: status === 'unbound' ? null : 'wx0123456789abcdef' });
}

let requests: { method: string; path: string }[] = [];
let answer: (path: string, method: string) => Response;
let urls: string[] = [];
let revoked: string[] = [];
beforeEach(() => {
  requests = [];
  urls = [];
  revoked = [];
  i18n.global.locale.value = 'en';
  const pinia = createPinia();
  setActivePinia(pinia);
  useSessionStore().account = { id: 'u', username: 'shop.admin', role: 'merchant_admin', tenant_id: TENANT } as unknown as Account;
  vi.stubGlobal('fetch', vi.fn(async (req: Request) => {
    const path = new URL(req.url).pathname;
    requests.push({ method: req.method, path });
    return answer(path, req.method);
  }));
  // jsdom has no object URLs: record them.
  URL.createObjectURL = vi.fn((blob: Blob) => {
    const url = `blob:qr-${urls.length + 1}-${blob.size}-${blob.type}`;
    urls.push(url);
    return url;
  });
  URL.revokeObjectURL = vi.fn((url: string) => void revoked.push(url));
});
afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = '';
});

function mountIt(prepare: () => Promise<boolean>) {
  return mount(PhonePreview, {
    props: { pageId: PAGE, prepare },
    global: { plugins: [i18n] },
    attachTo: document.body,
  });
}
const q = (testid: string) => document.querySelector(`[data-testid="${testid}"]`);

describe('preview on a phone', () => {
  it('is disabled with the reason while the mini-program is not bound', async () => {
    answer = () => binding('unbound');
    const wrapper = mountIt(async () => true);
    await flushPromises();
    expect(requests).toEqual([{ method: 'GET', path: `/api/v1/tenants/${TENANT}/wechat` }]);
    expect((q('phone-preview') as HTMLButtonElement).disabled).toBe(true);
    expect(q('phone-preview-wrap')!.getAttribute('aria-label')).toContain('not bound to this platform yet');
    wrapper.unmount();
  });

  it('saves first, then shows the code with its expiry; a new code replaces it', async () => {
    const expires = new Date(Date.now() + 30 * 60_000).toISOString();
    answer = (path) =>
      path.endsWith('/wechat')
        ? binding('bound')
        : new Response(JPEG, { status: 200, headers: { 'content-type': 'image/jpeg', 'X-Preview-Expires-At': expires } });
    const order: string[] = [];
    const prepare = vi.fn(async () => {
      order.push(`save (requests so far: ${requests.length})`);
      return true;
    });
    const wrapper = mountIt(prepare);
    await flushPromises();
    const button = q('phone-preview') as HTMLButtonElement;
    expect(button.disabled).toBe(false);
    button.click();
    await flushPromises();
    // The save came before the code was asked for.
    expect(order).toEqual(['save (requests so far: 1)']);
    expect(requests.at(-1)).toEqual({ method: 'POST', path: `/api/v1/pages/${PAGE}/preview-qrcode` });
    const img = q('qr-image') as HTMLImageElement;
    expect(img.getAttribute('src')).toBe(`blob:qr-1-${JPEG.length}-image/jpeg`);
    expect(q('qr-expiry')!.textContent).toMatch(/Valid until .+ \(30 minutes\)/);
    expect(document.body.textContent).toContain('Scan this code with WeChat');

    (q('qr-renew') as HTMLButtonElement).click();
    await flushPromises();
    expect(prepare).toHaveBeenCalledTimes(2);
    expect((q('qr-image') as HTMLImageElement).getAttribute('src')).toBe(`blob:qr-2-${JPEG.length}-image/jpeg`);
    expect(revoked).toEqual([`blob:qr-1-${JPEG.length}-image/jpeg`]);
    wrapper.unmount();
    expect(revoked).toContain(`blob:qr-2-${JPEG.length}-image/jpeg`);
  });

  it("shows the server's message for a 409 and a 503", async () => {
    let refusal = json(409, { code: 'invalid_transition', message: 'The mini-program has no trial or released version yet: start a deploy.' });
    answer = (path) => (path.endsWith('/wechat') ? binding('bound') : refusal);
    const wrapper = mountIt(async () => true);
    await flushPromises();
    (q('phone-preview') as HTMLButtonElement).click();
    await flushPromises();
    expect(q('qr-image')).toBeNull();
    expect(q('qr-error')!.textContent).toContain('no trial or released version yet');
    expect(q('qr-renew')!.textContent).toContain('Try again');

    refusal = json(503, { code: 'wechat_not_configured', message: 'The WeChat third-party platform is not configured; this feature is unavailable.' });
    (q('qr-renew') as HTMLButtonElement).click();
    await flushPromises();
    expect(q('qr-error')!.textContent).toContain('third-party platform is not configured');
    expect(urls).toEqual([]);
    wrapper.unmount();
  });

  it('asks for no code when the unsaved changes could not be saved', async () => {
    answer = () => binding('bound');
    const wrapper = mountIt(async () => false);
    await flushPromises();
    (q('phone-preview') as HTMLButtonElement).click();
    await flushPromises();
    expect(requests.filter((r) => r.method === 'POST')).toEqual([]);
    expect(q('qr-error')!.textContent).toContain('could not be saved');
    wrapper.unmount();
  });
});
