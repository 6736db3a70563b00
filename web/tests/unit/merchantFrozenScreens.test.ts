// Issue 24: the Pages, Tab bar & theme and Builder write controls of a frozen (pending, on
// hold) tenant are disabled with the reason, a refused write for the tenant's state closes
// them, and the operations the merchant screens newly reach: taking several pages offline
// (its 409 `page_linked` names the linking pages), an asset's details, the saved-draft
// preview and a phone preview link.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { defineComponent, h, ref } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia } from 'pinia';
import { i18n } from '@/i18n';
import '@/i18n/builderMessages';
import '@/views/merchant/merchantMessages';
import { ApiProblem } from '@/api/problem';
import { DEFAULT_THEME } from '@/views/settings/settingsModel';

const get = vi.fn();
const post = vi.fn();
const del = vi.fn();
const put = vi.fn();
vi.mock('@/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/api')>();
  return {
    ...actual,
    api: {
      GET: (...args: unknown[]) => get(...args),
      POST: (...args: unknown[]) => post(...args),
      DELETE: (...args: unknown[]) => del(...args),
      PUT: (...args: unknown[]) => put(...args),
    },
    call: async (pending: Promise<unknown>) => pending,
  };
});
vi.mock('@/stores/session', () => ({
  useSessionStore: () => ({ account: { tenant_id: 'T1', role: 'merchant_admin' }, role: 'merchant_admin' }),
}));

const { default: PagesView } = await import('@/views/pages/PagesView.vue');
const { default: ThemeEditor } = await import('@/views/settings/ThemeEditor.vue');
const { default: AssetDetailDialog } = await import('@/views/merchant/assets/AssetDetailDialog.vue');
const { default: PreviewDrawer } = await import('@/views/pages/PreviewDrawer.vue');
const { default: PropertyPanel } = await import('@/views/builder/PropertyPanel.vue');
const { default: ComponentPalette } = await import('@/views/builder/ComponentPalette.vue');

const FROZEN = { id: 'T1', status: 'frozen', holds: [], delete_after: '2026-12-20T16:00:00Z' };
const ACTIVE = { id: 'T1', status: 'active', holds: [], delete_after: null };
const HOME = {
  id: 'P1',
  slug: 'home',
  title: 'Home',
  navigation_bar: {},
  revision: 1,
  is_published: true,
  published_version: 1,
  taken_down: false,
  updated_at: '2026-12-07T00:00:00Z',
};
const frozenProblem = () => new ApiProblem({ status: 403, code: 'tenant_frozen', message: 'The shop is frozen.' });

let tenant: Record<string, unknown> = ACTIVE;
beforeEach(() => {
  i18n.global.locale.value = 'en';
  tenant = ACTIVE;
  get.mockImplementation(async (path: string) => {
    if (path === '/api/v1/tenants/{tenant_id}') return tenant;
    if (path === '/api/v1/pages') return { items: [HOME] };
    if (path === '/api/v1/pages/{page_id}/versions') return { items: [{ version: 1, published_at: '2026-12-06T00:00:00Z' }] };
    throw new Error(`unexpected GET ${path}`);
  });
});
afterEach(() => {
  get.mockReset();
  post.mockReset();
  del.mockReset();
  put.mockReset();
  document.body.innerHTML = '';
  i18n.global.locale.value = 'zh-CN';
});

function router() {
  const r = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/pages', name: 'pages', component: PagesView },
      { path: '/pages/:id/edit', name: 'builder', component: { template: '<div />' } },
      { path: '/settings', component: { template: '<div />' } },
    ],
  });
  void r.push('/pages');
  return r;
}
async function settle(): Promise<void> {
  await flushPromises();
  await new Promise((r) => setTimeout(r, 30));
  await flushPromises();
}
async function mountPages() {
  const wrapper = mount(PagesView, { global: { plugins: [router(), i18n, createPinia()] }, attachTo: document.body });
  await settle();
  return wrapper;
}
const byTestId = (id: string) => document.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe('the pages screen of a frozen tenant', () => {
  it('says why once and disables every write control with the reason; reading stays open', async () => {
    tenant = FROZEN;
    await mountPages();
    expect(byTestId('write-blocked')?.textContent).toContain('export your data');
    for (const id of ['page-new', 'page-unpublish-home', 'page-delete-home', 'pages-unpublish-selected']) {
      const button = byTestId(id);
      expect(button, id).not.toBeNull();
      expect((button as HTMLButtonElement).disabled, id).toBe(true);
      expect(button!.getAttribute('data-blocked-reason'), id).toContain('export your data');
    }
    // Reading: versions and the preview stay open.
    expect((byTestId('page-versions-home') as HTMLButtonElement).disabled).toBe(false);
    expect((byTestId('page-preview-home') as HTMLButtonElement).disabled).toBe(false);
  });

  it('closes the controls when the server refuses a write for the tenant state', async () => {
    await mountPages();
    expect(byTestId('write-blocked')).toBeNull();
    expect(byTestId('page-delete-home')?.getAttribute('data-blocked-reason')).toBeNull();
    // The tenant was frozen since the screen loaded: the server refuses the delete.
    tenant = FROZEN;
    del.mockRejectedValue(frozenProblem());
    byTestId('page-delete-home')!.click();
    await settle();
    byTestId('confirm-button')!.click();
    await settle();
    expect(del).toHaveBeenCalledTimes(1);
    expect(get.mock.calls.filter(([p]) => p === '/api/v1/tenants/{tenant_id}').length).toBe(2);
    expect(byTestId('write-blocked')).not.toBeNull();
    expect((byTestId('page-delete-home') as HTMLButtonElement).disabled).toBe(true);
  });
});

describe('taking pages offline together', () => {
  it('sends the selected pages and shows the linking pages of a 409 page_linked', async () => {
    await mountPages();
    const checkbox = document.querySelector<HTMLInputElement>('.el-table__body .el-checkbox__original');
    expect(checkbox).not.toBeNull();
    checkbox!.click();
    await settle();
    const bulk = byTestId('pages-unpublish-selected') as HTMLButtonElement;
    expect(bulk.disabled).toBe(false);
    expect(bulk.textContent).toContain('(1)');
    post.mockRejectedValue(
      new ApiProblem({
        status: 409,
        code: 'page_linked',
        message: 'Published pages link here (about)',
        details: { linked_from: [{ page_id: 'P2', slug: 'about', title: 'About us', pointer: '/components/0', target: 'home' }] },
      }),
    );
    bulk.click();
    await settle();
    byTestId('confirm-button')!.click();
    await settle();
    expect(post).toHaveBeenCalledWith('/api/v1/pages/unpublish', { body: { page_ids: ['P1'] } });
    const refusal = byTestId('pages-linked-refusal');
    expect(refusal?.textContent).toContain('Published pages link here (about)');
    expect(byTestId('linked-from-about')?.textContent).toBe('About us');
  });
});

describe('the theme editor of a frozen tenant', () => {
  it('disables the save with the reason and sends nothing on Enter', async () => {
    const model = ref(structuredClone(DEFAULT_THEME));
    const Host = defineComponent({
      setup: () => () => h(ThemeEditor, { modelValue: model.value, canEdit: true, blocked: 'The shop is frozen.' }),
    });
    mount(Host, { global: { plugins: [i18n] }, attachTo: document.body });
    await settle();
    const save = byTestId('theme-save') as HTMLButtonElement;
    expect(save.disabled).toBe(true);
    expect(save.getAttribute('data-blocked-reason')).toBe('The shop is frozen.');
    byTestId('theme-editor')!.dispatchEvent(new Event('submit'));
    await settle();
    expect(put).not.toHaveBeenCalled();
  });

  it('tells the screen of a refused save', async () => {
    const refused = vi.fn();
    put.mockRejectedValue(frozenProblem());
    const model = ref(structuredClone(DEFAULT_THEME));
    const Host = defineComponent({
      setup: () => () => h(ThemeEditor, { modelValue: model.value, canEdit: true, blocked: null, onRefused: refused }),
    });
    mount(Host, { global: { plugins: [i18n] }, attachTo: document.body });
    byTestId('theme-save')!.click();
    await settle();
    expect(refused).toHaveBeenCalledTimes(1);
    expect((refused.mock.calls[0]![0] as ApiProblem).code).toBe('tenant_frozen');
  });
});

describe('the builder of a frozen tenant', () => {
  it('shows the page settings disabled and adds nothing from the palette', async () => {
    const page = { slug: 'home', title: 'Home', navigation_bar: { title: 'Home' }, layout: { components: [] } };
    mount(PropertyPanel, {
      props: { page, component: null, info: null, displayName: '', faults: [], pageFaults: {}, readonly: true },
      global: { plugins: [i18n] },
      attachTo: document.body,
    });
    const add = vi.fn();
    const text = { type: 'text', app: 'pages', icon: 'text', display_name: { 'zh-CN': '文本', en: 'Text' }, schema: {}, children: false };
    mount(ComponentPalette, {
      props: { items: [text as never], makeComponent: () => ({ id: 'text-1', type: 'text', props: {} }), disabled: true, onAdd: add },
      global: { plugins: [i18n] },
      attachTo: document.body,
    });
    await settle();
    const title = byTestId('page-title-input');
    const input = title instanceof HTMLInputElement ? title : title?.querySelector('input');
    expect(input?.disabled).toBe(true);
    const paletteItem = byTestId('palette-text') as HTMLButtonElement;
    expect(paletteItem.disabled).toBe(true);
    paletteItem.click();
    expect(add).not.toHaveBeenCalled();
  });
});

describe('an asset in full', () => {
  it('fetches the asset and shows its size, dimensions, type and uses', async () => {
    get.mockImplementation(async (path: string, opts: { params: { path: { asset_id: string } } }) => {
      expect(path).toBe('/api/v1/assets/{asset_id}');
      expect(opts.params.path.asset_id).toBe('A1');
      return {
        id: 'A1',
        kind: 'image',
        content_type: 'image/png',
        original_name: 'banner.png',
        size_bytes: 3 * 1024 * 1024,
        width: 750,
        height: 300,
        created_at: '2026-12-01T00:00:00Z',
        used_by: { pages: [{ page_id: 'P1', title: 'Home', in_draft: true, versions: [] }], tab_bar: false },
      };
    });
    const id = ref<string | null>(null);
    const Host = defineComponent({ setup: () => () => h(AssetDetailDialog, { modelValue: id.value, 'onUpdate:modelValue': (v: string | null) => (id.value = v) }) });
    mount(Host, { global: { plugins: [router(), i18n] }, attachTo: document.body });
    id.value = 'A1';
    await settle();
    expect(byTestId('asset-detail-size')?.textContent).toBe('3 MB');
    expect(byTestId('asset-detail-dimensions')?.textContent).toBe('750×300');
    expect(byTestId('asset-detail')?.textContent).toContain('image/png');
    expect(byTestId('asset-detail-uses')?.textContent).toContain('Home');
  });
});

describe('the page preview drawer', () => {
  it('renders the saved draft and makes a phone preview link with its expiry', async () => {
    get.mockImplementation(async (path: string) => {
      expect(path).toBe('/api/v1/pages/{page_id}/preview');
      return { slug: 'home', title: 'Home', components: [] };
    });
    post.mockResolvedValue({ token: 'tok', path: 'pages/page/page?slug=home&preview=tok', expires_at: '2026-12-07T12:30:00Z' });
    const open = ref(false);
    const Host = defineComponent({
      setup: () => () => h(PreviewDrawer, { modelValue: open.value, 'onUpdate:modelValue': (v: boolean) => (open.value = v), page: HOME as never }),
    });
    mount(Host, { global: { plugins: [i18n] }, attachTo: document.body });
    open.value = true;
    await settle();
    expect(get).toHaveBeenCalledWith('/api/v1/pages/{page_id}/preview', { params: { path: { page_id: 'P1' } }, parseAs: 'json' });
    expect(byTestId('page-preview-saved')).not.toBeNull();
    byTestId('preview-link-create')!.click();
    await settle();
    expect(post).toHaveBeenCalledWith('/api/v1/pages/{page_id}/preview-link', { params: { path: { page_id: 'P1' } } });
    // Element Plus puts the test id on the <input> itself.
    const field = byTestId('preview-link-path');
    const input = field instanceof HTMLInputElement ? field : field?.querySelector('input');
    expect(input?.value).toBe('pages/page/page?slug=home&preview=tok');
    expect(byTestId('preview-link-expires')?.textContent).toContain('2026-12-07 20:30');
  });
});
