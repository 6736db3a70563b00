// The tenant detail's reading of the API: the deletion countdown, milestone states, a
// contract's balance and late fee, the termination's earliest date, the usage chart's
// series, the tab in the URL, and one Idempotency-Key per payment dialog opening.
import { describe, expect, it } from 'vitest';
import { nextTick, ref } from 'vue';
import type { Schemas } from '@/api';
import { ApiProblem } from '@/api/problem';
import { useIdempotencyKey } from '@/composables/idempotencyKey';
import {
  balanceOf,
  canTerminate,
  contractPhase,
  countdown,
  describeChange,
  earliestTermination,
  milestoneState,
  msToNextMinute,
  owedDetail,
  takesPayments,
  terminableContract,
  usageSeries,
} from '@/views/agency/tenant/tenantFacts';
import { readTab } from '@/views/agency/tenant/tenantTabs';

type Contract = Schemas['ContractView'];

function contract(over: Partial<Contract> = {}): Contract {
  return {
    id: 'c1',
    sequence: 1,
    status: 'active',
    activation_rule: 'full_payment',
    amount_fen: 298000,
    list_amount_fen: 298000,
    discount_fen: 0,
    paid_fen: 0,
    outstanding_fen: 298000,
    late_fee_fen: 0,
    late_fee_bp_per_day: 5,
    overdue: false,
    overdue_tolerance_days: 15,
    notice_period_days: 30,
    start_date: '2026-01-01',
    end_date: '2026-12-31',
    payment_method: 'bank_transfer',
    plan_name: '标准版',
    plan_version_id: 'v1',
    milestones: [],
    payments: [],
    ...over,
  } as Contract;
}

describe('the deletion countdown', () => {
  const now = new Date('2026-12-07T10:00:00Z');
  it('counts whole days, hours and minutes down to the instant', () => {
    expect(countdown('2026-12-19T15:30:00Z', now)).toEqual({ past: false, days: 12, hours: 5, minutes: 30 });
    expect(countdown('2026-12-07T11:59:59Z', now)).toEqual({ past: false, days: 0, hours: 1, minutes: 59 });
  });
  it('says the moment has passed, and ignores what is not a time', () => {
    expect(countdown('2026-12-07T10:00:00Z', now)?.past).toBe(true);
    expect(countdown('2026-12-01T00:00:00Z', now)?.past).toBe(true);
    expect(countdown('soon', now)).toBeNull();
  });
  it('ticks when the shown minute changes', () => {
    expect(msToNextMinute('2026-12-07T10:05:30Z', now)).toBe(30_001);
    expect(msToNextMinute('2026-12-07T09:00:00Z', now)).toBe(60_000);
  });
});

describe('milestones and balance', () => {
  const m = { seq: 1, label: '首付款', amount_fen: 100000, due_date: '2026-03-01', paid_fen: 0 };
  it('reads each milestone as paid, partly paid, unpaid or past due', () => {
    expect(milestoneState({ ...m, paid_fen: 100000 }, '2026-04-01')).toBe('paid');
    expect(milestoneState({ ...m, paid_fen: 40000 }, '2026-02-01')).toBe('partly');
    expect(milestoneState(m, '2026-03-01')).toBe('unpaid');
    expect(milestoneState({ ...m, paid_fen: 40000 }, '2026-03-02')).toBe('late');
  });
  it('adds the late fee to what settling today takes, and gives its rate in % a day', () => {
    const b = balanceOf(contract({ paid_fen: 98000, outstanding_fen: 200000, late_fee_fen: 1500 }));
    expect(b).toMatchObject({ amount: 298000, paid: 98000, outstanding: 200000, lateFee: 1500, dueToday: 201500, lateFeePercent: '0.05', settled: false });
    expect(balanceOf(contract({ late_fee_bp_per_day: 0, outstanding_fen: 0 }))).toMatchObject({ lateFeePercent: null, settled: true });
  });
  it('takes payments only while something is owed on a live contract', () => {
    expect(takesPayments(contract())).toBe(true);
    expect(takesPayments(contract({ outstanding_fen: 0 }))).toBe(false);
    expect(takesPayments(contract({ status: 'cancelled' }))).toBe(false);
  });
  it('reads the amount still owed from an overpayment refusal', () => {
    expect(owedDetail({ field: 'amount_fen', outstanding_fen: 149000 })).toBe(149000);
    expect(owedDetail({ field: 'amount_fen' })).toBeNull();
    expect(owedDetail(null)).toBeNull();
  });
});

describe('a contract’s status today', () => {
  it('says when an active contract’s term is over or has not begun', () => {
    const c = { start_date: '2026-01-01', end_date: '2026-12-31' };
    expect(contractPhase({ ...c, status: 'active' }, '2026-06-01')).toBe('active');
    expect(contractPhase({ ...c, status: 'active' }, '2027-01-01')).toBe('over');
    expect(contractPhase({ ...c, status: 'active' }, '2025-12-31')).toBe('upcoming');
    expect(contractPhase({ ...c, status: 'pending' }, '2026-06-01')).toBe('pending');
    expect(contractPhase({ ...c, status: 'weird' }, '2026-06-01')).toBe('other');
  });
});

describe('early termination', () => {
  it('starts from today plus the notice period, within the term', () => {
    const c = contract({ notice_period_days: 30 });
    expect(earliestTermination(c, '2026-06-10')).toBe('2026-07-10');
    expect(canTerminate(c, '2026-06-10')).toBe(true);
    expect(canTerminate(c, '2026-12-10')).toBe(false);
    expect(canTerminate(contract({ status: 'terminated' }), '2026-06-10')).toBe(false);
  });
  it('applies to the contract in force, else the pending one', () => {
    const first = contract({ id: 'a', sequence: 1 });
    const renewal = contract({ id: 'b', sequence: 2, status: 'pending', start_date: '2027-01-01', end_date: '2027-12-31' });
    expect(terminableContract([first, renewal], '2026-06-10')?.id).toBe('a');
    expect(terminableContract([contract({ status: 'pending' })], '2026-06-10')?.status).toBe('pending');
    expect(terminableContract([contract({ status: 'ended' })], '2026-06-10')).toBeNull();
  });
});

describe('the usage chart', () => {
  it('spreads the active days over the range, scaled to the peak', () => {
    const s = usageSeries(
      [
        { day: '2026-12-02', requests: 50, page_views: { home: 30, menu: 5 }, publishes: 1, throttled: 0 },
        { day: '2026-12-04', requests: 100, page_views: { home: 80 }, publishes: 0, throttled: 2 },
      ],
      '2026-12-01',
      '2026-12-05',
    );
    expect(s.days.map((d) => d.requests)).toEqual([0, 50, 0, 100, 0]);
    expect(s.days.map((d) => d.share)).toEqual([0, 0.5, 0, 1, 0]);
    expect(s.peak).toBe(100);
    expect(s.totals).toEqual({ requests: 150, pageViews: 115, publishes: 1, throttled: 2 });
  });
  it('draws nothing for a quiet month', () => {
    const s = usageSeries([], '2026-12-01', '2026-12-03');
    expect(s.peak).toBe(0);
    expect(s.days.every((d) => d.share === 0)).toBe(true);
  });
});

describe('the tenant detail', () => {
  it('reads the open tab from the URL', () => {
    expect(readTab('holds')).toBe('holds');
    expect(readTab(['exports'])).toBe('exports');
    expect(readTab('nope')).toBe('contracts');
    expect(readTab(undefined)).toBe('contracts');
  });
  it('shows a recorded contact as its values', () => {
    expect(describeChange({ name: '李娜', phone: '138****1234', email: null })).toBe('李娜 · 138****1234');
    expect(describeChange(null)).toBe('—');
  });
});

describe('the Idempotency-Key of the payment dialog', () => {
  function keys() {
    let n = 0;
    return () => `key-${++n}`;
  }
  it('is new for each opening and the same for every send while open', async () => {
    const open = ref(false);
    const k = useIdempotencyKey(open, keys());
    open.value = true;
    await nextTick();
    const first = k.key.value;
    // A double click or a retry after a lost answer sends the same key.
    k.afterFailure(new ApiProblem({ status: 0, code: 'network_error', message: 'offline' }));
    k.afterFailure(new ApiProblem({ status: 503, code: 'unavailable', message: 'busy' }));
    expect(k.key.value).toBe(first);
    open.value = false;
    await nextTick();
    expect(k.key.value).toBe(first);
    open.value = true;
    await nextTick();
    expect(k.key.value).not.toBe(first);
  });
  it('is renewed after a refusal, so the corrected payment is not a replay', async () => {
    const open = ref(true);
    const k = useIdempotencyKey(open, keys());
    const first = k.key.value;
    k.afterFailure(new ApiProblem({ status: 422, code: 'validation_failed', message: 'too much' }));
    expect(k.key.value).not.toBe(first);
  });
  it('is a UUID by default', () => {
    const k = useIdempotencyKey(ref(true));
    expect(k.key.value).toMatch(/^[0-9a-f-]{32,36}$/);
  });
});
