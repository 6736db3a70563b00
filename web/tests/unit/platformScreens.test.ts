// The platform screen's pure parts: a roll-out's progress in numbers (finished = runs
// released, failed or withdrawn, plus skipped targets), counts largest first, WeChat's
// untyped template library read defensively, the tab in the URL, and words for the codes
// (an unknown code is shown as it is). Then the SMS template dialog: a notice kind fills
// its fixed parameters, and the server's 422 names a parameter row that is marked.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { defineComponent, nextTick } from 'vue';
import { i18n } from '@/i18n';
import '@/i18n/platformMessages';
import { ApiProblem } from '@/api/problem';
import type { Schemas } from '@/api';
import { countsOf, isLive, pausedReasonIn, rolloutProgress } from '@/views/agency/platform/rolloutProgress';
import { readLibrary } from '@/views/agency/platform/templateLibrary';
import { readPlatformTab } from '@/views/agency/platform/platformTabs';
import { usePlatformLabels } from '@/views/agency/platform/platformLabels';

const post = vi.fn();
vi.mock('@/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/api')>();
  return {
    ...actual,
    api: { POST: (...args: unknown[]) => post(...args) },
    call: async (pending: Promise<unknown>) => pending,
  };
});

const { default: SmsTemplateDialog } = await import('@/views/agency/platform/SmsTemplateDialog.vue');

function rollout(over: Partial<Schemas['RolloutView']>): Schemas['RolloutView'] {
  return {
    id: 'r1',
    template_id: 1,
    user_version: '1.0.0',
    status: 'running',
    concurrency: 5,
    per_minute: 10,
    targets: 10,
    pending: 0,
    skipped: 0,
    by_status: {},
    by_step: {},
    failures: {},
    created_at: '2026-12-07T08:00:00Z',
    ...over,
  };
}

describe('roll-out progress', () => {
  it('counts released, failed and withdrawn runs and skipped targets as finished', () => {
    const p = rolloutProgress(
      rollout({ targets: 10, pending: 3, skipped: 1, by_status: { released: 3, failed: 1, withdrawn: 1, waiting_audit: 1 } }),
    );
    expect(p).toEqual({ targets: 10, finished: 6, released: 3, failed: 2, inFlight: 1, pending: 3, skipped: 1, percent: 60 });
  });

  it('rounds down (never shows 100% before the last one) and treats no targets as complete', () => {
    expect(rolloutProgress(rollout({ targets: 3, by_status: { released: 2, running: 1 } })).percent).toBe(66);
    expect(rolloutProgress(rollout({ targets: 0 })).percent).toBe(100);
  });

  it('keeps polling until the roll-out is done', () => {
    expect(isLive(rollout({ status: 'running' }))).toBe(true);
    expect(isLive(rollout({ status: 'paused' }))).toBe(true);
    expect(isLive(rollout({ status: 'done' }))).toBe(false);
  });

  it("shows why it is paused in the UI's language (the server sends both in one text)", () => {
    const both = '审核额度只剩 5 次，已达到保留数 5，已暂停；额度恢复后请继续。 / The audit quota is down to 5, at the reserve of 5: paused; resume when the quota is back.';
    expect(pausedReasonIn(both, 'zh-CN')).toBe('审核额度只剩 5 次，已达到保留数 5，已暂停；额度恢复后请继续。');
    expect(pausedReasonIn(both, 'en')).toBe('The audit quota is down to 5, at the reserve of 5: paused; resume when the quota is back.');
    expect(pausedReasonIn('由 admin 暂停 / paused by admin', 'en')).toBe('paused by admin');
    expect(pausedReasonIn('paused for maintenance / ops', 'zh-CN')).toBe('paused for maintenance / ops');
  });

  it('lists counts largest first and leaves out zeros', () => {
    expect(countsOf({ audit: 2, commit: 5, quota: 0, domains: 2 })).toEqual([
      { key: 'commit', count: 5 },
      { key: 'audit', count: 2 },
      { key: 'domains', count: 2 },
    ]);
  });
});

describe("WeChat's template library", () => {
  it('reads the fields it needs, skips entries without an id, newest first', () => {
    expect(
      readLibrary([
        { template_id: 1, user_version: '1.0.0', user_desc: 'first', create_time: 100 },
        { template_id: '7', user_version: '1.1.0', create_time: 300, draft_id: 9 },
        { user_version: 'no id' },
        null,
        { template_id: 3, user_version: 2 },
      ]),
    ).toEqual([
      { template_id: 7, user_version: '1.1.0', user_desc: '', create_time: 300 },
      { template_id: 1, user_version: '1.0.0', user_desc: 'first', create_time: 100 },
      { template_id: 3, user_version: '', user_desc: '', create_time: null },
    ]);
  });
});

describe('the tab in the URL', () => {
  it('opens a known tab and falls back to the WeChat status', () => {
    expect(readPlatformTab('rollouts')).toBe('rollouts');
    expect(readPlatformTab(['jobs', 'sms'])).toBe('jobs');
    expect(readPlatformTab('nope')).toBe('status');
    expect(readPlatformTab(undefined)).toBe('status');
  });
});

describe('words for codes', () => {
  function labels() {
    let out: ReturnType<typeof usePlatformLabels> | null = null;
    mount(defineComponent({ setup: () => ((out = usePlatformLabels()), () => null) }), { global: { plugins: [i18n] } });
    return out!;
  }

  it('names run statuses, steps, failures and job kinds in both languages, and shows unknown codes as they are', () => {
    i18n.global.locale.value = 'en';
    const l = labels();
    expect(l.runStatus('waiting_audit')).toBe("Waiting for WeChat's audit");
    expect(l.runStep('privacy_scan')).toBe('Privacy scan');
    expect(l.failure('errcode 85009')).toBe('WeChat error 85009');
    expect(l.failure('audit_rejected')).toBe('Audit rejected');
    expect(l.jobKind('wechat.visit_status')).toBe('Closing or opening the mini-program');
    expect(l.runStatus('brand_new')).toBe('brand_new');
    expect(l.jobKind('some.job')).toBe('some.job');
    i18n.global.locale.value = 'zh-CN';
    expect(labels().runStatus('released')).toBe('已上线');
  });
});

describe('the SMS template dialog', () => {
  afterEach(() => {
    post.mockReset();
    document.body.innerHTML = '';
  });

  async function settle(): Promise<void> {
    for (let i = 0; i < 5; i++) await nextTick();
    await new Promise((r) => setTimeout(r, 150));
    await nextTick();
  }

  function fill(testid: string, value: string): void {
    const el = document.querySelector(`[data-testid="${testid}"] input, [data-testid="${testid}"] textarea, input[data-testid="${testid}"], textarea[data-testid="${testid}"]`) as HTMLInputElement;
    el.value = value;
    el.dispatchEvent(new Event('input'));
  }

  it('sends the rows and shows the server\'s refusal at the parameter it names', async () => {
    i18n.global.locale.value = 'en';
    const wrapper = mount(SmsTemplateDialog, { props: { modelValue: false }, global: { plugins: [i18n] }, attachTo: document.body });
    await wrapper.setProps({ modelValue: true });
    await settle();
    fill('sms-name', 'Shipping');
    fill('sms-provider-id', '1110');
    fill('sms-text', 'Order {1} shipped');
    fill('sms-param-name-0', 'order_no');
    await settle();
    post.mockRejectedValueOnce(
      new ApiProblem({
        status: 422,
        code: 'validation_failed',
        message: 'Field params[0].max_chars is invalid: must be 1–35',
        details: { field: 'params[0].max_chars' },
      }),
    );
    (document.querySelector('[data-testid="sms-submit"]') as HTMLButtonElement).click();
    await settle();
    expect(post).toHaveBeenCalledTimes(1);
    const body = (post.mock.calls[0]![1] as { body: Schemas['TemplateInput'] }).body;
    expect(body).toEqual({
      name: 'Shipping',
      provider_template_id: '1110',
      text: 'Order {1} shipped',
      usage: 'merchant',
      params: [{ name: 'order_no', max_chars: 12, digits_only: false }],
    });
    const marked = document.querySelector('[data-field="params"] .el-form-item__error');
    expect(marked?.textContent?.trim()).toBe('Must be 1–35');
    wrapper.unmount();
    i18n.global.locale.value = 'zh-CN';
  });

  it('fills in the fixed parameters of a notice kind', async () => {
    const wrapper = mount(SmsTemplateDialog, { props: { modelValue: false }, global: { plugins: [i18n] }, attachTo: document.body });
    await wrapper.setProps({ modelValue: true });
    await settle();
    const usage = wrapper.findComponent({ name: 'ElSelect' });
    usage.vm.$emit('update:modelValue', 'renewal_reminder');
    await settle();
    const names = [0, 1, 2].map((i) => (document.querySelector(`input[data-testid="sms-param-name-${i}"]`) as HTMLInputElement | null)?.value);
    expect(names).toEqual(['business_name', 'end_date', 'days_left']);
    expect(document.querySelector('[data-testid="sms-add-param"]')).toBeNull();
    wrapper.unmount();
  });
});
