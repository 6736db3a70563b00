/**
 * Formatting shared by every screen: money (the API speaks integer fen, people read yuan
 * with two decimals) and dates (the business runs on Asia/Shanghai time).
 */

export const BUSINESS_TIME_ZONE = 'Asia/Shanghai';

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** 298000 → "¥2,980.00"; -1250 → "-¥12.50". Integer arithmetic only. */
export function formatFen(fen: number): string {
  if (!Number.isFinite(fen)) return '—';
  const whole = Math.trunc(fen);
  const sign = whole < 0 ? '-' : '';
  const abs = Math.abs(whole);
  const yuan = Math.floor(abs / 100);
  const cents = abs % 100;
  return `${sign}¥${group(String(yuan))}.${String(cents).padStart(2, '0')}`;
}

/** 298000 → "2980.00" (for an input box). */
export function fenToYuanInput(fen: number): string {
  const abs = Math.abs(Math.trunc(fen));
  return `${fen < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/**
 * Parses what a person types as yuan ("2980", "2,980.5", "¥2980.00") into fen, without
 * floating point. `null` when it is not an amount with at most two decimals.
 */
export function yuanToFen(input: string): number | null {
  const cleaned = input.trim().replace(/^[¥￥]/, '').replace(/,/g, '').trim();
  const m = /^(-)?(\d+)(?:\.(\d{0,2}))?$/.exec(cleaned);
  if (!m) return null;
  const yuan = Number(m[2]);
  const cents = Number((m[3] ?? '').padEnd(2, '0'));
  const fen = yuan * 100 + cents;
  if (!Number.isSafeInteger(fen)) return null;
  return m[1] ? -fen : fen;
}

type Parts = Record<'year' | 'month' | 'day' | 'hour' | 'minute', string>;

const shanghaiParts = new Intl.DateTimeFormat('en-GB', {
  timeZone: BUSINESS_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function partsOf(instant: Date): Parts {
  const out: Partial<Parts> = {};
  for (const p of shanghaiParts.formatToParts(instant)) {
    if (p.type === 'year' || p.type === 'month' || p.type === 'day' || p.type === 'hour' || p.type === 'minute') {
      out[p.type] = p.value;
    }
  }
  return out as Parts;
}

function toInstant(value: string | Date): Date | null {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** An instant as "YYYY-MM-DD HH:mm" in Asia/Shanghai. */
export function formatDateTime(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const d = toInstant(value);
  if (!d) return String(value);
  const p = partsOf(d);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
}

/**
 * A date: a calendar date ("YYYY-MM-DD", already Asia/Shanghai per the API) is shown as
 * it is; an instant is shown as its Asia/Shanghai calendar date.
 */
export function formatDate(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = toInstant(value);
  if (!d) return String(value);
  const p = partsOf(d);
  return `${p.year}-${p.month}-${p.day}`;
}

/** Today's date in Asia/Shanghai, "YYYY-MM-DD". */
export function todayInShanghai(now: Date = new Date()): string {
  return formatDate(now);
}

function parseDate(date: string): { y: number; m: number; d: number } | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return null;
  return { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) };
}

function fromUtc(ms: number): string {
  const d = new Date(ms);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  return `${y}-${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** Calendar arithmetic on "YYYY-MM-DD". */
export function addDays(date: string, days: number): string {
  const p = parseDate(date);
  if (!p) throw new Error(`not a date: ${date}`);
  return fromUtc(Date.UTC(p.y, p.m - 1, p.d + days));
}

/** Adds months, clamping to the month's last day (as the server's chrono does). */
export function addMonths(date: string, months: number): string {
  const p = parseDate(date);
  if (!p) throw new Error(`not a date: ${date}`);
  const first = new Date(Date.UTC(p.y, p.m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return fromUtc(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(p.d, lastDay)));
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  const a = parseDate(from);
  const b = parseDate(to);
  if (!a || !b) throw new Error('not a date');
  return Math.round((Date.UTC(b.y, b.m - 1, b.d) - Date.UTC(a.y, a.m - 1, a.d)) / 86_400_000);
}

/** The default last day of a term starting `start`: one year later, less a day. */
export function defaultEndDate(start: string): string {
  return addDays(addMonths(start, 12), -1);
}

/**
 * The list price of the term `start..=end` at `yearlyFen` a year, as the server computes
 * it (src/domain/contract.rs `list_price`): the yearly price per whole year from `start`,
 * plus the remaining days at yearly × days / 365, rounded half up to the fen.
 */
export function listPriceFen(yearlyFen: number, start: string, end: string): number | null {
  if (daysBetween(start, end) < 0) return null;
  let wholeYears = 0;
  while (addDays(addMonths(start, 12 * (wholeYears + 1)), -1) <= end) wholeYears += 1;
  const remainderStart = addMonths(start, 12 * wholeYears);
  const remainderDays = daysBetween(remainderStart, end) + 1;
  const prorated =
    remainderDays > 0 ? Math.floor((yearlyFen * remainderDays * 2 + 365) / (365 * 2)) : 0;
  return yearlyFen * wholeYears + prorated;
}

/** Basis points per day → "0.05" (% per day); and back. */
export function bpToPercent(bp: number): string {
  return (bp / 100).toFixed(2);
}

export function percentToBp(input: string): number | null {
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(input.trim().replace(/%$/, '').trim());
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** A calendar date as it is; an instant as date and time in Asia/Shanghai. */
export function formatDateOrTime(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? value : formatDateTime(value);
}
