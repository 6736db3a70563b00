/**
 * A roll-out's progress in the numbers an operator reads: how many targets are finished
 * (their run released, failed or withdrawn, or the target skipped), how many runs are
 * still under way, how many have not started. Pure, so the bar and the words agree.
 */
import type { Schemas } from '@/api';
import { FINISHED_RUN_STATUSES } from './platformLabels';

export type Rollout = Schemas['RolloutView'];

export interface RolloutProgress {
  targets: number;
  finished: number;
  released: number;
  failed: number;
  inFlight: number;
  pending: number;
  skipped: number;
  /** 0–100, whole. */
  percent: number;
}

export function rolloutProgress(r: Rollout): RolloutProgress {
  const counts = r.by_status as Record<string, number | undefined>;
  let finishedRuns = 0;
  let inFlight = 0;
  for (const [status, n] of Object.entries(counts)) {
    if (FINISHED_RUN_STATUSES.includes(status)) finishedRuns += n ?? 0;
    else inFlight += n ?? 0;
  }
  const finished = finishedRuns + r.skipped;
  const percent = r.targets === 0 ? 100 : Math.min(100, Math.floor((finished * 100) / r.targets));
  return {
    targets: r.targets,
    finished,
    released: counts.released ?? 0,
    failed: (counts.failed ?? 0) + (counts.withdrawn ?? 0),
    inFlight,
    pending: r.pending,
    skipped: r.skipped,
    percent,
  };
}

/** Whether the roll-out can still change (so the screen keeps polling it). */
export function isLive(r: Rollout): boolean {
  return r.status !== 'done';
}

/** Counts of a map, largest first (by_step, failures). */
export function countsOf(map: Record<string, number | undefined>): { key: string; count: number }[] {
  return Object.entries(map)
    .map(([key, n]) => ({ key, count: n ?? 0 }))
    .filter((e) => e.count > 0)
    .sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

/**
 * Why a roll-out is paused, in the UI's language: the server stores the reason once in both
 * languages, `中文 / English`; the part for `lang` is shown when the text has that form,
 * the whole text otherwise.
 */
export function pausedReasonIn(reason: string, lang: string): string {
  const parts = reason.split(' / ');
  if (parts.length !== 2 || !/[\u4e00-\u9fff]/.test(parts[0]!) || /[\u4e00-\u9fff]/.test(parts[1]!)) return reason;
  return (lang.startsWith('zh') ? parts[0]! : parts[1]!).trim();
}
