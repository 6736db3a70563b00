/**
 * The finance report's month range: `?from=YYYY-MM&to=YYYY-MM` in the URL (bookmarkable),
 * this calendar year so far (Asia/Shanghai) when absent or malformed.
 */
import type { LocationQuery } from 'vue-router';
import { todayInShanghai } from '@/utils/format';

export interface MonthRange {
  from: string;
  to: string;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export function isMonth(value: unknown): value is string {
  return typeof value === 'string' && MONTH.test(value);
}

/** January of this year to this month, in Asia/Shanghai. */
export function defaultRange(now: Date = new Date()): MonthRange {
  const today = todayInShanghai(now);
  return { from: `${today.slice(0, 4)}-01`, to: today.slice(0, 7) };
}

/** The URL's range; each end falls back to the default on its own, and a reversed range is put in order. */
export function readRange(query: LocationQuery, now: Date = new Date()): MonthRange {
  const fallback = defaultRange(now);
  const from = isMonth(query.from) ? query.from : fallback.from;
  const to = isMonth(query.to) ? query.to : fallback.to;
  return from <= to ? { from, to } : { from: to, to: from };
}

/** "2026-11" → "2026年11月" / "Nov 2026". */
export function monthLabel(month: string, lang: string): string {
  if (!isMonth(month)) return month;
  const [y, m] = month.split('-').map(Number) as [number, number];
  if (lang.startsWith('zh')) return `${y}年${m}月`;
  return new Date(Date.UTC(y, m - 1, 1)).toLocaleDateString('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });
}

/** The downloaded file's name. */
export function csvFileName(range: MonthRange): string {
  return `payments-${range.from}-to-${range.to}.csv`;
}
