/**
 * A deploy run as the merchant follows it: the eight steps in order (`STEPS` in
 * services/wechat/deploy.rs), each done / in progress / failed / skipped / still to come;
 * whether the screen keeps polling; which controls the run's status opens; and a rejected
 * audit's reason as readable lines. Pure, so the model is unit-tested.
 */

export const STEP_NAMES = ['domains', 'commit', 'privacy_scan', 'qrcode', 'quota', 'submit_audit', 'audit', 'release'] as const;
export type StepName = (typeof STEP_NAMES)[number];

export type StepState = 'done' | 'in_flight' | 'failed' | 'skipped' | 'waiting';

export interface RunLike {
  status: string;
  step: string;
  steps: { name: string; status: string; error?: string | null; started_at: string; finished_at?: string | null }[];
  gray_percentage?: number | null;
  audit_reason?: string | null;
  error_message?: string | null;
}

export interface TimelineStep {
  name: string;
  state: StepState;
  error: string | null;
  at: string | null;
}

/** Statuses in which a run is not finished (`status::ACTIVE`). */
const ACTIVE = new Set(['running', 'waiting_audit', 'awaiting_release', 'gray', 'paused']);

export function isActive(status: string): boolean {
  return ACTIVE.has(status);
}

/** How often to ask again, or null to stop: fast while steps run, slower while WeChat reviews. */
export function pollDelayMs(status: string): number | null {
  if (status === 'running') return 1500;
  if (status === 'waiting_audit' || status === 'paused') return 4000;
  return null;
}

function stepState(status: string): StepState {
  switch (status) {
    case 'done':
      return 'done';
    case 'in_flight':
      return 'in_flight';
    case 'failed':
      return 'failed';
    case 'skipped':
      return 'skipped';
    default:
      return 'waiting';
  }
}

/**
 * Every step of the run, in order. A step the server has not started yet is `waiting`;
 * the audit step of a run waiting for the reviewers is `in_flight` even before its row
 * exists; a rejected audit is `failed`; the release of a gray or released run is done.
 */
export function timeline(run: RunLike): TimelineStep[] {
  const byName = new Map(run.steps.map((s) => [s.name, s]));
  const names: string[] = [...STEP_NAMES];
  for (const s of run.steps) if (!names.includes(s.name)) names.push(s.name);
  return names.map((name) => {
    const row = byName.get(name);
    let state: StepState = row ? stepState(row.status) : 'waiting';
    if (name === 'audit' && run.status === 'waiting_audit' && state === 'waiting') state = 'in_flight';
    if (name === 'audit' && (run.status === 'awaiting_release' || run.status === 'gray' || run.status === 'released') && state !== 'skipped') {
      state = 'done';
    }
    if (name === 'audit' && run.status === 'failed' && run.audit_reason && state !== 'done') state = 'failed';
    if (name === 'release' && (run.status === 'released' || run.status === 'gray') && state === 'waiting') state = 'done';
    if (name === 'release' && run.status === 'awaiting_release' && state === 'waiting') state = 'in_flight';
    return {
      name,
      state,
      error: row?.error ?? null,
      at: row?.finished_at ?? row?.started_at ?? null,
    };
  });
}

/** The index of the step the run is on (for the steps bar): the first not done or skipped. */
export function activeIndex(steps: TimelineStep[]): number {
  const i = steps.findIndex((s) => s.state !== 'done' && s.state !== 'skipped');
  return i === -1 ? steps.length : i;
}

export interface RunControls {
  /** Release fully (an approved run, or a gray one to everyone). */
  release: boolean;
  /** Release to a percentage first (or raise the percentage of a gray release). */
  gray: boolean;
  /** Stop a gray release. */
  revertGray: boolean;
  /** Withdraw the audit (WeChat: 5 a day, 10 a month). */
  undoAudit: boolean;
}

export function controls(run: Pick<RunLike, 'status'>): RunControls {
  return {
    release: run.status === 'awaiting_release' || run.status === 'gray',
    gray: run.status === 'awaiting_release' || run.status === 'gray',
    revertGray: run.status === 'gray',
    undoAudit: run.status === 'waiting_audit',
  };
}

/**
 * The reviewers' reason as lines a person reads: WeChat sends HTML fragments (`<br>`,
 * `<p>`, entities) and numbered lists run together; tags go, entities are decoded, and
 * each point is a line of its own.
 */
export function reasonLines(reason: string | null | undefined): string[] {
  if (!reason) return [];
  const text = reason
    .replace(/<\s*br\s*\/?>/gi, '\n')
    .replace(/<\/\s*(p|div|li)\s*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    // "1. … 2. …" or "1、… 2、…" on one line: a line per point.
    .replace(/\s+(?=\(?\d{1,2}[.、)）](?!\d))/g, '\n');
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
