/**
 * SMS figures in words: a message status's label, the per-status counts of a batch in a
 * fixed order, the pack, and milli-fen prices in yuan.
 */
import { formatFen } from '@/utils/format';
import type { Translate } from '../assets/assetWords';

/** The statuses a message passes through, in the order the counts are shown. */
export const MESSAGE_STATUSES = ['queued', 'sending', 'submitted', 'delivered', 'undelivered', 'rejected', 'unknown'] as const;

/** Statuses after which nothing changes any more. */
const FINAL = new Set(['delivered', 'undelivered', 'rejected', 'unknown']);

export function statusLabel(status: string, t: Translate): string {
  switch (status) {
    case 'queued':
      return t('merchant.sms.status.queued');
    case 'sending':
      return t('merchant.sms.status.sending');
    case 'submitted':
      return t('merchant.sms.status.submitted');
    case 'delivered':
      return t('merchant.sms.status.delivered');
    case 'undelivered':
      return t('merchant.sms.status.undelivered');
    case 'rejected':
      return t('merchant.sms.status.rejected');
    case 'unknown':
      return t('merchant.sms.status.unknown');
    default:
      return status;
  }
}

/** A batch's counts in display order, zero counts left out; unknown statuses at the end. */
export function batchCounts(statuses: Record<string, number>): { status: string; count: number }[] {
  const known: string[] = [...MESSAGE_STATUSES];
  const order = [...known, ...Object.keys(statuses).filter((s) => !known.includes(s)).sort()];
  return order.map((status) => ({ status, count: statuses[status] ?? 0 })).filter((c) => c.count > 0);
}

/** Whether every message of the batch has its final status (polling stops). */
export function batchSettled(statuses: Record<string, number>): boolean {
  return Object.entries(statuses).every(([status, count]) => count === 0 || FINAL.has(status));
}

/** A price per segment in milli-fen as yuan: 3800 → "¥0.038". */
export function millifenToYuan(millifen: number): string {
  const negative = millifen < 0;
  const abs = Math.abs(Math.trunc(millifen));
  const yuan = Math.floor(abs / 100_000);
  const rest = String(abs % 100_000).padStart(5, '0').replace(/0+$/, '');
  const decimals = rest.length < 2 ? rest.padEnd(2, '0') : rest;
  return `${negative ? '-' : ''}¥${yuan}.${decimals}`;
}

/** Fen as yuan (the report's overage). */
export function fenToYuan(fen: number): string {
  return formatFen(fen);
}
