// Property panels are generated from each component's JSON Schema: every catalogue schema
// labels every property and enum value in both languages (page-templates/README.md), and
// a schema the console has never seen gets a working form whose edits report their paths.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mount } from '@vue/test-utils';
import { i18n } from '@/i18n';
import SchemaForm from '@/forms/SchemaForm.vue';
import { initialObject, propertyOrder, widgetFor, type SchemaNode } from '@/forms/schema';
import { domToNodes, nodesToDom } from '@/forms/richText';
import type { PropEdit } from '@/forms/context';

const TEMPLATES = resolve(process.cwd(), '..', 'page-templates', 'components');
const COUPON = resolve(process.cwd(), 'tests', 'e2e', 'fixtures', 'coupon', 'schema.json');

function missingLabels(node: SchemaNode, at: string, out: string[]): string[] {
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    const path = `${at}.${name}`;
    const label = child['x-label'];
    if (!label?.['zh-CN'] || !label.en) out.push(`${path}: x-label`);
    for (const value of child.enum ?? []) {
      const l = child['x-enum-labels']?.[String(value)];
      if (!l?.['zh-CN'] || !l.en) out.push(`${path}: enum ${String(value)}`);
    }
    if (child.items) missingLabels(child.items, `${path}[]`, out);
    missingLabels(child, path, out);
  }
  return out;
}

describe('component schemas', () => {
  const types = readdirSync(TEMPLATES);
  it.each(types)('%s labels every property and enum value in zh-CN and English', (type) => {
    const schema = JSON.parse(readFileSync(join(TEMPLATES, type, 'schema.json'), 'utf8')) as SchemaNode;
    expect(missingLabels(schema, type, [])).toEqual([]);
    expect(Object.values(schema.properties ?? {}).map(widgetFor)).not.toContain('unsupported');
  });
});

describe('the generated form', () => {
  const coupon = JSON.parse(readFileSync(COUPON, 'utf8')) as SchemaNode;

  it('shows a field per property with its label, required ones first', () => {
    i18n.global.locale.value = 'en';
    const value = initialObject(coupon, { text: 'Coupon', link: 'pages/home' });
    expect(Object.keys(value).sort()).toEqual(['accent', 'headline', 'image_id', 'kind', 'quantity', 'rate', 'shops', 'stackable', 'terms'].sort());
    expect(value.shops).toEqual([{ name: 'Coupon', open: true }]);
    const wrapper = mount(SchemaForm, { props: { schema: coupon, value, path: [] }, global: { plugins: [i18n] } });
    const labels = wrapper.findAll('.el-form-item__label').map((l) => l.text());
    for (const label of ['Headline', 'Terms', 'Accent colour', 'Kind', 'Quantity', 'Rate', 'Stackable', 'Picture', 'On tap', 'Rules address', 'Shops', 'Shop name', 'Badge', 'Badge text', 'Fine print']) {
      expect(labels).toContain(label);
    }
    expect(propertyOrder(coupon).slice(0, 3).map(([n]) => n)).toEqual(['headline', 'image_id', 'shops']);
    expect(wrapper.text()).toContain('The largest words on the coupon');
    expect(wrapper.text()).toContain('From 1 to 999');
    wrapper.unmount();
  });

  it('reports each edit with the path inside the props', async () => {
    i18n.global.locale.value = 'zh-CN';
    const value = initialObject(coupon, { text: '券', link: '' });
    const edits: PropEdit[] = [];
    const wrapper = mount(SchemaForm, {
      props: { schema: coupon, value, path: [], onEdit: (e: PropEdit) => edits.push(e) },
      global: { plugins: [i18n] },
      attachTo: document.body,
    });
    await wrapper.get('[data-testid="prop-headline"]').setValue('满100减20');
    await wrapper.get('[data-testid="prop-quantity"]').setValue('5');
    await wrapper.get('[data-testid="prop-shops.0.name"]').setValue('一号店');
    await wrapper.get('[data-testid="prop-shops-add"]').trigger('click');
    expect(edits).toEqual([
      { path: ['headline'], value: '满100减20' },
      { path: ['quantity'], value: 5 },
      { path: ['shops', 0, 'name'], value: '一号店' },
      { path: ['shops'], value: [{ name: '券', open: true }, { name: '适用门店', open: true }] },
    ]);
    wrapper.unmount();
  });
});

describe('rich text', () => {
  it('keeps only the allowlist when reading an edited element back', () => {
    const host = document.createElement('div');
    host.innerHTML = '<p style="color:red" onclick="x()">Hi <b>there</b><script>bad()</script><font>kept text</font></p><a href="pages/menu" target="_blank">Menu</a>';
    expect(domToNodes(host)).toEqual([
      { name: 'p', children: [{ type: 'text', text: 'Hi ' }, { name: 'b', children: [{ type: 'text', text: 'there' }] }, { type: 'text', text: 'bad()' }, { type: 'text', text: 'kept text' }] },
      { name: 'a', attrs: { href: 'pages/menu' }, children: [{ type: 'text', text: 'Menu' }] },
    ]);
    const back = document.createElement('div');
    back.append(...nodesToDom([{ name: 'h2', children: [{ type: 'text', text: '<b>' }] }, { name: 'iframe' }], document));
    expect(back.innerHTML).toBe('<h2>&lt;b&gt;</h2>');
  });
});
