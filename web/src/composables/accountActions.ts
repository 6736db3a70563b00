/**
 * Disable, enable and a new one-time password for an account in a list (staff, merchant
 * editors): each asked for with its consequence, then done through `perform`. Each
 * screen gives its own words (literal keys, so the translation test can check them).
 */
import { computed, ref, shallowRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { ApiProblem, type Schemas } from '@/api';
import { toast } from '@/utils/toast';

type Account = Schemas['AccountView'];
type Created = Schemas['CreatedAccount'];
export type AccountAction = 'disable' | 'enable' | 'reset';

/** What the confirmation and the success say about one action on one account. */
export interface AccountActionWords {
  title: string;
  consequence: string;
  confirm: string;
  /** The success message (a reset shows the new password instead). */
  done: string;
}

export interface AccountActionOptions {
  /** The words for `action` on the account named `name`. */
  words: (action: AccountAction, name: string) => AccountActionWords;
  /** Calls the server; `reset` answers the new one-time password. */
  perform: (action: AccountAction, account: Account) => Promise<Created | void>;
  /** After a success (reload the list). */
  done: () => void;
  /** After a failure, before the message is shown. */
  failed?: (e: unknown) => void;
}

export function useAccountActions(options: AccountActionOptions) {
  const { t } = useI18n();
  const empty: AccountActionWords = { title: '', consequence: '', confirm: '', done: '' };
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
    return p ? options.words(p.action, nameOf(p.account)) : empty;
  });

  async function act(): Promise<void> {
    const p = pending.value;
    if (!p) return;
    acting.value = true;
    try {
      const created = await options.perform(p.action, p.account);
      if (created) reissued.value = created;
      else toast.success(options.words(p.action, nameOf(p.account)).done);
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
