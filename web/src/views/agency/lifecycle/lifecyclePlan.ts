/**
 * The lifecycle plan (`GET /api/v1/lifecycle/plan`: per day, what the sweeps will do) as
 * table rows and as the cells of a month calendar (weeks start on Monday, as in China).
 */
import type { Schemas } from '@/api';
import { addDays } from '@/utils/format';

export type PlannedDay = Schemas['PlannedDay'];
export type PlannedAction = Schemas['PlannedAction'];

/** The kinds the server plans; anything newer is shown by its code. */
export const ACTION_KINDS = ['reminder', 'overdue_hold', 'freeze', 'purge', 'deletion_unscheduled'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export function isKnownAction(action: string): action is ActionKind {
  return (ACTION_KINDS as readonly string[]).includes(action);
}

/** One row of the plan's table. */
export interface PlanRow {
  date: string;
  action: PlannedAction;
  /** A purge whose day the calendar cannot reach yet. */
  deletionUnknown: boolean;
}

export function planRows(plan: readonly PlannedDay[]): PlanRow[] {
  return [...plan]
    .sort((a, b) => a.date.localeCompare(b.date))
    .flatMap((day) =>
      day.actions.map((action) => ({
        date: day.date,
        action,
        deletionUnknown: action.action === 'deletion_unscheduled' || (action.action === 'purge' && !action.at),
      })),
    );
}

export interface DayCell {
  /** `YYYY-MM-DD`. */
  date: string;
  day: number;
  /** In the month shown (the grid starts and ends on whole weeks). */
  inMonth: boolean;
  today: boolean;
  /** Inside the days the plan looks at (earlier or later days are not planned, not empty). */
  planned: boolean;
  actions: PlannedAction[];
  /** How many of each kind, in ACTION_KINDS order, kinds with none left out. */
  counts: { kind: string; count: number }[];
}

function weekdayMondayFirst(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

/** `YYYY-MM` of a date. */
export function monthOf(date: string): string {
  return date.slice(0, 7);
}

export function addMonth(month: string, delta: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + delta, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function countsOf(actions: readonly PlannedAction[]): { kind: string; count: number }[] {
  const by = new Map<string, number>();
  for (const a of actions) by.set(a.action, (by.get(a.action) ?? 0) + 1);
  const known = ACTION_KINDS.filter((k) => by.has(k)).map((kind) => ({ kind, count: by.get(kind)! }));
  const other = [...by].filter(([k]) => !isKnownAction(k)).map(([kind, count]) => ({ kind, count }));
  return [...known, ...other];
}

/**
 * The weeks (Monday first) of `month` (`YYYY-MM`), each day with the plan's actions.
 * `from`..`until` (inclusive) are the days the plan covers.
 */
export function monthCells(month: string, plan: readonly PlannedDay[], today: string, from: string, until: string): DayCell[][] {
  const byDate = new Map<string, PlannedAction[]>();
  for (const day of plan) byDate.set(day.date, [...(byDate.get(day.date) ?? []), ...day.actions]);
  const first = `${month}-01`;
  const last = addDays(`${addMonth(month, 1)}-01`, -1);
  let cursor = addDays(first, -weekdayMondayFirst(first));
  const weeks: DayCell[][] = [];
  while (cursor <= last) {
    const week: DayCell[] = [];
    for (let i = 0; i < 7; i++) {
      const actions = byDate.get(cursor) ?? [];
      week.push({
        date: cursor,
        day: Number(cursor.slice(8)),
        inMonth: monthOf(cursor) === month,
        today: cursor === today,
        planned: cursor >= from && cursor <= until,
        actions,
        counts: countsOf(actions),
      });
      cursor = addDays(cursor, 1);
    }
    weeks.push(week);
  }
  return weeks;
}

/** The months from `from` to `until` (inclusive), for the calendar's month switch. */
export function monthsBetween(from: string, until: string): string[] {
  const out: string[] = [];
  for (let m = monthOf(from); m <= monthOf(until); m = addMonth(m, 1)) out.push(m);
  return out;
}
