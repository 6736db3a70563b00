import { describe, expect, it } from 'vitest';
import {
  addMonths,
  bpToPercent,
  defaultEndDate,
  fenToYuanInput,
  formatDate,
  formatDateOrTime,
  formatDateTime,
  formatFen,
  listPriceFen,
  percentToBp,
  todayInShanghai,
  yuanToFen,
} from '@/utils/format';

describe('money', () => {
  it('shows fen as yuan with two decimals and grouping', () => {
    expect(formatFen(298000)).toBe('¥2,980.00');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(149050)).toBe('¥1,490.50');
    expect(formatFen(100_000_000_00)).toBe('¥100,000,000.00');
    expect(formatFen(-1250)).toBe('-¥12.50');
  });

  it('parses typed yuan into fen without floating point', () => {
    expect(yuanToFen('2980')).toBe(298000);
    expect(yuanToFen('2,980.5')).toBe(298050);
    expect(yuanToFen('¥1490.10')).toBe(149010);
    expect(yuanToFen(' 0.07 ')).toBe(7);
    expect(yuanToFen('12.345')).toBeNull();
    expect(yuanToFen('abc')).toBeNull();
    expect(yuanToFen('')).toBeNull();
  });

  it('writes fen back for an input box', () => {
    expect(fenToYuanInput(298000)).toBe('2980.00');
    expect(fenToYuanInput(7)).toBe('0.07');
    expect(yuanToFen(fenToYuanInput(123456))).toBe(123456);
  });

  it('converts late-fee percent per day to basis points', () => {
    expect(percentToBp('0.05')).toBe(5);
    expect(percentToBp('1')).toBe(100);
    expect(percentToBp('0.5%')).toBe(50);
    expect(percentToBp('0.055')).toBeNull();
    expect(bpToPercent(5)).toBe('0.05');
  });
});

describe('dates in Asia/Shanghai', () => {
  it('shows instants in China time whatever the machine zone', () => {
    // SPEC §2.7: end date 2026-02-13 → frozen at 2026-02-14T00:00+08:00 = 2026-02-13T16:00Z
    expect(formatDateTime('2026-02-13T16:00:00Z')).toBe('2026-02-14 00:00');
    expect(formatDateTime('2026-02-13T15:59:00Z')).toBe('2026-02-13 23:59');
    expect(formatDate('2026-02-13T16:00:00Z')).toBe('2026-02-14');
    expect(formatDateTime(null)).toBe('—');
  });

  it('shows calendar dates as they are', () => {
    expect(formatDate('2026-03-07')).toBe('2026-03-07');
    expect(formatDateOrTime('2026-03-07')).toBe('2026-03-07');
    expect(formatDateOrTime('2026-03-06T16:00:00Z')).toBe('2026-03-07 00:00');
  });

  it("knows today's date in Shanghai", () => {
    expect(todayInShanghai(new Date('2026-12-31T16:30:00Z'))).toBe('2027-01-01');
    expect(todayInShanghai(new Date('2026-12-31T15:30:00Z'))).toBe('2026-12-31');
  });

  it('adds months like the server (clamping to the month end)', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2028-02-29', 12)).toBe('2029-02-28');
    expect(defaultEndDate('2026-03-15')).toBe('2027-03-14');
    expect(defaultEndDate('2028-02-29')).toBe('2029-02-27');
  });
});

describe('list price (mirrors src/domain/contract.rs)', () => {
  it('charges whole years and prorates the rest half up', () => {
    expect(listPriceFen(298_000, '2026-01-01', '2026-12-31')).toBe(298_000);
    expect(listPriceFen(298_000, '2026-03-15', '2028-03-14')).toBe(596_000);
    expect(listPriceFen(298_000, '2026-01-01', '2027-01-30')).toBe(322_493);
    expect(listPriceFen(1_000, '2026-01-01', '2026-03-14')).toBe(200);
    expect(listPriceFen(1_000, '2026-01-01', '2026-01-01')).toBe(3);
    expect(listPriceFen(365_000, '2028-02-29', '2029-02-27')).toBe(365_000);
    expect(listPriceFen(1_000, '2026-02-01', '2026-01-31')).toBeNull();
  });
});
