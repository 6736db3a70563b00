/**
 * The signed-in merchant's tenant, shared by the merchant screens: its status, holds and
 * deletion date decide which write controls are open (`writeRefusal`), and the reason a
 * disabled control gives. Loaded when a screen mounts (the state can change between
 * screens: a payment, a freeze) and again after the server refused a write for it.
 */
import './merchantMessages';
import { computed, ref, shallowRef } from 'vue';
import { api, auth, call, ApiProblem, type Schemas } from '@/api';
import { i18n } from '@/i18n';
import { useSessionStore } from '@/stores/session';
import { formatDateTime } from '@/utils/format';
import { STATE_REFUSAL_CODES, writeRefusal, type WriteRefusal } from './writeRefusal';

export type Tenant = Schemas['TenantView'];

const tenant = shallowRef<Tenant | null>(null);
const error = ref<string | null>(null);
let pending: Promise<void> | null = null;

auth.onChange((_s, change) => {
  if (change !== 'refreshed') tenant.value = null;
});

/** The words for a refusal, in the UI language. */
export function refusalText(refusal: WriteRefusal | null): string | null {
  const t = i18n.global.t;
  if (!refusal) return null;
  switch (refusal.kind) {
    case 'frozen':
      return refusal.deleteAfter
        ? t('merchant.refusal.frozen', { date: formatDateTime(refusal.deleteAfter) })
        : t('merchant.refusal.frozenNoDate');
    case 'pending':
      return t('merchant.refusal.pending');
    case 'on_hold':
      return refusal.holds.includes('takedown') ? t('merchant.refusal.takedown') : t('merchant.refusal.overdue');
    case 'deleted':
      return t('merchant.refusal.deleted');
  }
}

export function useMerchantTenant() {
  const session = useSessionStore();

  function load(): Promise<void> {
    const id = session.account?.tenant_id;
    if (!id) return Promise.resolve();
    if (!pending) {
      pending = call(api.GET('/api/v1/tenants/{tenant_id}', { params: { path: { tenant_id: id } } }))
        .then((tn) => {
          tenant.value = tn;
          error.value = null;
        })
        .catch((e: unknown) => {
          error.value = e instanceof ApiProblem ? e.message : i18n.global.t('errors.unexpected');
        })
        .finally(() => {
          pending = null;
        });
    }
    return pending;
  }

  const refusal = computed(() => writeRefusal(tenant.value));
  /** Why writes are closed now (null when they are open). */
  const blockedReason = computed(() => refusalText(refusal.value));
  const isAdmin = computed(() => session.role === 'merchant_admin');

  /** After a failed write: a refusal for the tenant's state reloads it, so every control closes. */
  function noteFailure(e: unknown): void {
    if (e instanceof ApiProblem && STATE_REFUSAL_CODES.has(e.code)) void load();
  }

  return {
    tenant,
    error,
    refusal,
    blockedReason,
    isAdmin,
    tenantId: computed(() => session.account?.tenant_id ?? null),
    load,
    noteFailure,
  };
}
