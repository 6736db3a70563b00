import { describe, expect, it } from 'vitest';
import { buildProvisionBody, checkStep, emptyProvisionForm } from '@/views/agency/provision';

function filled() {
  const form = emptyProvisionForm('2026-03-15');
  form.business_name = ' 好味小馆 ';
  form.contact = { name: '李娜', phone: '13812341234', email: 'li.na@example.cn' };
  form.merchant_admin_username = 'haowei.admin';
  form.plan_id = '0192f0c1-7a8b-7c3d-9e4f-a1b2c3d4e5f6';
  form.account_manager_id = '0192f0c1-7a8b-7c3d-9e4f-a1b2c3d4e5f7';
  return form;
}

describe('provisioning wizard model', () => {
  it('starts with a one-year term from today and the contract defaults', () => {
    const form = emptyProvisionForm('2026-03-15');
    expect(form.contract.start_date).toBe('2026-03-15');
    expect(form.contract.end_date).toBe('2027-03-14');
    expect(form.contract.notice_period_days).toBe(30);
    expect(form.contract.overdue_tolerance_days).toBe(15);
  });

  it('checks required fields per step before asking the server', () => {
    const empty = emptyProvisionForm('2026-03-15');
    expect(checkStep('business', empty, false).map((p) => p.path)).toEqual([
      'business_name',
      'contact.name',
      'contact.phone',
      'contact.email',
      'merchant_admin_username',
    ]);
    expect(checkStep('plan', empty, true).map((p) => p.path)).toEqual(['plan_id', 'account_manager_id']);
    expect(checkStep('plan', empty, false).map((p) => p.path)).toEqual(['plan_id']);

    const form = filled();
    form.contract.discount_fen = null;
    form.contract.late_fee_percent = '0.055';
    form.contract.milestones = [{ label: '', amount_fen: null, due_date: null }];
    expect(checkStep('contract', form, false)).toEqual([
      { path: 'contract.discount_fen', problem: 'amount' },
      { path: 'contract.late_fee_bp_per_day', problem: 'percent' },
      { path: 'contract.milestones.0.amount_fen', problem: 'amount' },
      { path: 'contract.milestones.0.due_date', problem: 'required' },
    ]);
  });

  it('builds the POST /api/v1/tenants body in fen and basis points', () => {
    const form = filled();
    form.appid = '  ';
    form.contract.discount_fen = 8000;
    form.contract.late_fee_percent = '0.05';
    form.contract.milestones = [
      { label: '首付款', amount_fen: 145000, due_date: '2026-03-15' },
      { label: '', amount_fen: 145000, due_date: '2026-06-15' },
    ];
    const body = buildProvisionBody(form, true);
    expect(body).toEqual({
      business_name: '好味小馆',
      contact: { name: '李娜', phone: '13812341234', email: 'li.na@example.cn' },
      merchant_admin_username: 'haowei.admin',
      plan_id: '0192f0c1-7a8b-7c3d-9e4f-a1b2c3d4e5f6',
      account_manager_id: '0192f0c1-7a8b-7c3d-9e4f-a1b2c3d4e5f7',
      appid: undefined,
      contract: {
        start_date: '2026-03-15',
        end_date: '2027-03-14',
        discount_fen: 8000,
        payment_method: 'bank_transfer',
        activation_rule: 'full_payment',
        late_fee_bp_per_day: 5,
        overdue_tolerance_days: 15,
        notice_period_days: 30,
        milestones: [
          { label: '首付款', amount_fen: 145000, due_date: '2026-03-15' },
          { label: undefined, amount_fen: 145000, due_date: '2026-06-15' },
        ],
      },
    });
    // An account manager provisions for themself: the field is left out.
    expect(buildProvisionBody(form, false).account_manager_id).toBeUndefined();
  });
});
