/**
 * The agency's branding (name and logo) for the sign-in page and the console's header:
 * read once from the public `GET /api/v1/branding` (no sign-in needed) and shared by every
 * screen; the branding screen puts its answers back here so the header changes at once.
 * Unset parts fall back to the product's name (and no logo).
 */
import { computed, shallowRef } from 'vue';
import { api, call, type GetResponse } from '@/api';
import { i18n } from '@/i18n';

export type Branding = GetResponse<'/api/v1/branding'>;

const current = shallowRef<Branding | null>(null);
let pending: Promise<void> | null = null;

/** Loads the branding unless it is there or on its way; a failure leaves the product's name. */
export function loadBranding(): Promise<void> {
  if (!pending) {
    pending = call(api.GET('/api/v1/branding'))
      .then((b) => {
        current.value = b;
      })
      .catch(() => {
        // The product's name shows meanwhile; the next screen that asks tries again.
        pending = null;
      });
  }
  return pending;
}

/** After the admin changed it. */
export function setBranding(next: Branding): void {
  current.value = next;
}

export function useBranding() {
  void loadBranding();
  const name = computed(() => current.value?.name?.trim() || i18n.global.t('app.name'));
  const logoUrl = computed(() => current.value?.logo_url ?? null);
  return { branding: current, name, logoUrl };
}
