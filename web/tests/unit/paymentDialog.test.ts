// "Record payment": one Idempotency-Key per opening of the dialog (a double click sends
// once; a retry after a lost answer reuses the key; a refusal, or opening the dialog again,
// takes a new one), and the server's overpayment message at the amount field with the
// amount still owed in yuan.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mount } from '@vue/test-utils';
import { nextTick } from 'vue';
import { i18n } from '@/i18n';
import { ApiProblem } from '@/api/problem';
import type { Schemas } from '@/api';

const post = vi.fn();
vi.mock('@/api', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/api')>();
  return {
    ...actual,
    api: { POST: (...args: unknown[]) => post(...args) },
    call: async (pending: Promise<unknown>) => pending,
  };
});

const { default: PaymentDialog } = await import('@/views/agency/tenant/contracts/PaymentDialog.vue');

const contract = {
  id: 'c1',
  sequence: 1,
  status: 'pending',
  payment_method: 'bank_transfer',
  amount_fen: 298000,
  outstanding_fen: 149000,
  paid_fen: 149000,
  milestones: [],
  payments: [],
} as unknown as Schemas['ContractView'];

const result = {
  payment: { amount_fen: 149000 },
  contract: { ...contract, outstanding_fen: 0 },
};

function keyOf(call: unknown[]): string {
  return (call[1] as { params: { header: { 'Idempotency-Key': string } } }).params.header['Idempotency-Key'];
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await nextTick();
  await new Promise((r) => setTimeout(r, 150));
  await nextTick();
}

function setInput(testid: string, value: string): void {
  const el = document.querySelector(`[data-testid="${testid}"]`) as HTMLInputElement;
  el.value = value;
  el.dispatchEvent(new Event('input'));
}

function submit(): void {
  (document.querySelector('[data-testid="payment-submit"]') as HTMLButtonElement).click();
}

afterEach(() => {
  post.mockReset();
  document.body.innerHTML = '';
});

describe('the payment dialog', () => {
  async function open() {
    i18n.global.locale.value = 'en';
    const wrapper = mount(PaymentDialog, {
      props: { modelValue: false, tenantId: 't1', contract, 'onUpdate:modelValue': (v: boolean) => wrapper.setProps({ modelValue: v }) },
      // Real transitions: Element Plus shows a field's message inside one.
      global: { plugins: [i18n], stubs: { transition: false, 'transition-group': false } },
      attachTo: document.body,
    });
    await wrapper.setProps({ modelValue: true });
    await settle();
    setInput('payment-amount', '1490');
    setInput('payment-reference', 'ICBC-1');
    await settle();
    return wrapper;
  }

  it('sends a double click once, and a retry after a lost answer with the same key', async () => {
    const wrapper = await open();
    let answer!: (v: unknown) => void;
    post.mockReturnValueOnce(Promise.reject(new ApiProblem({ status: 0, code: 'network_error', message: 'offline' })));
    submit();
    await settle();
    post.mockReturnValueOnce(new Promise((r) => (answer = r)));
    submit();
    submit();
    await settle();
    expect(post).toHaveBeenCalledTimes(2);
    expect(keyOf(post.mock.calls[1]!)).toBe(keyOf(post.mock.calls[0]!));
    expect((post.mock.calls[0]![1] as { body: unknown }).body).toEqual({
      amount_fen: 149000,
      method: 'bank_transfer',
      reference: 'ICBC-1',
      paid_on: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    });
    answer(result);
    await settle();
    expect(wrapper.emitted('recorded')).toHaveLength(1);
    wrapper.unmount();
  });

  it('shows the overpayment at the amount field, then sends the corrected amount with a new key; reopening takes another', async () => {
    const wrapper = await open();
    post.mockReturnValueOnce(
      Promise.reject(
        new ApiProblem({
          status: 422,
          code: 'validation_failed',
          message: 'Field amount_fen is invalid: exceeds the 149000 fen still owed on the contract',
          details: { field: 'amount_fen', outstanding_fen: 149000 },
        }),
      ),
    );
    submit();
    await settle();
    const error = document.querySelector('[data-field="amount_fen"] .el-form-item__error')!;
    expect(error.textContent).toContain('Exceeds the 149000 fen still owed on the contract');
    expect(error.textContent).toContain('¥1,490.00');
    post.mockReturnValueOnce(Promise.resolve(result));
    submit();
    await settle();
    expect(post).toHaveBeenCalledTimes(2);
    const [first, second] = post.mock.calls.map(keyOf);
    expect(second).not.toBe(first);

    await wrapper.setProps({ modelValue: false });
    await wrapper.setProps({ modelValue: true });
    await settle();
    setInput('payment-amount', '1');
    setInput('payment-reference', 'ICBC-2');
    await settle();
    post.mockReturnValueOnce(Promise.resolve(result));
    submit();
    await settle();
    expect(keyOf(post.mock.calls[2]!)).not.toBe(second);
    wrapper.unmount();
  });
});
