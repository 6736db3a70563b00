/**
 * The tenant detail screen's reading of the API's facts: the countdown to a frozen
 * tenant's deletion, each milestone's state, a contract's balance lines and the earliest
 * termination date allowed by its notice period. Pure functions (tested in
 * tests/unit/tenantDetail.test.ts); the components only render them.
 */
import type { Schemas } from '@/api';
import { addDays, todayInShanghai } from '@/utils/format';

type Contract = Schemas['ContractView'];
type Milestone = Schemas['MilestoneView'];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface Countdown {
  /** The moment has passed (the deletion is due or under way). */
  past: boolean;
  days: number;
  hours: number;
  minutes: number;
}

/** Time left until `at` (an instant), in whole days, hours and minutes (rounded down). */
export function countdown(at: string, now: Date = new Date()): Countdown | null {
  const target = Date.parse(at);
  if (Number.isNaN(target)) return null;
  const left = target - now.getTime();
  if (left <= 0) return { past: true, days: 0, hours: 0, minutes: 0 };
  return {
    past: false,
    days: Math.floor(left / DAY),
    hours: Math.floor((left % DAY) / HOUR),
    minutes: Math.floor((left % HOUR) / MINUTE),
  };
}

/** Milliseconds until the countdown's shown value changes (the next whole minute). */
export function msToNextMinute(at: string, now: Date = new Date()): number {
  const left = Date.parse(at) - now.getTime();
  if (Number.isNaN(left) || left <= 0) return MINUTE;
  return (left % MINUTE) + 1;
}

export type MilestoneState = 'paid' | 'partly' | 'unpaid' | 'late';

/** Paid in full; partly paid; unpaid and not yet due (or due today); unpaid after its due date. */
export function milestoneState(m: Milestone, today: string = todayInShanghai()): MilestoneState {
  if (m.paid_fen >= m.amount_fen) return 'paid';
  if (m.due_date < today) return 'late';
  return m.paid_fen > 0 ? 'partly' : 'unpaid';
}

export interface Balance {
  amount: number;
  paid: number;
  outstanding: number;
  lateFee: number;
  /** What settling today would take: outstanding plus the late fee accrued. */
  dueToday: number;
  /** The late fee rate as "0.05" (% per day); null when the contract has none. */
  lateFeePercent: string | null;
  /** Fully paid. */
  settled: boolean;
}

export function balanceOf(c: Contract): Balance {
  return {
    amount: c.amount_fen,
    paid: c.paid_fen,
    outstanding: c.outstanding_fen,
    lateFee: c.late_fee_fen,
    dueToday: c.outstanding_fen + c.late_fee_fen,
    lateFeePercent: c.late_fee_bp_per_day > 0 ? (c.late_fee_bp_per_day / 100).toFixed(2) : null,
    settled: c.outstanding_fen <= 0,
  };
}

/** A contract that takes payments: not cancelled or ended, with something still owed. */
export function takesPayments(c: Contract): boolean {
  return c.outstanding_fen > 0 && c.status !== 'cancelled' && c.status !== 'ended';
}

/**
 * The contract an early termination applies to: the one in force (active) today, else the
 * latest pending one; none for a tenant whose contracts all ended.
 */
export function terminableContract(contracts: readonly Contract[], today: string = todayInShanghai()): Contract | null {
  const live = contracts.filter((c) => c.status === 'active' || c.status === 'pending');
  const current = live.find((c) => c.status === 'active' && c.start_date <= today && today <= c.end_date);
  return current ?? live.find((c) => c.status === 'active') ?? live.at(-1) ?? null;
}

/** The first allowed effective date: today plus the notice period (never after the end date). */
export function earliestTermination(c: Contract, today: string = todayInShanghai()): string {
  return addDays(today, c.notice_period_days);
}

/** Whether a termination can still be recorded for the contract (the earliest date is within its term). */
export function canTerminate(c: Contract, today: string = todayInShanghai()): boolean {
  return (c.status === 'active' || c.status === 'pending') && earliestTermination(c, today) <= c.end_date;
}

/** The `outstanding_fen` an overpayment refusal carries in its details. */
export function owedDetail(details: unknown): number | null {
  if (details && typeof details === 'object') {
    const v = (details as Record<string, unknown>).outstanding_fen;
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

/** A contact (or account manager) as recorded in the history: its values joined, "—" for nothing. */
export function describeChange(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value !== 'object') return String(value);
  const parts = Object.values(value as Record<string, unknown>)
    .filter((v) => v !== null && v !== undefined && v !== '' && typeof v !== 'object')
    .map(String);
  return parts.length ? parts.join(' · ') : '—';
}

export interface UsageSeries {
  /** Every day from `from` to `to` (days without activity as zero), with its share of the peak. */
  days: { day: string; requests: number; share: number }[];
  peak: number;
  totals: { requests: number; pageViews: number; publishes: number; throttled: number };
}

/** The usage report's active days spread over the whole range, for the bar chart. */
export function usageSeries(
  reported: readonly Pick<Schemas['UsageDay'], 'day' | 'requests' | 'page_views' | 'publishes' | 'throttled'>[],
  from: string,
  to: string,
): UsageSeries {
  const byDay = new Map(reported.map((d) => [d.day, d]));
  const days: UsageSeries['days'] = [];
  for (let day = from, guard = 0; day <= to && guard < 400; day = addDays(day, 1), guard++) {
    days.push({ day, requests: byDay.get(day)?.requests ?? 0, share: 0 });
  }
  const peak = Math.max(0, ...days.map((d) => d.requests));
  for (const d of days) d.share = peak > 0 ? d.requests / peak : 0;
  const totals = { requests: 0, pageViews: 0, publishes: 0, throttled: 0 };
  for (const d of reported) {
    if (d.day < from || d.day > to) continue;
    totals.requests += d.requests;
    totals.pageViews += Object.values(d.page_views).reduce((a, b) => a + b, 0);
    totals.publishes += d.publishes;
    totals.throttled += d.throttled;
  }
  return { days, peak, totals };
}

export type ContractPhase = 'pending' | 'upcoming' | 'active' | 'over' | 'terminated' | 'cancelled' | 'ended' | 'other';

/** The contract's status as a person reads it today: an active contract whose term is over, or has not begun, says so. */
export function contractPhase(c: Pick<Contract, 'status' | 'start_date' | 'end_date'>, today: string = todayInShanghai()): ContractPhase {
  switch (c.status) {
    case 'active':
      return c.end_date < today ? 'over' : c.start_date > today ? 'upcoming' : 'active';
    case 'pending':
    case 'terminated':
    case 'cancelled':
    case 'ended':
      return c.status;
    default:
      return 'other';
  }
}
