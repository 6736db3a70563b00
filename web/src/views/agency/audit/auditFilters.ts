/**
 * The audit log's filters as they appear in the URL (`/console/audit?action=plan.&from=2026-12-01`)
 * and as the API wants them: `from` / `to` are calendar days in Asia/Shanghai; the API
 * takes instants, `to` exclusive, so the whole last day is included.
 */
import type { FilterSpec, FilterValues } from '@/composables/listQuery';
import { addDays } from '@/utils/format';

export const AUDIT_FILTERS = {
  tenant_id: { type: 'uuid' },
  actor_id: { type: 'uuid' },
  action: { type: 'text' },
  from: { type: 'text' },
  to: { type: 'text' },
} as const satisfies FilterSpec;

export type AuditFilterValues = FilterValues<typeof AUDIT_FILTERS>;

/** Action families for the action filter (the API takes a prefix ending in `.`). */
export const ACTION_FAMILIES = [
  'tenant.',
  'contract.',
  'payment.',
  'plan.',
  'staff.',
  'calendar.',
  'lifecycle.',
  'page.',
  'settings.',
  'asset.',
  'deploy.',
  'wechat.',
  'sms.',
  'editor.',
  'account.',
] as const;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function isDay(v: string | null): v is string {
  if (v === null || !DAY.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** Midnight of a day in Asia/Shanghai, RFC 3339. */
export function shanghaiMidnight(day: string): string {
  return `${day}T00:00:00+08:00`;
}

export interface AuditApiQuery {
  tenant_id?: string;
  actor_id?: string;
  action?: string;
  from?: string;
  to?: string;
}

export function auditApiQuery(f: AuditFilterValues): AuditApiQuery {
  const q: AuditApiQuery = {};
  if (f.tenant_id) q.tenant_id = f.tenant_id;
  if (f.actor_id) q.actor_id = f.actor_id;
  if (f.action) q.action = f.action;
  if (isDay(f.from)) q.from = shanghaiMidnight(f.from);
  if (isDay(f.to)) q.to = shanghaiMidnight(addDays(f.to, 1));
  return q;
}

/** The date range picker's value from the filters (only when both ends are days). */
export function rangeOf(f: AuditFilterValues): [string, string] | null {
  return isDay(f.from) && isDay(f.to) ? [f.from, f.to] : null;
}
