// The plan form's conversions (yuan ⇄ fen, yuan per SMS ⇄ milli-fen, MB/GB ⇄ bytes), what it
// refuses before asking the server, and a server 422 shown at the field it names.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { defineComponent, h, nextTick, ref } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { i18n } from '@/i18n';
import type { Schemas } from '@/api';
import PlanFormDialog from '@/views/agency/plans/PlanFormDialog.vue';
import {
  defaultTermsDraft,
  draftFromTerms,
  formatBytes,
  millifenToYuan,
  orderedApps,
  termsFromDraft,
  yuanToMillifen,
} from '@/views/agency/plans/planTerms';

const TERMS: Schemas['PlanTerms'] = {
  apps: ['pages', 'media'],
  page_quota: 50,
  storage_quota_bytes: 1024 * 1024 * 1024,
  client_rps: 50,
  sms_segments_per_year: 300000,
  yearly_price_fen: 298000,
  sms_overage_millifen: 3800,
  sms_overage_allowed: true,
};

describe('plan terms', () => {
  it('converts SMS prices and sizes', () => {
    expect(millifenToYuan(3800)).toBe('0.038');
    expect(millifenToYuan(100000)).toBe('1.00');
    expect(millifenToYuan(150000)).toBe('1.50');
    expect(yuanToMillifen('0.038')).toBe(3800);
    expect(yuanToMillifen('¥1.5')).toBe(150000);
    expect(yuanToMillifen('0.000001')).toBeNull();
    expect(yuanToMillifen('abc')).toBeNull();
    expect(formatBytes(1024 ** 3)).toBe('1 GB');
    expect(formatBytes(500 * 1024 ** 2)).toBe('500 MB');
    expect(formatBytes(1.5 * 1024 ** 3)).toBe('1.5 GB');
  });

  it('round-trips the API terms through the form', () => {
    const draft = draftFromTerms(TERMS);
    expect(draft.storage_unit).toBe('GB');
    expect(draft.storage_amount).toBe(1);
    expect(draft.sms_overage_yuan).toBe('0.038');
    expect(termsFromDraft(draft)).toEqual({ terms: TERMS, problems: null });
    expect(draftFromTerms({ ...TERMS, storage_quota_bytes: 500 * 1024 ** 2 })).toMatchObject({ storage_amount: 500, storage_unit: 'MB' });
  });

  it('names each field it cannot send', () => {
    const result = termsFromDraft({ ...defaultTermsDraft(), apps: [], page_quota: 0, client_rps: null, sms_overage_yuan: 'x' });
    expect(result.problems).toEqual({
      apps: 'chooseApp',
      page_quota: 'atLeastOne',
      client_rps: 'required',
      yearly_price_fen: 'amount',
      sms_overage_millifen: 'segmentPrice',
    });
    expect(orderedApps(['sms', 'pages', 'x'])).toEqual(['pages', 'sms', 'x']);
  });
});

describe('the plan dialog', () => {
  let requests: { method: string; path: string; body: unknown }[] = [];
  let answer: () => Response;
  beforeEach(() => {
    setActivePinia(createPinia());
    requests = [];
    i18n.global.locale.value = 'en';
    vi.stubGlobal(
      'fetch',
      vi.fn(async (req: Request) => {
        const text = await req.clone().text();
        requests.push({ method: req.method, path: new URL(req.url).pathname, body: text ? JSON.parse(text) : null });
        return answer();
      }),
    );
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    document.body.innerHTML = '';
  });
  async function settle(): Promise<void> {
    await flushPromises();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await nextTick();
  }
  function fieldError(path: string): string | null {
    const el = document.querySelector(`[data-field="${path}"]`);
    if (!el) throw new Error(`no field ${path}`);
    return el.querySelector('.el-form-item__error')?.textContent?.trim() ?? null;
  }
  async function input(testid: string, value: string): Promise<void> {
    const el = document.querySelector<HTMLInputElement>(`[data-testid="${testid}"] input, input[data-testid="${testid}"]`);
    if (!el) throw new Error(`no ${testid}`);
    el.value = value;
    el.dispatchEvent(new Event('input'));
    await nextTick();
  }
  async function openDialog(plan: Schemas['PlanView'] | null) {
    const open = ref(false);
    const Host = defineComponent({
      setup: () => () => h(PlanFormDialog, { modelValue: open.value, 'onUpdate:modelValue': (v: boolean) => (open.value = v), plan }),
    });
    mount(Host, { global: { plugins: [i18n], stubs: { transition: false, 'transition-group': false } }, attachTo: document.body });
    open.value = true;
    await settle();
    return open;
  }

  it('asks for a name and a price before sending', async () => {
    await openDialog(null);
    document.querySelector<HTMLButtonElement>('[data-testid="plan-submit"]')!.click();
    await settle();
    expect(requests).toEqual([]);
    expect(fieldError('name')).toBe('Please fill this in');
    expect(fieldError('terms.yearly_price_fen')).toBe('Enter an amount in yuan with at most two decimals');
    // Editing a field takes its message away; the others stay until edited.
    await input('plan-name', 'Standard');
    await settle();
    expect(fieldError('name')).toBeNull();
    expect(fieldError('terms.yearly_price_fen')).toBe('Enter an amount in yuan with at most two decimals');
  });

  it('creates a plan in fen and bytes, and shows a 422 at the field it names', async () => {
    await openDialog(null);
    await input('plan-name', 'Standard');
    await input('plan-price', '2980');
    answer = () =>
      new Response(
        JSON.stringify({ code: 'validation_failed', message: 'Field terms.apps[1] is invalid: unknown app `media`', details: { field: 'terms.apps[1]' } }),
        { status: 422, headers: { 'content-type': 'application/json' } },
      );
    document.querySelector<HTMLButtonElement>('[data-testid="plan-submit"]')!.click();
    await settle();
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      method: 'POST',
      path: '/api/v1/plans',
      body: { name: 'Standard', terms: { yearly_price_fen: 298000, storage_quota_bytes: 1024 ** 3, sms_overage_millifen: 3800, apps: ['pages', 'media'] } },
    });
    expect(fieldError('terms.apps')).toBe('Unknown app `media`');
  });

  it('adds a version to an existing plan starting from its current terms', async () => {
    const plan = { id: '01a25105-dec4-7412-b39f-7bfd2c04ea1a', name: 'X', retired: false, current: { ...TERMS, id: 'v1', version: 1, created_at: '2026-12-07T00:00:00Z' } };
    const open = await openDialog(plan);
    expect(document.querySelector('[data-testid="plan-name"]')).toBeNull();
    answer = () => new Response(JSON.stringify({ ...plan, current: { ...plan.current, version: 2 } }), { status: 201, headers: { 'content-type': 'application/json' } });
    document.querySelector<HTMLButtonElement>('[data-testid="plan-submit"]')!.click();
    await settle();
    expect(requests).toEqual([{ method: 'POST', path: `/api/v1/plans/${plan.id}/versions`, body: TERMS }]);
    expect(open.value).toBe(false);
  });
});
