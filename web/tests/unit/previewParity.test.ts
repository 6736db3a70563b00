// Preview parity (CONSOLE.md): every golden rendered page is drawn by the preview renderer
// in jsdom, and the outline read back FROM THE RENDERED DOM equals the expected outline the
// mini-program's suite also meets (fixtures/outline/). A preview that drifts from the phone
// fails here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { i18n } from '@/i18n';
import PagePreview from '@/preview/PagePreview.vue';
import { pageOutline } from '@/preview/outline';
import { PREVIEW_COMPONENTS } from '@/preview/registry';
import type { RenderedPage } from '@/preview/types';

// Vitest runs from web/ (jsdom's import.meta.url is not a file URL).
const FIXTURES = resolve(process.cwd(), '..', 'fixtures');
const TEMPLATES = resolve(process.cwd(), '..', 'page-templates', 'components');
const pages = readdirSync(join(FIXTURES, 'rendered')).filter((n) => /^page-.*\.json$/.test(n));

function read(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('preview parity with the phone', () => {
  it('has fixtures to compare', () => {
    expect(pages.length).toBeGreaterThanOrEqual(5);
  });

  it.each(pages)('%s: the outline of the rendered preview equals fixtures/outline', (name) => {
    const page = read(join(FIXTURES, 'rendered', name)) as RenderedPage;
    const expected = read(join(FIXTURES, 'outline', name));
    const wrapper = mount(PagePreview, { props: { page }, global: { plugins: [i18n] } });
    expect(pageOutline(wrapper.element)).toEqual(expected);
    wrapper.unmount();
  });

  it('has a preview component for every catalogue type', () => {
    const types = readdirSync(TEMPLATES);
    expect(types.filter((t) => !(t in PREVIEW_COMPONENTS))).toEqual([]);
  });

  it('draws a visible placeholder for a type it has no component for, and no outline block', () => {
    i18n.global.locale.value = 'en';
    const page: RenderedPage = {
      title: 'T',
      components: [
        { id: 'a', type: 'text', text: 'before', size: 'medium', align: 'left', color: null, bold: false },
        { id: 'b', type: 'coupon_wall', text: 'secret' },
      ],
    };
    const wrapper = mount(PagePreview, { props: { page }, global: { plugins: [i18n] } });
    const placeholder = wrapper.get('[data-testid="preview-placeholder"]');
    expect(placeholder.text()).toContain('coupon_wall');
    const outline = pageOutline(wrapper.element);
    expect(outline.blocks.map((b) => b.type)).toEqual(['text']);
    wrapper.unmount();
  });
});
