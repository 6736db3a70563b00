/**
 * The "add a year" form of the working-day calendar: holidays and make-up working days
 * typed (or pasted from the State Council notice) as dates, one by one or as ranges.
 * The weekday rule (make-up days are Saturdays or Sundays) is the server's: its 422 is
 * shown at the field; here only what is not a date of that year is caught.
 */

export type DateProblem =
  | { kind: 'notADate'; token: string }
  | { kind: 'otherYear'; token: string }
  | { kind: 'backwards'; token: string }
  | { kind: 'tooLong'; token: string };

export interface ParsedDates {
  /** Sorted, each once. */
  dates: string[];
  problems: DateProblem[];
}

const RANGE = /\s*(?:~|～|至|到|\.\.|–|—)\s*/;
const DATE = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/;
/** A range longer than this is surely a typo (the longest holiday block is 8 or 9 days). */
const MAX_RANGE_DAYS = 31;

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** "2027-2-6", "2027/02/06", "2027年2月6日" → "2027-02-06"; null when not a real date. */
export function normalizeDate(token: string): string | null {
  const m = DATE.exec(token.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const at = new Date(Date.UTC(y, mo - 1, d));
  if (at.getUTCFullYear() !== y || at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d) return null;
  return `${y}-${pad(mo)}-${pad(d)}`;
}

function nextDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const at = new Date(Date.UTC(y, m - 1, d + 1));
  return `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
}

/**
 * Dates separated by new lines, commas, spaces or 、；, and ranges `2027-02-05~2027-02-11`
 * (also `至`, `..`): every day of a range is included.
 */
export function parseDateList(text: string, year: number): ParsedDates {
  const out = new Set<string>();
  const problems: DateProblem[] = [];
  // Ranges first, so "2027-02-05 ~ 2027-02-11" survives the split on spaces.
  const tokens = text
    .replace(/\s*(~|～|至|到|\.\.|–|—)\s*/g, '$1')
    .split(/[\s,，、;；]+/)
    .filter((s) => s !== '');
  for (const token of tokens) {
    const parts = token.split(RANGE);
    if (parts.length > 2) {
      problems.push({ kind: 'notADate', token });
      continue;
    }
    const start = normalizeDate(parts[0] ?? '');
    const end = parts.length === 2 ? normalizeDate(parts[1] ?? '') : start;
    if (start === null || end === null) {
      problems.push({ kind: 'notADate', token });
      continue;
    }
    if (end < start) {
      problems.push({ kind: 'backwards', token });
      continue;
    }
    if (!start.startsWith(`${year}-`) || !end.startsWith(`${year}-`)) {
      problems.push({ kind: 'otherYear', token });
      continue;
    }
    const days: string[] = [];
    for (let d = start; d <= end && days.length <= MAX_RANGE_DAYS; d = nextDay(d)) days.push(d);
    if (days.length > MAX_RANGE_DAYS) {
      problems.push({ kind: 'tooLong', token });
      continue;
    }
    for (const d of days) out.add(d);
  }
  return { dates: [...out].sort(), problems };
}

/** Dates listed both as holidays and as make-up working days. */
export function inBoth(holidays: readonly string[], workdays: readonly string[]): string[] {
  const h = new Set(holidays);
  return workdays.filter((d) => h.has(d));
}

/** 0 = Monday … 6 = Sunday. */
export function weekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

/** The dates as the text box shows them: one per line. */
export function formatDateList(dates: readonly string[]): string {
  return dates.join('\n');
}
