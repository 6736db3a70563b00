// Disable / enable / new one-time password on a list of accounts: the confirmation names
// the account and the consequence, a success reloads the list, a reset keeps the new
// password to show once, a refusal leaves the dialog open.
import { describe, expect, it, vi } from 'vitest';
import { defineComponent, h } from 'vue';
import { mount } from '@vue/test-utils';
import { i18n, setLanguage } from '@/i18n';
import { ApiProblem, type Schemas } from '@/api';
import { useAccountActions } from '@/composables/accountActions';

const account = { id: 'a1', username: 'zhao.min', display_name: '赵敏', role: 'account_manager', status: 'active', must_change_password: false, created_at: '2026-12-07T00:00:00Z' } as Schemas['AccountView'];

function harness(perform: Parameters<typeof useAccountActions>[0]['perform'], done = vi.fn(), failed = vi.fn()) {
  let actions!: ReturnType<typeof useAccountActions>;
  mount(
    defineComponent({
      setup() {
        actions = useAccountActions({ words: (action, name) => ({ title: `${action} ${name}`, consequence: `consequence of ${action}`, confirm: action, done: `${action}d` }), perform, done, failed });
        return () => h('div');
      },
    }),
    { global: { plugins: [i18n] } },
  );
  return { actions, done, failed };
}

describe('useAccountActions', () => {
  it('asks with the account named, then acts and reloads', async () => {
    setLanguage('en');
    const perform = vi.fn().mockResolvedValue(undefined);
    const { actions, done } = harness(perform);
    actions.ask('disable', account);
    expect(actions.confirmOpen.value).toBe(true);
    expect(actions.confirmText.value.title).toContain('赵敏');
    expect(actions.confirmText.value.consequence).not.toBe('');
    await actions.act();
    expect(perform).toHaveBeenCalledWith('disable', account);
    expect(done).toHaveBeenCalledOnce();
    expect(actions.confirmOpen.value).toBe(false);
    expect(actions.reissued.value).toBeNull();
  });

  it('keeps a new one-time password to show once', async () => {
    const created = { account, one_time_password: 'Kq7-once' } as Schemas['CreatedAccount'];
    const { actions } = harness(vi.fn().mockResolvedValue(created));
    actions.ask('reset', account);
    await actions.act();
    expect(actions.reissued.value).toEqual(created);
  });

  it('leaves the dialog open on a refusal and reports it', async () => {
    const refusal = new ApiProblem({ status: 403, code: 'tenant_frozen', message: 'frozen' });
    const { actions, done, failed } = harness(vi.fn().mockRejectedValue(refusal));
    actions.ask('enable', account);
    await actions.act();
    expect(failed).toHaveBeenCalledWith(refusal);
    expect(done).not.toHaveBeenCalled();
    expect(actions.confirmOpen.value).toBe(true);
    expect(actions.acting.value).toBe(false);
  });
});
