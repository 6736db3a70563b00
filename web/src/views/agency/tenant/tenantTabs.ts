/** The tenant detail's tabs, in the order an account manager needs them. */
import type { LocationQueryValue } from 'vue-router';

export const TENANT_TABS = ['contracts', 'holds', 'exports', 'audit', 'contact', 'users', 'pages', 'wechat', 'usage', 'sms'] as const;
export type TenantTab = (typeof TENANT_TABS)[number];

/** `?tab=` → a known tab (contracts when absent or unknown). */
export function readTab(value: LocationQueryValue | LocationQueryValue[] | undefined): TenantTab {
  const raw = Array.isArray(value) ? value[0] : value;
  return (TENANT_TABS as readonly string[]).includes(raw ?? '') ? (raw as TenantTab) : 'contracts';
}
