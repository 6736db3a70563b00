/**
 * Disable, enable and a new one-time password for an account in a list (staff, merchant
 * editors): each asked for with its consequence, then done through `perform`. The words
 * come from `<prefix>.disableTitle`, `.disableConsequence`, `.disable`, `.disabled` (and
 * the same for `enable` and `reset`).
 */
import { computed, ref, shallowRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { ApiProblem, type Schemas } from '@/api';
import { toast } from '@/utils/toast';

type Account = Schemas['AccountView'];
type Created = Schemas['CreatedAccount'];
export type AccountAction = 'disable' | 'enable' | 'reset';

/** The message saying an action was done (a reset shows the new password instead). */
const DONE: Record<AccountAction, string> = { disable: 'disabled', enable: 'enabled', reset: 'reset' };

export interface AccountActionOptions {
  /** Message prefix, e.g. `staff` or `merchant.editors`. */
  prefix: string;
  /** Calls the server; `reset` answers the new one-time password. */
  perform: (action: AccountAction, account: Account) => Promise<Created | void>;
  /** After a success (reload the list). */
  done: () => void;
  /** After a failure, before the message is shown. */
  failed?: (e: unknown) => void;
}

export function useAccountActions(options: AccountActionOptions) {
  const { t } = useI18n();
  const pending = shallowRef<{ action: AccountAction; account: Account } | null>(null);
  const confirmOpen = ref(false);
  const acting = ref(false);
  const reissued = shallowRef<Created | null>(null);
  const nameOf = (a: Account) => a.display_name || a.username;

  function ask(action: AccountAction, account: Account): void {
    pending.value = { action, account };
    confirmOpen.value = true;
  }

  const confirmText = computed(() => {
    const p = pending.value;
    if (!p) return { title: '', consequence: '', confirm: '' };
    const name = nameOf(p.account);
    return {
      title: t(`${options.prefix}.${p.action}Title`, { name }),
      consequence: t(`${options.prefix}.${p.action}Consequence`, { name }),
      confirm: t(`${options.prefix}.${p.action}`),
    };
  });

  async function act(): Promise<void> {
    const p = pending.value;
    if (!p) return;
    acting.value = true;
    try {
      const created = await options.perform(p.action, p.account);
      if (created) reissued.value = created;
      else toast.success(t(`${options.prefix}.${DONE[p.action]}`, { name: nameOf(p.account) }));
      confirmOpen.value = false;
      options.done();
    } catch (e) {
      options.failed?.(e);
      toast.error(e instanceof ApiProblem ? e.message : t('errors.unexpected'));
    } finally {
      acting.value = false;
    }
  }

  return { pending, confirmOpen, acting, reissued, ask, confirmText, act };
}
