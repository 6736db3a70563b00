/**
 * Where the console loads the tenant's images: under a signed prefix the server hands out
 * (`GET /api/v1/asset-links`), because an `<img>` cannot send the bearer token and the
 * phones' client route stops serving a frozen or held tenant's images. The prefix stays
 * the same for hours (so the browser caches the images); it is fetched again an hour
 * before it expires. One prefix for the whole console, shared by every screen.
 */
import { ref } from 'vue';
import { api, auth, call } from '@/api';

const REFRESH_BEFORE_MS = 60 * 60 * 1000;

const prefix = ref<string | null>(null);
let expiresAt = 0;
let pending: Promise<void> | null = null;

function refresh(): void {
  if (pending) return;
  pending = call(api.GET('/api/v1/asset-links'))
    .then((link) => {
      prefix.value = link.url;
      expiresAt = Date.parse(link.expires_at);
    })
    .catch(() => {
      // Images show as missing until the next attempt; the screen itself still works.
    })
    .finally(() => {
      pending = null;
    });
}

/** The URL of asset `id`, or null while the prefix is loading (reactive: re-renders once it is there). */
export function assetUrl(id: string): string | null {
  if (prefix.value === null || Date.now() > expiresAt - REFRESH_BEFORE_MS) refresh();
  return prefix.value === null ? null : `${prefix.value}${encodeURIComponent(id)}`;
}

/** Forgets the prefix when the account changes: the next account has its own tenant. */
auth.onChange((_session, change) => {
  if (change !== 'refreshed') {
    prefix.value = null;
    expiresAt = 0;
  }
});
