// Publishing from the builder names every problem the server's check found, with the
// component it is in, and lists warnings without blocking.
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { i18n } from '@/i18n';
import PublishDialog from '@/views/builder/PublishDialog.vue';
import type { PublishCheck } from '@/api/builder';

const names: Record<string, string> = { grid: 'Image grid (grid)', btn: 'Button (btn)', coupon: 'Coupon (coupon)' };

function mountWith(check: PublishCheck) {
  return mount(PublishDialog, {
    props: { modelValue: true, check, checking: false, publishing: false, error: null, componentName: (id?: string | null) => (id ? names[id] ?? id : 'The page') },
    global: { plugins: [i18n] },
    attachTo: document.body,
  });
}

describe('the publish dialog', () => {
  it('names every dead link and missing asset and keeps publishing disabled', async () => {
    i18n.global.locale.value = 'en';
    const wrapper = mountWith({
      ok: false,
      errors: [
        { kind: 'dead_link', pointer: '/components/0/props/tiles/0/link', component_id: 'grid', target: 'catalogue', reason: { 'zh-CN': '链接失效', en: 'links to a page that is not published' } },
        { kind: 'dead_link', pointer: '/components/1/props/link', component_id: 'btn', target: 'contact', reason: { 'zh-CN': '链接失效', en: 'links to a page that is not published' } },
        { kind: 'missing_asset', pointer: '/components/0/props/tiles/1/asset_id', component_id: 'grid', reason: { 'zh-CN': '图片不存在', en: 'the image was deleted' } },
      ],
      warnings: [],
    });
    await wrapper.vm.$nextTick();
    const list = document.querySelector('[data-testid="publish-errors"]')!;
    expect(list.querySelectorAll('li')).toHaveLength(3);
    expect(list.textContent).toContain('Dead link · Image grid (grid) · catalogue');
    expect(list.textContent).toContain('Dead link · Button (btn) · contact');
    expect(list.textContent).toContain('Missing image or video · Image grid (grid)');
    expect((document.querySelector('[data-testid="publish-confirm"]') as HTMLButtonElement).disabled).toBe(true);
    wrapper.unmount();
  });

  it('shows warnings and lets the merchant publish anyway', async () => {
    i18n.global.locale.value = 'zh-CN';
    const wrapper = mountWith({
      ok: true,
      errors: [],
      warnings: [{ kind: 'unsupported_component', type: 'coupon', component_id: 'coupon', reason: { 'zh-CN': '线上小程序版本还不能显示组件 coupon', en: 'not drawn' } }],
    });
    await wrapper.vm.$nextTick();
    expect(document.querySelector('[data-testid="publish-warnings"]')!.textContent).toContain('线上小程序版本还不能显示组件 coupon');
    const confirm = document.querySelector('[data-testid="publish-confirm"]') as HTMLButtonElement;
    expect(confirm.disabled).toBe(false);
    expect(confirm.textContent).toContain('仍然发布');
    confirm.click();
    expect(wrapper.emitted('publish')).toHaveLength(1);
    wrapper.unmount();
  });
});
