// The finance screen: it asks for the URL's month range, shows the totals and the three
// tables in yuan, links each tenant to its detail, downloads the payments CSV through the
// session's client (a Blob saved under the range's name), and puts a 422 about the range
// under the range picker.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flushPromises, mount } from '@vue/test-utils';
import { createMemoryHistory, createRouter } from 'vue-router';
import { createPinia } from 'pinia';
import { i18n } from '@/i18n';
import { ApiProblem } from '@/api/problem';
import type { GetResponse } from '@/api';

const get = vi.fn();
vi.mock('@/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/api')>();
  return {
    ...actual,
    api: { GET: (...args: unknown[]) => get(...args) },
    call: async (pending: Promise<unknown>) => pending,
  };
});

const { default: FinanceView } = await import('@/views/agency/finance/FinanceView.vue');

const REPORT: GetResponse<'/api/v1/finance'> = {
  from: '2026-10',
  to: '2026-11',
  total_received_fen: 447000,
  total_outstanding_fen: 149000,
  months: [
    { month: '2026-10', due_fen: 298000, received_fen: 298000, outstanding_fen: 0 },
    { month: '2026-11', due_fen: 298000, received_fen: 149000, outstanding_fen: 149000 },
  ],
  tenants: [
    { tenant_id: 't1', business_name: '春风花店', account_manager_id: 'a1', account_manager_name: '孙丽', received_fen: 298000, outstanding_fen: 0 },
    { tenant_id: 't2', business_name: '山海书屋', account_manager_id: null, account_manager_name: null, received_fen: 149000, outstanding_fen: 149000 },
  ],
  account_managers: [
    { account_manager_id: 'a1', display_name: '孙丽', tenants: 1, received_fen: 298000, outstanding_fen: 0 },
    { account_manager_id: null, display_name: null, tenants: 1, received_fen: 149000, outstanding_fen: 149000 },
  ],
};

async function mountAt(url: string) {
  const router = createRouter({
    history: createMemoryHistory('/console/'),
    routes: [
      { path: '/finance', component: FinanceView },
      { path: '/tenants/:id', component: { template: '<div />' } },
    ],
  });
  await router.push(url);
  await router.isReady();
  const wrapper = mount(FinanceView, { global: { plugins: [router, i18n, createPinia()] }, attachTo: document.body });
  await flushPromises();
  await new Promise((r) => setTimeout(r, 50));
  return { wrapper, router };
}

afterEach(() => {
  get.mockReset();
  document.body.innerHTML = '';
  i18n.global.locale.value = 'zh-CN';
});

describe('the finance screen', () => {
  it('asks for the range in the URL and shows totals and the three tables in yuan', async () => {
    i18n.global.locale.value = 'en';
    get.mockResolvedValue(REPORT);
    const { wrapper } = await mountAt('/finance?from=2026-10&to=2026-11');
    expect(get).toHaveBeenCalledWith('/api/v1/finance', { params: { query: { from: '2026-10', to: '2026-11' } } });
    expect(wrapper.get('[data-testid="finance-received"]').text()).toContain('¥4,470.00');
    expect(wrapper.get('[data-testid="finance-outstanding"]').text()).toContain('¥1,490.00');
    const months = wrapper.get('[data-testid="finance-months"]').text();
    expect(months).toContain('Oct 2026');
    expect(months).toContain('¥2,980.00');
    const tenants = wrapper.get('[data-testid="finance-tenants"]');
    expect(tenants.text()).toContain('Unassigned');
    expect(tenants.get('a').attributes('href')).toBe('/console/tenants/t1');
    expect(wrapper.get('[data-testid="finance-managers"]').text()).toContain('孙丽');
    wrapper.unmount();
  });

  it('downloads the payments of the range as a CSV file', async () => {
    get.mockImplementation(async (path: string) =>
      path === '/api/v1/finance' ? REPORT : new Blob(['\ufeff付款日期,商户\n'], { type: 'text/csv' }),
    );
    const created: Blob[] = [];
    const createObjectURL = vi.fn((b: Blob) => (created.push(b), 'blob:csv'));
    Object.assign(URL, { createObjectURL, revokeObjectURL: vi.fn() });
    const clicked: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    const { wrapper } = await mountAt('/finance?from=2026-10&to=2026-11');
    await wrapper.get('[data-testid="finance-csv"]').trigger('click');
    await flushPromises();
    expect(get).toHaveBeenCalledWith('/api/v1/finance/payments.csv', {
      params: { query: { from: '2026-10', to: '2026-11' } },
      parseAs: 'blob',
    });
    expect(created[0]?.type).toBe('text/csv');
    expect(clicked).toEqual(['payments-2026-10-to-2026-11.csv']);
    click.mockRestore();
    wrapper.unmount();
  });

  it("shows the server's refusal of the range under the picker", async () => {
    get.mockRejectedValue(
      new ApiProblem({ status: 422, code: 'validation_failed', message: 'Field to is invalid: at most 36 months', details: { field: 'to' } }),
    );
    const { wrapper } = await mountAt('/finance?from=2020-01&to=2026-12');
    await new Promise((r) => setTimeout(r, 150));
    await flushPromises();
    const error = wrapper.get('[data-field="from"] .el-form-item__error');
    expect(error.text()).toBe('At most 36 months');
    expect(wrapper.find('[data-testid="finance-tenants"]').exists()).toBe(false);
    wrapper.unmount();
  });
});
