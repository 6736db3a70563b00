// Pasted numbers checked one by one as the server checks them (bad ones listed with their
// position, duplicates sent once), and the SMS figures in words.
import { describe, expect, it } from 'vitest';
import { checkNumbers, mainlandMobile, splitNumbers } from '@/views/merchant/sms/phoneNumbers';
import { batchCounts, batchSettled, millifenToYuan } from '@/views/merchant/sms/smsWords';

describe('mainlandMobile', () => {
  it('takes the forms the server takes', () => {
    for (const raw of ['13800138000', '+8613800138000', '008613800138000', '8613800138000', '138-0013-8000', ' +86 138 0013 8000 ']) {
      expect(mainlandMobile(raw)).toBe('13800138000');
    }
  });
  it('refuses what the server refuses', () => {
    for (const raw of ['12345', '12800138000', '1380013800', '138001380001', '1380013800a', '+85213800138000', '']) {
      expect(mainlandMobile(raw)).toBeNull();
    }
  });
});

describe('checkNumbers', () => {
  it('splits on lines and commas (full-width too), keeps spaces inside a number', () => {
    expect(splitNumbers('13800138000\n139 0013 9000，13700137000, 13600136000；13500135000、\n\n')).toEqual([
      '13800138000',
      '139 0013 9000',
      '13700137000',
      '13600136000',
      '13500135000',
    ]);
  });
  it('lists the bad entries by position and sends each number once', () => {
    const checked = checkNumbers('13800138000\n139-0013-9000，12345\n+86 138 0013 8000\nabc');
    expect(checked.valid).toEqual(['+8613800138000', '+8613900139000']);
    expect(checked.bad).toEqual([
      { position: 3, input: '12345', reason: 'invalid' },
      { position: 4, input: '+86 138 0013 8000', reason: 'duplicate' },
      { position: 5, input: 'abc', reason: 'invalid' },
    ]);
    expect(checkNumbers('  ')).toEqual({ valid: [], bad: [] });
  });
});

describe('SMS figures', () => {
  it('orders a batch’s counts and leaves zero ones out', () => {
    expect(batchCounts({ delivered: 2, queued: 0, undelivered: 1, submitted: 3, weird: 1 })).toEqual([
      { status: 'submitted', count: 3 },
      { status: 'delivered', count: 2 },
      { status: 'undelivered', count: 1 },
      { status: 'weird', count: 1 },
    ]);
  });
  it('is settled once every message has its final status', () => {
    expect(batchSettled({ delivered: 2, undelivered: 1, rejected: 0 })).toBe(true);
    expect(batchSettled({ delivered: 1, submitted: 1 })).toBe(false);
    expect(batchSettled({ queued: 0, delivered: 3 })).toBe(true);
  });
  it('reads a milli-fen price per segment in yuan', () => {
    expect(millifenToYuan(3800)).toBe('¥0.038');
    expect(millifenToYuan(5000)).toBe('¥0.05');
    expect(millifenToYuan(100_000)).toBe('¥1.00');
    expect(millifenToYuan(123_456)).toBe('¥1.23456');
    expect(millifenToYuan(0)).toBe('¥0.00');
  });
});
