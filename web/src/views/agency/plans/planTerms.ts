/**
 * A plan's terms as the form edits them (yuan, MB/GB, yuan per SMS segment) and as the API
 * speaks them (fen, bytes, milli-fen). Only what a person could mistype is checked here;
 * the server checks the rest and its 422 is shown at the field it names.
 */
import type { Schemas } from '@/api';

export type PlanTerms = Schemas['PlanTerms'];

/** The feature modules a plan can include (PlanTerms.apps). */
export const PLAN_APPS = ['pages', 'media', 'store', 'sms'] as const;
export type PlanApp = (typeof PLAN_APPS)[number];

export type StorageUnit = 'MB' | 'GB';
const MB = 1024 * 1024;
const GB = 1024 * MB;

export interface PlanTermsDraft {
  apps: string[];
  page_quota: number | null;
  storage_amount: number | null;
  storage_unit: StorageUnit;
  client_rps: number | null;
  sms_segments_per_year: number | null;
  yearly_price_fen: number | null;
  /** Yuan per SMS segment beyond the pack, as typed ("0.038"). */
  sms_overage_yuan: string;
  sms_overage_allowed: boolean;
}

/** Why a field cannot be sent (the form shows `validation.<problem>`). */
export type TermsProblem = 'required' | 'wholeNumber' | 'atLeastOne' | 'amount' | 'segmentPrice' | 'chooseApp';

export function defaultTermsDraft(): PlanTermsDraft {
  return {
    apps: ['pages', 'media'],
    page_quota: 50,
    storage_amount: 1,
    storage_unit: 'GB',
    client_rps: 50,
    sms_segments_per_year: 0,
    yearly_price_fen: null,
    sms_overage_yuan: '0.038',
    sms_overage_allowed: false,
  };
}

/** Milli-fen (1/100,000 yuan) → "0.038". */
export function millifenToYuan(millifen: number): string {
  const abs = Math.abs(Math.trunc(millifen));
  const yuan = Math.floor(abs / 100_000);
  const frac = String(abs % 100_000).padStart(5, '0').replace(/0+$/, '');
  return `${millifen < 0 ? '-' : ''}${yuan}${frac ? `.${frac.padEnd(2, '0')}` : '.00'}`;
}

/** "0.038" (yuan per segment, at most five decimals) → 3800 milli-fen; null when not such an amount. */
export function yuanToMillifen(input: string): number | null {
  const m = /^(\d+)(?:\.(\d{0,5}))?$/.exec(input.trim().replace(/^[¥￥]/, '').trim());
  if (!m) return null;
  const v = Number(m[1]) * 100_000 + Number((m[2] ?? '').padEnd(5, '0'));
  return Number.isSafeInteger(v) ? v : null;
}

/** Bytes → "1 GB", "500 MB", "1.5 GB". */
export function formatBytes(bytes: number): string {
  if (bytes >= GB) {
    const gb = bytes / GB;
    return `${Number.isInteger(gb) ? gb : gb.toFixed(1)} GB`;
  }
  if (bytes >= MB) {
    const mb = bytes / MB;
    return `${Number.isInteger(mb) ? mb : mb.toFixed(1)} MB`;
  }
  return `${bytes} B`;
}

/** The API's terms as the form shows them (a new version starts from the current one). */
export function draftFromTerms(terms: PlanTerms): PlanTermsDraft {
  const inGb = terms.storage_quota_bytes % GB === 0;
  return {
    apps: [...terms.apps],
    page_quota: terms.page_quota,
    storage_amount: inGb ? terms.storage_quota_bytes / GB : Math.round(terms.storage_quota_bytes / MB),
    storage_unit: inGb ? 'GB' : 'MB',
    client_rps: terms.client_rps,
    sms_segments_per_year: terms.sms_segments_per_year,
    yearly_price_fen: terms.yearly_price_fen,
    sms_overage_yuan: millifenToYuan(terms.sms_overage_millifen),
    sms_overage_allowed: terms.sms_overage_allowed,
  };
}

/** The chosen modules in the catalogue's order (unknown ones kept, last). */
export function isPlanApp(app: string): app is PlanApp {
  return (PLAN_APPS as readonly string[]).includes(app);
}

export function orderedApps(apps: readonly string[]): string[] {
  const known: readonly string[] = PLAN_APPS;
  return [...known.filter((a) => apps.includes(a)), ...apps.filter((a) => !known.includes(a))];
}

function isWhole(n: number | null, min: number): n is number {
  return n !== null && Number.isSafeInteger(n) && n >= min;
}

/**
 * The form → the API's terms, or the problems by field path (relative to the terms:
 * `page_quota`, `apps`, …; the caller prefixes `terms.` when the terms sit inside a plan).
 */
export function termsFromDraft(
  draft: PlanTermsDraft,
): { terms: PlanTerms; problems: null } | { terms: null; problems: Record<string, TermsProblem> } {
  const problems: Record<string, TermsProblem> = {};
  if (draft.apps.length === 0) problems.apps = 'chooseApp';
  const whole = (path: string, n: number | null, min: number): void => {
    if (n === null) problems[path] = 'required';
    else if (!isWhole(n, min)) problems[path] = min >= 1 ? 'atLeastOne' : 'wholeNumber';
  };
  whole('page_quota', draft.page_quota, 1);
  whole('storage_quota_bytes', draft.storage_amount, 1);
  whole('client_rps', draft.client_rps, 1);
  whole('sms_segments_per_year', draft.sms_segments_per_year, 0);
  if (draft.yearly_price_fen === null) problems.yearly_price_fen = 'amount';
  const overage = yuanToMillifen(draft.sms_overage_yuan);
  if (overage === null) problems.sms_overage_millifen = 'segmentPrice';
  if (Object.keys(problems).length > 0) return { terms: null, problems };
  return {
    terms: {
      apps: orderedApps(draft.apps).filter(isPlanApp),
      page_quota: draft.page_quota!,
      storage_quota_bytes: draft.storage_amount! * (draft.storage_unit === 'GB' ? GB : MB),
      client_rps: draft.client_rps!,
      sms_segments_per_year: draft.sms_segments_per_year!,
      yearly_price_fen: draft.yearly_price_fen!,
      sms_overage_millifen: overage!,
      sms_overage_allowed: draft.sms_overage_allowed,
    },
    problems: null,
  };
}

/** Price shown beside an SMS overage: "¥0.038". */
export function formatSegmentPrice(millifen: number): string {
  return `¥${millifenToYuan(millifen)}`;
}
