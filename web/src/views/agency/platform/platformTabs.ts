/** The platform screen's tabs, in the order an operator checks them; the open one is `?tab=`. */
import type { LocationQueryValue } from 'vue-router';

export const PLATFORM_TABS = ['status', 'template', 'rollouts', 'deploys', 'jobs', 'broadcast', 'sms'] as const;
export type PlatformTab = (typeof PLATFORM_TABS)[number];

/** `?tab=` → a known tab (the WeChat status when absent or unknown). */
export function readPlatformTab(value: LocationQueryValue | LocationQueryValue[] | undefined): PlatformTab {
  const raw = Array.isArray(value) ? value[0] : value;
  return (PLATFORM_TABS as readonly string[]).includes(raw ?? '') ? (raw as PlatformTab) : 'status';
}
