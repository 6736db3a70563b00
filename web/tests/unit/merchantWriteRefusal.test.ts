// Which tenant states close the merchant's writes, in the server's order (deleted,
// frozen, pending, then holds), and the reason a disabled control gives.
import { describe, expect, it } from 'vitest';
import { setLanguage } from '@/i18n';
import { refusalText } from '@/views/merchant/merchantTenant';
import { writeRefusal } from '@/views/merchant/writeRefusal';
import { accountManagerOf } from '@/views/merchant/home/homeFacts';

const hold = (kind: string) => ({ kind, reason: 'r', set_at: '2026-12-01T00:00:00Z' });

describe('writeRefusal', () => {
  it('leaves an active tenant without holds open', () => {
    expect(writeRefusal({ status: 'active', holds: [] })).toBeNull();
    expect(writeRefusal(null)).toBeNull();
  });
  it('closes a frozen tenant with its deletion time, even with holds', () => {
    expect(writeRefusal({ status: 'frozen', holds: [hold('overdue')], delete_after: '2026-12-20T16:00:00Z' })).toEqual({
      kind: 'frozen',
      deleteAfter: '2026-12-20T16:00:00Z',
    });
  });
  it('closes a pending tenant and an active one on hold', () => {
    expect(writeRefusal({ status: 'pending', holds: [] })).toEqual({ kind: 'pending' });
    expect(writeRefusal({ status: 'active', holds: [hold('takedown')] })).toEqual({ kind: 'on_hold', holds: ['takedown'] });
  });
});

describe('refusalText', () => {
  it('says the deletion day in China time', () => {
    setLanguage('en');
    const text = refusalText({ kind: 'frozen', deleteAfter: '2026-12-20T16:00:00Z' });
    expect(text).toContain('export your data');
    expect(text).toContain('2026-12-21 00:00');
    setLanguage('zh-CN');
    expect(refusalText({ kind: 'frozen', deleteAfter: '2026-12-20T16:00:00Z' })).toContain('2026-12-21 00:00（北京时间）删除');
  });
  it('names a takedown apart from an overdue payment', () => {
    setLanguage('en');
    expect(refusalText({ kind: 'on_hold', holds: ['overdue'] })).toContain('payment is overdue');
    expect(refusalText({ kind: 'on_hold', holds: ['overdue', 'takedown'] })).toContain('agency has put the shop on hold');
    expect(refusalText(null)).toBeNull();
  });
});

describe('accountManagerOf', () => {
  it('reads the contact, an empty phone as none, and null when none is assigned', () => {
    expect(accountManagerOf({ account_manager: { display_name: '赵敏', phone: '13800000000', email: null } })).toEqual({
      name: '赵敏',
      phone: '13800000000',
      email: null,
    });
    expect(accountManagerOf({ account_manager: null })).toBeNull();
    expect(accountManagerOf({ account_manager: { display_name: '赵敏', phone: '', email: 'zm@example.cn' } })).toEqual({
      name: '赵敏',
      phone: null,
      email: 'zm@example.cn',
    });
  });
});
