// The deploy timeline: the eight steps in order with their states as the run advances,
// when the screen polls, which controls each status opens, and a rejected audit's reason
// as readable lines.
import { describe, expect, it } from 'vitest';
import { activeIndex, controls, pollDelayMs, reasonLines, timeline, type RunLike } from '@/views/merchant/miniprogram/deployTimeline';
import { versionFacts } from '@/views/merchant/miniprogram/wechatWords';

const at = '2026-12-07T10:00:00Z';
const step = (name: string, status: string, error: string | null = null) => ({ name, status, error, started_at: at, finished_at: status === 'in_flight' ? null : at });

function run(status: string, steps: RunLike['steps'], extra: Partial<RunLike> = {}): RunLike {
  return { status, step: steps.at(-1)?.name ?? 'domains', steps, ...extra };
}

describe('timeline', () => {
  it('lists every step in order, the ones not started as waiting', () => {
    const tl = timeline(run('running', [step('domains', 'done'), step('commit', 'in_flight')]));
    expect(tl.map((s) => s.name)).toEqual(['domains', 'commit', 'privacy_scan', 'qrcode', 'quota', 'submit_audit', 'audit', 'release']);
    expect(tl.map((s) => s.state)).toEqual(['done', 'in_flight', 'waiting', 'waiting', 'waiting', 'waiting', 'waiting', 'waiting']);
    expect(activeIndex(tl)).toBe(1);
  });

  it('shows the review in progress while WeChat reviews, and counts skipped steps as passed', () => {
    const steps = ['domains', 'commit', 'privacy_scan', 'qrcode', 'quota', 'submit_audit'].map((n) => step(n, n === 'privacy_scan' ? 'skipped' : 'done'));
    const tl = timeline(run('waiting_audit', steps));
    expect(tl.find((s) => s.name === 'audit')?.state).toBe('in_flight');
    expect(tl.find((s) => s.name === 'privacy_scan')?.state).toBe('skipped');
    expect(activeIndex(tl)).toBe(6);
  });

  it('marks the review done and the release waiting for the merchant once approved', () => {
    const steps = ['domains', 'commit', 'privacy_scan', 'qrcode', 'quota', 'submit_audit'].map((n) => step(n, 'done'));
    const tl = timeline(run('awaiting_release', steps));
    expect(tl.slice(-2).map((s) => s.state)).toEqual(['done', 'in_flight']);
  });

  it('ends all done when released (gray too)', () => {
    const steps = ['domains', 'commit', 'privacy_scan', 'qrcode', 'quota', 'submit_audit', 'audit'].map((n) => step(n, 'done'));
    for (const status of ['released', 'gray']) {
      const tl = timeline(run(status, steps));
      expect(tl.every((s) => s.state === 'done')).toBe(true);
      expect(activeIndex(tl)).toBe(8);
    }
  });

  it('marks a rejected review as failed, and a failed step with its error', () => {
    const steps = ['domains', 'commit', 'privacy_scan', 'qrcode', 'quota', 'submit_audit'].map((n) => step(n, 'done'));
    expect(timeline(run('failed', steps, { audit_reason: '内容不符合规范' })).find((s) => s.name === 'audit')?.state).toBe('failed');
    const broken = timeline(run('failed', [step('domains', 'done'), step('commit', 'failed', 'errcode 85013')]));
    expect(broken[1]).toMatchObject({ state: 'failed', error: 'errcode 85013' });
    expect(activeIndex(broken)).toBe(1);
  });
});

describe('polling and controls', () => {
  it('polls quickly while steps run, slower in review, and stops when finished', () => {
    expect(pollDelayMs('running')).toBe(1500);
    expect(pollDelayMs('waiting_audit')).toBe(4000);
    for (const s of ['awaiting_release', 'released', 'failed', 'withdrawn']) expect(pollDelayMs(s)).toBeNull();
  });

  it('opens release and gray once approved, revert only while gray, undo only in review', () => {
    expect(controls({ status: 'awaiting_release' })).toEqual({ release: true, gray: true, revertGray: false, undoAudit: false });
    expect(controls({ status: 'gray' })).toEqual({ release: true, gray: true, revertGray: true, undoAudit: false });
    expect(controls({ status: 'waiting_audit' })).toEqual({ release: false, gray: false, revertGray: false, undoAudit: true });
    expect(controls({ status: 'released' })).toEqual({ release: false, gray: false, revertGray: false, undoAudit: false });
  });
});

describe('reasonLines', () => {
  it('turns WeChat’s HTML reason into one line per point', () => {
    expect(reasonLines('1. 小程序名称与内容不符<br>2. 缺少隐私协议&nbsp;入口<br/>')).toEqual(['1. 小程序名称与内容不符', '2. 缺少隐私协议 入口']);
    expect(reasonLines('<p>Your mini program:</p><p>1、content is empty 2、category &amp; service do not match</p>')).toEqual([
      'Your mini program:',
      '1、content is empty',
      '2、category & service do not match',
    ]);
  });
  it('keeps version numbers whole and reads nothing as nothing', () => {
    expect(reasonLines('Version 1.2.3 crashes on start')).toEqual(['Version 1.2.3 crashes on start']);
    expect(reasonLines(null)).toEqual([]);
    expect(reasonLines('  ')).toEqual([]);
  });
});

describe('versionFacts', () => {
  it('reads WeChat’s online and trial versions', () => {
    expect(versionFacts({ exp_info: { exp_version: '1.0.1', exp_desc: 'trial' }, release_info: { release_version: '1.0.0', release_desc: 'first' } })).toEqual({
      online: { version: '1.0.0', description: 'first' },
      trial: { version: '1.0.1', description: 'trial' },
    });
    expect(versionFacts({ errcode: 0 })).toEqual({ online: null, trial: null });
  });
});
