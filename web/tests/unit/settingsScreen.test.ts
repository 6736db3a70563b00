// The tab bar and theme editors against a stubbed server: a 422 marks the field it names
// with the server's message (`tab_bar/items`, `tab_bar/items/1/page_id`, `theme/...`), a
// save sends exactly what was edited, and the phone preview applies the edited tab bar
// and theme live (labels, label colours, page background, navigation bar) before saving.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { defineComponent, h, nextTick, ref } from 'vue';
import { i18n } from '@/i18n';
import '@/i18n/builderMessages';
import type { Schemas } from '@/api';
import TabBarEditor from '@/views/settings/TabBarEditor.vue';
import ThemeEditor from '@/views/settings/ThemeEditor.vue';
import SettingsPreview from '@/views/settings/SettingsPreview.vue';
import { DEFAULT_THEME, moveTab, newTab, tabItemsOf, themeOf, type TabItem, type Theme } from '@/views/settings/settingsModel';

const HOME = '01a2506b-3de7-762a-be9c-5f2ddc3ebb01';
const MENU = '01a2506b-3de7-762a-be9c-5f2ddc3ebb02';
function page(id: string, slug: string, title: string): Schemas['PageView'] {
  return { id, slug, title, navigation_bar: {}, revision: 1, is_published: true, published_version: 1, taken_down: false, updated_at: '2026-12-07T00:00:00Z' } as Schemas['PageView'];
}
const PAGES = [page(HOME, 'home', '首页'), page(MENU, 'menu', '菜单')];
function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

let requests: { method: string; path: string; body: unknown }[] = [];
let answer: (path: string, req: Request) => Response;
beforeEach(() => {
  requests = [];
  i18n.global.locale.value = 'en';
  vi.stubGlobal('fetch', vi.fn(async (req: Request) => {
    const path = new URL(req.url).pathname + new URL(req.url).search;
    const text = await req.clone().text();
    requests.push({ method: req.method, path, body: text ? JSON.parse(text) : null });
    return answer(path, req);
  }));
});
afterEach(() => {
  vi.unstubAllGlobals();
  document.body.innerHTML = '';
});

/** Mounts an editor with its v-model held by a parent, as the screen does. */
function mountEditor<T>(component: unknown, initial: T, extra: Record<string, unknown>) {
  const model = ref(initial);
  const Host = defineComponent({
    setup: () => () => h(component as never, { modelValue: model.value, 'onUpdate:modelValue': (v: T) => (model.value = v), ...extra }),
  });
  // Real transitions: Element Plus shows a field's message inside one.
  const wrapper = mount(Host, { global: { plugins: [i18n], stubs: { transition: false, 'transition-group': false } }, attachTo: document.body });
  return { wrapper, model };
}
/** Lets the answer land and Element Plus draw the field messages (it debounces them by 100 ms). */
async function settle(): Promise<void> {
  await flushPromises();
  await new Promise((resolve) => setTimeout(resolve, 150));
  await nextTick();
}
function fieldError(path: string): string | null {
  // The field's own message (not one of a field inside it), as FieldItem passes it on.
  const el = document.querySelector(`[data-field="${path}"]`);
  if (!el) throw new Error(`no field ${path}`);
  const own = [...el.querySelectorAll('.el-form-item__error')].find((e) => e.closest('[data-field]') === el);
  return own?.textContent?.trim() ?? null;
}

describe('the settings model', () => {
  it('reads saved settings, fills the built-in icons, reorders tabs', () => {
    const items = tabItemsOf({ tab_bar: { items: [{ page_id: HOME, label: '首页' }] } as never });
    expect(items).toEqual([{ page_id: HOME, label: '首页', icon_asset_id: 'sys-placeholder-icon', selected_icon_asset_id: 'sys-placeholder-icon-active' }]);
    expect(themeOf({ theme: {} as never })).toEqual(DEFAULT_THEME);
    const a = newTab(PAGES[0]!);
    const b = newTab({ id: MENU, title: '一个很长很长的菜单标题' });
    expect(b.label).toHaveLength(8);
    expect(moveTab([a, b], 1, -1).map((i) => i.page_id)).toEqual([MENU, HOME]);
    expect(moveTab([a, b], 0, -1).map((i) => i.page_id)).toEqual([HOME, MENU]);
  });
});

describe('the tab bar editor', () => {
  it('marks the list with the server message when only one tab is set, then the named tab field', async () => {
    const { wrapper, model } = mountEditor<TabItem[]>(TabBarEditor, [newTab(PAGES[0]!)], { pages: PAGES, canEdit: true });
    answer = () =>
      json(422, { code: 'validation_failed', message: 'Field tab_bar/items is invalid: must have 0 or 2–5 entries', details: { field: 'tab_bar/items' } });
    await wrapper.get('[data-testid="tab-bar-save"]').trigger('submit');
    await settle();
    expect(requests[0]).toMatchObject({ method: 'PUT', path: '/api/v1/settings/tab-bar', body: { items: [{ page_id: HOME, label: '首页' }] } });
    expect(fieldError('tab_bar.items')).toBe('Must have 0 or 2–5 entries');

    // A second tab: it takes the next published page, with the built-in icons.
    await wrapper.get('[data-testid="tab-add"]').trigger('click');
    expect(model.value.map((i) => [i.page_id, i.label, i.icon_asset_id])).toEqual([
      [HOME, '首页', 'sys-placeholder-icon'],
      [MENU, '菜单', 'sys-placeholder-icon'],
    ]);
    answer = () =>
      json(422, { code: 'validation_failed', message: 'Field tab_bar/items/1/page_id is invalid: must point at a published page', details: { field: 'tab_bar/items/1/page_id' } });
    await wrapper.get('form').trigger('submit');
    await settle();
    expect(fieldError('tab_bar.items')).toBeNull();
    expect(fieldError('tab_bar.items.1.page_id')).toBe('Must point at a published page');
    expect(fieldError('tab_bar.items.0.page_id')).toBeNull();

    // Saved: the screen gets the server's settings.
    answer = () => json(200, { tab_bar: { items: model.value }, theme: DEFAULT_THEME, revision: 2 });
    await wrapper.get('form').trigger('submit');
    await settle();
    expect(fieldError('tab_bar.items.1.page_id')).toBeNull();
    expect(wrapper.findComponent(TabBarEditor).emitted('saved')?.[0]?.[0]).toMatchObject({ revision: 2 });
    wrapper.unmount();
  });

  it('moves and removes tabs', async () => {
    const { wrapper, model } = mountEditor<TabItem[]>(TabBarEditor, [newTab(PAGES[0]!), newTab(PAGES[1]!)], { pages: PAGES, canEdit: true });
    await wrapper.get('[data-testid="tab-down-0"]').trigger('click');
    expect(model.value.map((i) => i.label)).toEqual(['菜单', '首页']);
    await wrapper.get('[data-testid="tab-remove-0"]').trigger('click');
    expect(model.value.map((i) => i.label)).toEqual(['首页']);
    wrapper.unmount();
  });
});

describe('the theme editor', () => {
  it('marks the colour the server names and sends the theme as edited', async () => {
    const theme: Theme = structuredClone(DEFAULT_THEME);
    theme.primary_color = '#12345';
    const { wrapper } = mountEditor<Theme>(ThemeEditor, theme, { canEdit: true });
    answer = () =>
      json(422, { code: 'validation_failed', message: 'Field theme/primary_color is invalid: does not match the pattern', details: { field: 'theme/primary_color' } });
    await wrapper.get('[data-testid="theme-save"]').trigger('submit');
    await settle();
    expect(requests[0]).toMatchObject({ method: 'PUT', path: '/api/v1/settings/theme', body: { primary_color: '#12345', navigation_bar: { text_style: 'black' } } });
    expect(fieldError('theme.primary_color')).toBe('Does not match the pattern');
    expect(fieldError('theme.text_color')).toBeNull();
    wrapper.unmount();
  });

  it('is read-only for an editor', () => {
    const { wrapper } = mountEditor<Theme>(ThemeEditor, structuredClone(DEFAULT_THEME), { canEdit: false });
    expect((wrapper.get('[data-testid="theme-save"]').element as HTMLButtonElement).disabled).toBe(true);
    wrapper.unmount();
  });
});

describe('the phone preview', () => {
  const rendered = (title: string) => ({ slug: 'home', title, navigation_bar: {}, components: [{ id: 't', type: 'text', text: `${title} text` }] });

  it('draws the edited tab bar and theme around a published page, live', async () => {
    // The published version's layout, rendered by the server (relative image URLs).
    answer = (path) => {
      if (path === `/api/v1/pages/${HOME}/versions/1`) return json(200, { version: 1, title: '首页', navigation_bar: {}, layout: { components: [] }, published_at: '2026-12-07T00:00:00Z' });
      if (path === `/api/v1/pages/${MENU}/versions/1`) return json(200, { version: 1, title: '菜单', navigation_bar: {}, layout: { components: [] }, published_at: '2026-12-07T00:00:00Z' });
      const title = (requests.at(-1)!.body as { title: string }).title;
      return path === '/api/v1/pages/render' ? json(200, rendered(title)) : json(404, { code: 'not_found', message: 'no' });
    };
    const theme: Theme = { ...structuredClone(DEFAULT_THEME), primary_color: '#FF0000', text_color: '#0000FF', background_color: '#00FF00' };
    const items = [newTab(PAGES[0]!), { ...newTab(PAGES[1]!), label: '点单' }];
    const wrapper = mount(SettingsPreview, {
      props: { items, theme, pages: PAGES, assetUrl: (id: string) => `/client/v1/t/assets/${id}` },
      global: { plugins: [i18n] },
      attachTo: document.body,
    });
    await flushPromises();
    // The published version of the first tab's page.
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /api/v1/pages/${HOME}/versions/1`, 'POST /api/v1/pages/render']);
    expect(requests[1]!.body).toMatchObject({ slug: 'home', title: '首页' });
    expect(wrapper.text()).toContain('首页 text');
    const tabs = wrapper.findAll('[data-testid="phone-tab"]');
    expect(tabs.map((t) => t.text())).toEqual(['首页', '点单']);
    expect(tabs[0]!.attributes('data-selected')).toBe('true');
    expect((tabs[0]!.get('.tabbar__label').element as HTMLElement).style.color).toBe('rgb(255, 0, 0)');
    expect((tabs[1]!.get('.tabbar__label').element as HTMLElement).style.color).toBe('rgb(0, 0, 255)');
    expect(tabs[0]!.get('img').attributes('src')).toBe('/client/v1/t/assets/sys-placeholder-icon-active');
    expect(tabs[1]!.get('img').attributes('src')).toBe('/client/v1/t/assets/sys-placeholder-icon');
    expect((wrapper.get('[data-testid="phone-page"]').element as HTMLElement).style.backgroundColor).toBe('rgb(0, 255, 0)');

    // Edits (not saved) show at once: a new primary colour, a white-on-dark navigation bar.
    await wrapper.setProps({ theme: { ...theme, primary_color: '#123456', navigation_bar: { background_color: '#222222', text_style: 'white' } } });
    expect((wrapper.findAll('[data-testid="phone-tab"]')[0]!.get('.tabbar__label').element as HTMLElement).style.color).toBe('rgb(18, 52, 86)');
    const bar = wrapper.get('.phone__bar').element as HTMLElement;
    expect(bar.style.backgroundColor).toBe('rgb(34, 34, 34)');
    expect(bar.style.color).toBe('rgb(255, 255, 255)');

    // Tapping a tab shows its page.
    await wrapper.findAll('[data-testid="phone-tab"]')[1]!.trigger('click');
    await flushPromises();
    expect(requests.at(-2)!.path).toBe(`/api/v1/pages/${MENU}/versions/1`);
    expect(wrapper.text()).toContain('菜单 text');
    expect(wrapper.findAll('[data-testid="phone-tab"]')[1]!.attributes('data-selected')).toBe('true');

    // One tab only: phones show no tab bar, and the note says so.
    await wrapper.setProps({ items: [items[0]!] });
    expect(wrapper.find('[data-testid="phone-tabbar"]').exists()).toBe(false);
    expect(wrapper.text()).toContain('With only 1 tab, phones show no tab bar');
    wrapper.unmount();
  });
});
