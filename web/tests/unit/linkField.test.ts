// The link picker: phone, map-point and mini-program links are built from typed inputs and
// parsed back into them (round trip), bad inputs are refused with the server's rules
// (src/domain/schema.rs `is_link`), each kind emits its link string, and the server's 422
// message for the property still shows at the field.
import { describe, expect, it } from 'vitest';
import { defineComponent, h, nextTick, ref } from 'vue';
import { mount } from '@vue/test-utils';
import { ElForm } from 'element-plus';
import { i18n } from '@/i18n';
import { ApiProblem } from '@/api/problem';
import { createServerErrors, provideServerErrors } from '@/composables/serverErrors';
import LinkField from '@/forms/LinkField.vue';
import SchemaForm from '@/forms/SchemaForm.vue';
import type { PropEdit } from '@/forms/context';
import type { SchemaNode } from '@/forms/schema';
import {
  buildMapPoint,
  buildMiniProgram,
  buildPhone,
  linkKindOf,
  linkProblems,
  mapPointProblems,
  miniProgramProblems,
  parseMapPoint,
  parseMiniProgram,
  parsePhone,
  phoneProblems,
} from '@/forms/links/model';

const APPID = 'wx0123456789abcdef';

describe('phone links', () => {
  it('build and parse back', () => {
    expect(buildPhone({ number: ' +86 138-0000-0000 ' })).toBe('tel:+86 138-0000-0000');
    expect(parsePhone('tel:+86 138-0000-0000')).toEqual({ number: '+86 138-0000-0000' });
    expect(buildPhone(parsePhone('tel:400-123-4567')!)).toBe('tel:400-123-4567');
    expect(parsePhone('pages/home')).toBeNull();
    expect(linkKindOf('tel:110')).toBe('tel');
  });

  it('refuses what the server refuses', () => {
    expect(linkProblems('tel:12')).toEqual(['phone']);
    expect(linkProblems('tel:123')).toEqual([]);
    expect(linkProblems('tel:+-- 1 2')).toEqual(['phone']); // two digits
    expect(linkProblems('tel:138(0000)0000')).toEqual(['phone']);
    expect(linkProblems(`tel:${'1'.repeat(21)}`)).toEqual(['phone']);
    expect(linkProblems(`tel:${'1'.repeat(20)}`)).toEqual([]);
    expect(phoneProblems({ number: 'abc' })).toEqual(['phone']);
    expect(phoneProblems({ number: ' 110 ' })).toEqual([]);
  });
});

describe('map-point links', () => {
  it('build and parse back, with a percent-encoded Chinese name and address', () => {
    const draft = { lat: '31.2304', lng: '121.4737', name: '好味小馆', address: '上海市黄浦区南京东路 100 号' };
    const link = buildMapPoint(draft);
    expect(link).toBe(
      'geo:31.2304,121.4737?name=%E5%A5%BD%E5%91%B3%E5%B0%8F%E9%A6%86&address=%E4%B8%8A%E6%B5%B7%E5%B8%82%E9%BB%84%E6%B5%A6%E5%8C%BA%E5%8D%97%E4%BA%AC%E4%B8%9C%E8%B7%AF+100+%E5%8F%B7',
    );
    expect(parseMapPoint(link)).toEqual(draft);
    expect(linkProblems(link)).toEqual([]);
    // Also a link percent-encoded by someone else (%20 for a space, & inside a value).
    expect(parseMapPoint('geo:-33.8568,151.2153?address=A%20%26%20B&name=%E6%82%89%E5%B0%BC')).toEqual({ lat: '-33.8568', lng: '151.2153', name: '悉尼', address: 'A & B' });
  });

  it('leaves out an empty name and address', () => {
    expect(buildMapPoint({ lat: '39.9', lng: '116.4', name: ' ', address: '' })).toBe('geo:39.9,116.4');
    expect(buildMapPoint({ lat: '39.9', lng: '116.4', name: '', address: '天安门' })).toBe('geo:39.9,116.4?address=%E5%A4%A9%E5%AE%89%E9%97%A8');
    expect(parseMapPoint('geo:39.9,116.4')).toEqual({ lat: '39.9', lng: '116.4', name: '', address: '' });
  });

  it('refuses what the server refuses', () => {
    expect(linkProblems('geo:91,0')).toEqual(['latitude']);
    expect(linkProblems('geo:-90,180')).toEqual([]);
    expect(linkProblems('geo:0,-180.5')).toEqual(['longitude']);
    expect(linkProblems('geo:31.2')).toEqual(['longitude']);
    expect(linkProblems('geo:abc,0x10')).toEqual(['latitude', 'longitude']);
    expect(mapPointProblems({ lat: '', lng: '1', name: '', address: '' })).toEqual(['latitude']);
    const long = '店'.repeat(101);
    expect(mapPointProblems({ lat: '1', lng: '1', name: long, address: '' })).toEqual(['placeName']);
    expect(mapPointProblems({ lat: '1', lng: '1', name: '店'.repeat(100), address: long })).toEqual(['placeAddress']);
    // Counted as characters, as the server counts them (an emoji is one, not two).
    expect(mapPointProblems({ lat: '1', lng: '1', name: '😀'.repeat(100), address: '' })).toEqual([]);
    expect(linkProblems('geo:1,1?name=a%0Ab')).toEqual(['placeName']);
  });
});

describe('mini-program links', () => {
  it('build and parse back, with and without a path', () => {
    expect(buildMiniProgram({ appid: APPID, path: '' })).toBe(`miniprogram:${APPID}`);
    expect(buildMiniProgram({ appid: ` ${APPID} `, path: 'pages/index/index?id=7' })).toBe(`miniprogram:${APPID}/pages/index/index?id=7`);
    expect(parseMiniProgram(`miniprogram:${APPID}/pages/index/index?id=7`)).toEqual({ appid: APPID, path: 'pages/index/index?id=7' });
    expect(parseMiniProgram(`miniprogram:${APPID}`)).toEqual({ appid: APPID, path: '' });
    const link = `miniprogram:${APPID}/pages/商品/详情`;
    expect(buildMiniProgram(parseMiniProgram(link)!)).toBe(link);
  });

  it('refuses what the server refuses', () => {
    expect(linkProblems('miniprogram:wx123')).toEqual(['appid']);
    expect(linkProblems(`miniprogram:${APPID}`)).toEqual([]);
    expect(linkProblems('miniprogram:wxABCDEF0123456789')).toEqual([]);
    expect(linkProblems('miniprogram:wx0123456789abcdeg')).toEqual(['appid']);
    expect(linkProblems(`miniprogram:${APPID}/a b`)).toEqual(['miniProgramPath']);
    expect(linkProblems(`miniprogram:${APPID}/${'p'.repeat(200)}`)).toEqual([]);
    expect(linkProblems(`miniprogram:${APPID}/${'p'.repeat(201)}`)).toEqual(['miniProgramPath']);
    expect(miniProgramProblems({ appid: 'gh0123456789abcdef', path: '' })).toEqual(['appid']);
  });

  it('leaves other kinds to the server', () => {
    expect(linkProblems('pages/home')).toBeNull();
    expect(linkProblems('https://example.cn')).toBeNull();
  });
});

describe('the link picker', () => {
  function mountField(value = '', required = false) {
    const sets: unknown[] = [];
    const wrapper = mount(LinkField, {
      props: { value, required, label: 'On tap', testid: 'prop-link', onSet: (v: unknown) => sets.push(v) },
      global: { plugins: [i18n] },
      attachTo: document.body,
    });
    return { wrapper, sets };
  }
  async function choose(wrapper: ReturnType<typeof mountField>['wrapper'], label: string): Promise<void> {
    const button = wrapper.findAll('.el-radio-button').find((b) => b.text() === label);
    expect(button, label).toBeDefined();
    await button!.get('input').setValue(true);
  }

  it('offers every kind, labelled in both languages', () => {
    i18n.global.locale.value = 'zh-CN';
    const { wrapper } = mountField();
    expect(wrapper.findAll('.el-radio-button').map((b) => b.text())).toEqual(['不跳转', '小程序页面', '网址', '电话', '地图位置', '其他小程序']);
    wrapper.unmount();
    i18n.global.locale.value = 'en';
    const en = mountField('', true);
    expect(en.wrapper.findAll('.el-radio-button').map((b) => b.text())).toEqual(['A page', 'Web address', 'Phone call', 'Map point', 'Another mini-program']);
    en.wrapper.unmount();
  });

  it('emits a phone link, with a field message while it is bad', async () => {
    i18n.global.locale.value = 'en';
    const { wrapper, sets } = mountField('pages/home');
    await choose(wrapper, 'Phone call');
    expect(sets).toEqual([]); // nothing typed yet: the old link stays
    await wrapper.get('[data-testid="prop-link-tel"]').setValue('12');
    expect(sets.at(-1)).toBe('tel:12');
    expect(wrapper.get('[data-testid="prop-link-problems"]').text()).toContain('at least 3 digits');
    await wrapper.get('[data-testid="prop-link-tel"]').setValue('400-123-4567');
    expect(sets.at(-1)).toBe('tel:400-123-4567');
    expect(wrapper.find('[data-testid="prop-link-problems"]').exists()).toBe(false);
    await wrapper.get('[data-testid="prop-link-tel"]').setValue('');
    expect(sets.at(-1)).toBeUndefined();
    wrapper.unmount();
  });

  it('emits a map-point link from the coordinates, name and address', async () => {
    i18n.global.locale.value = 'zh-CN';
    const { wrapper, sets } = mountField();
    await choose(wrapper, '地图位置');
    const lat = wrapper.get('[data-testid="prop-link-lat"]');
    expect(lat.attributes('min')).toBe('-90');
    expect(lat.attributes('max')).toBe('90');
    await lat.setValue('91');
    await wrapper.get('[data-testid="prop-link-lng"]').setValue('121.4737');
    expect(sets.at(-1)).toBe('geo:91,121.4737');
    expect(wrapper.get('[data-testid="prop-link-problems"]').text()).toBe('纬度须在 -90 到 90 之间');
    await wrapper.setProps({ value: 'geo:91,121.4737' });
    await lat.setValue('31.2304');
    await wrapper.get('[data-testid="prop-link-place-name"]').setValue('好味小馆');
    await wrapper.get('[data-testid="prop-link-place-address"]').setValue('南京东路 100 号');
    expect(sets.at(-1)).toBe('geo:31.2304,121.4737?name=%E5%A5%BD%E5%91%B3%E5%B0%8F%E9%A6%86&address=%E5%8D%97%E4%BA%AC%E4%B8%9C%E8%B7%AF+100+%E5%8F%B7');
    expect(wrapper.find('[data-testid="prop-link-problems"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('emits a mini-program link and refuses a short appid', async () => {
    i18n.global.locale.value = 'en';
    const { wrapper, sets } = mountField();
    await choose(wrapper, 'Another mini-program');
    await wrapper.get('[data-testid="prop-link-appid"]').setValue('wx123');
    expect(sets.at(-1)).toBe('miniprogram:wx123');
    expect(wrapper.get('[data-testid="prop-link-problems"]').text()).toContain('16 hexadecimal digits');
    await wrapper.get('[data-testid="prop-link-appid"]').setValue(APPID);
    await wrapper.get('[data-testid="prop-link-mp-path"]').setValue('pages/index/index');
    expect(sets.at(-1)).toBe(`miniprogram:${APPID}/pages/index/index`);
    expect(wrapper.find('[data-testid="prop-link-problems"]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('emits none, a page and a web address as before', async () => {
    i18n.global.locale.value = 'en';
    const { wrapper, sets } = mountField('tel:110');
    await choose(wrapper, 'None');
    expect(sets).toEqual([undefined]);
    await choose(wrapper, 'Web address');
    await wrapper.get('[data-testid="prop-link-url"]').setValue('https://shop.example.cn');
    expect(sets.at(-1)).toBe('https://shop.example.cn');
    // Back to the phone kind: its number is still there and is emitted again.
    await choose(wrapper, 'Phone call');
    expect(sets.at(-1)).toBe('tel:110');
    wrapper.unmount();
  });

  it('shows an existing link in its inputs, and follows a new value (undo)', async () => {
    i18n.global.locale.value = 'en';
    const link = 'geo:22.5431,114.0579?name=%E6%B7%B1%E5%9C%B3&address=%E7%A6%8F%E7%94%B0%E5%8C%BA';
    const { wrapper } = mountField(link);
    const value = (id: string) => (wrapper.get(`[data-testid="prop-link-${id}"]`).element as HTMLInputElement).value;
    expect([value('lat'), value('lng'), value('place-name'), value('place-address')]).toEqual(['22.5431', '114.0579', '深圳', '福田区']);
    await wrapper.setProps({ value: `miniprogram:${APPID}/pages/a` });
    expect([value('appid'), value('mp-path')]).toEqual([APPID, 'pages/a']);
    await wrapper.setProps({ value: 'tel:+86 755 1234' });
    expect(value('tel')).toBe('+86 755 1234');
    wrapper.unmount();
  });

  it("keeps a typed space while the number is being typed (the field's own value comes back)", async () => {
    const host = defineComponent({
      setup() {
        const value = ref('');
        return () => h(LinkField, { value: value.value, required: true, label: 'x', testid: 'prop-link', onSet: (v: unknown) => (value.value = (v as string) ?? '') });
      },
    });
    const wrapper = mount(host, { global: { plugins: [i18n] }, attachTo: document.body });
    i18n.global.locale.value = 'en';
    await nextTick();
    const button = wrapper.findAll('.el-radio-button').find((b) => b.text() === 'Phone call')!;
    await button.get('input').setValue(true);
    const input = wrapper.get('[data-testid="prop-link-tel"]');
    await input.setValue('138 ');
    expect((input.element as HTMLInputElement).value).toBe('138 ');
    await input.setValue('138 0000');
    expect(wrapper.findComponent(LinkField).props('value')).toBe('tel:138 0000');
    wrapper.unmount();
  });
});

describe('a link property in a generated form', () => {
  const schema: SchemaNode = {
    type: 'object',
    required: ['link'],
    properties: { link: { type: 'string', format: 'link', 'x-label': { 'zh-CN': '跳转链接', en: 'Link' } } },
  } as SchemaNode;

  it("reports the edit at the property's path and shows the server's 422 message beside its own", async () => {
    i18n.global.locale.value = 'en';
    const errors = createServerErrors();
    const edits: PropEdit[] = [];
    const host = defineComponent({
      setup() {
        provideServerErrors(errors);
        return () => h(ElForm, null, () => h(SchemaForm, { schema, value: { link: 'tel:12' }, path: [], onEdit: (e: PropEdit) => edits.push(e) }));
      },
    });
    // Real transitions: Element Plus shows a field's message inside one.
    const wrapper = mount(host, { global: { plugins: [i18n], stubs: { transition: false, 'transition-group': false } }, attachTo: document.body });
    expect((wrapper.get('[data-testid="prop-link-tel"]').element as HTMLInputElement).value).toBe('12');
    await wrapper.get('[data-testid="prop-link-tel"]').setValue('1');
    expect(edits.at(-1)).toEqual({ path: ['link'], value: 'tel:1' });
    expect(wrapper.get('[data-testid="prop-link-problems"]').text()).toContain('at least 3 digits');
    errors.apply(new ApiProblem({ status: 422, code: 'validation_failed', message: 'is not a valid link', details: { field: '/link', reason: 'x' } }), 'fallback');
    // Element Plus draws a field's message after a 100 ms debounce.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await nextTick();
    const item = wrapper.get('[data-field="link"]');
    expect(item.classes()).toContain('is-error');
    expect(item.get('.el-form-item__error').text()).toBe('is not a valid link');
    // The picker's own message stays too.
    expect(wrapper.get('[data-testid="prop-link-problems"]').text()).toContain('at least 3 digits');
    wrapper.unmount();
  });
});
