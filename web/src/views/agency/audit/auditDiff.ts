/**
 * An audit event's `summary` as a person reads it. Events that change something carry
 * `before` and `after` objects: they become one row per field (nested fields as
 * `terms.page_quota`), marked changed, added, removed or unchanged. Other keys beside
 * them (`version`) and summaries without before/after are plain facts.
 */

export type Change = 'changed' | 'added' | 'removed' | 'unchanged';

export interface DiffRow {
  path: string;
  before: unknown;
  after: unknown;
  change: Change;
}

export interface FactRow {
  path: string;
  value: unknown;
}

export interface AuditSummary {
  /** Field by field, when the event has a before and/or an after. */
  diff: DiffRow[] | null;
  facts: FactRow[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Nested objects → `a.b.c` leaves; arrays and scalars are leaves. An empty object is a leaf. */
export function flatten(value: unknown, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (isRecord(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) {
      for (const [kk, vv] of flatten(v, prefix ? `${prefix}.${k}` : k)) out.set(kk, vv);
    }
  } else if (prefix !== '') {
    out.set(prefix, value);
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Field-by-field comparison of two states; `undefined` marks a side that has no such field. */
export function diffStates(before: unknown, after: unknown): DiffRow[] {
  const b = flatten(before);
  const a = flatten(after);
  const paths = [...new Set([...b.keys(), ...a.keys()])];
  const rows = paths.map((path): DiffRow => {
    const hasB = b.has(path);
    const hasA = a.has(path);
    const bv = b.get(path);
    const av = a.get(path);
    const change: Change = !hasB ? 'added' : !hasA ? 'removed' : same(bv, av) ? 'unchanged' : 'changed';
    return { path, before: hasB ? bv : undefined, after: hasA ? av : undefined, change };
  });
  const order: Record<Change, number> = { changed: 0, added: 1, removed: 2, unchanged: 3 };
  return rows.sort((x, y) => order[x.change] - order[y.change] || x.path.localeCompare(y.path));
}

export function readSummary(summary: unknown): AuditSummary {
  if (!isRecord(summary)) {
    return { diff: null, facts: summary === null || summary === undefined ? [] : [{ path: '', value: summary }] };
  }
  const hasStates = 'before' in summary || 'after' in summary;
  const rest = Object.fromEntries(Object.entries(summary).filter(([k]) => !hasStates || (k !== 'before' && k !== 'after')));
  const facts = [...flatten(rest)].map(([path, value]) => ({ path, value }));
  return { diff: hasStates ? diffStates(summary.before ?? {}, summary.after ?? {}) : null, facts };
}

/** How many fields an event changed (for the list's "n changes"). */
export function changeCount(summary: unknown): number {
  return readSummary(summary).diff?.filter((r) => r.change !== 'unchanged').length ?? 0;
}

/** A value as text: lists joined, objects as JSON, nothing as "—". */
export function formatValue(value: unknown, yes: string, no: string): string {
  if (value === undefined || value === null || value === '') return '—';
  if (typeof value === 'boolean') return value ? yes : no;
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '—';
    return value.every((v) => typeof v !== 'object' || v === null) ? value.map((v) => String(v)).join(', ') : JSON.stringify(value);
  }
  return JSON.stringify(value);
}
