/** The tenant list's filters, as they appear in the URL (`/console/tenants?status=frozen`). */
import type { FilterSpec } from '@/composables/listQuery';

export const TENANT_STATUSES = ['pending', 'active', 'frozen', 'deleted'] as const;
export const TENANT_HOLDS = ['overdue', 'takedown'] as const;

export const TENANT_FILTERS = {
  q: { type: 'text' },
  status: { type: 'enum', values: TENANT_STATUSES },
  hold: { type: 'enum', values: TENANT_HOLDS },
  plan_id: { type: 'uuid' },
  account_manager_id: { type: 'uuid' },
  ends_within_days: { type: 'int', min: 0, max: 3650 },
} as const satisfies FilterSpec;
