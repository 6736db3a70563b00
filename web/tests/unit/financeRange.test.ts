// The finance report's month range in the URL (this year so far by default, each end
// checked on its own, a reversed range put in order), month names in both languages, the
// CSV's file name; and the branding logo's file rules checked before an upload.
import { describe, expect, it } from 'vitest';
import { csvFileName, defaultRange, isMonth, monthLabel, readRange } from '@/views/agency/finance/financeRange';
import { LOGO_MAX_BYTES, logoProblem } from '@/views/agency/branding/logoFile';

// 2026-12-31 20:00 UTC is already 2027-01-01 in Shanghai.
const NEW_YEAR_IN_SHANGHAI = new Date('2026-12-31T20:00:00Z');
const MID_YEAR = new Date('2026-07-15T04:00:00Z');

describe('the finance month range', () => {
  it('defaults to January to this month, in Asia/Shanghai', () => {
    expect(defaultRange(MID_YEAR)).toEqual({ from: '2026-01', to: '2026-07' });
    expect(defaultRange(NEW_YEAR_IN_SHANGHAI)).toEqual({ from: '2027-01', to: '2027-01' });
  });

  it('reads the URL, keeping a good end when the other is malformed, and orders a reversed range', () => {
    expect(readRange({ from: '2026-03', to: '2026-05' }, MID_YEAR)).toEqual({ from: '2026-03', to: '2026-05' });
    expect(readRange({ from: '2026-13', to: '2026-05' }, MID_YEAR)).toEqual({ from: '2026-01', to: '2026-05' });
    expect(readRange({ from: '2026-06' }, MID_YEAR)).toEqual({ from: '2026-06', to: '2026-07' });
    expect(readRange({ from: '2026-09', to: '2026-02' }, MID_YEAR)).toEqual({ from: '2026-02', to: '2026-09' });
    expect(readRange({ from: ['2026-02', '2026-03'] }, MID_YEAR)).toEqual({ from: '2026-01', to: '2026-07' });
  });

  it('accepts only YYYY-MM months', () => {
    expect(isMonth('2026-11')).toBe(true);
    expect(isMonth('2026-1')).toBe(false);
    expect(isMonth('2026-00')).toBe(false);
    expect(isMonth(202611)).toBe(false);
  });

  it('names months in both languages and the CSV after its range', () => {
    expect(monthLabel('2026-11', 'zh-CN')).toBe('2026年11月');
    expect(monthLabel('2026-11', 'en')).toBe('Nov 2026');
    expect(monthLabel('garbage', 'en')).toBe('garbage');
    expect(csvFileName({ from: '2026-01', to: '2026-11' })).toBe('payments-2026-01-to-2026-11.csv');
  });
});

describe('the branding logo file', () => {
  it('takes PNG, JPEG and WebP up to 256 KiB', () => {
    expect(logoProblem({ type: 'image/png', size: LOGO_MAX_BYTES })).toBeNull();
    expect(logoProblem({ type: 'image/webp', size: 1 })).toBeNull();
    expect(logoProblem({ type: 'image/jpeg', size: LOGO_MAX_BYTES + 1 })).toBe('size');
    expect(logoProblem({ type: 'image/gif', size: 10 })).toBe('type');
    expect(logoProblem({ type: 'image/svg+xml', size: 10 })).toBe('type');
  });
});
