/**
 * The provisioning wizard's model: what the form holds, the request body it becomes
 * (`POST /api/v1/tenants`, typed by the generated schema), which step owns which field
 * (so a 422 from the server opens the step with the field it names), and the few checks
 * made before asking the server (required fields, amounts that are not numbers).
 */
import type { Schemas } from '@/api';
import { isWithin, normalizeFieldPath } from '@/composables/serverErrors';
import { defaultEndDate, percentToBp, todayInShanghai } from '@/utils/format';

export type ProvisionBody = Schemas['ProvisionInput'];
export type PaymentMethod = Schemas['PaymentMethod'];
export type ActivationRule = Schemas['ActivationRule'];

export const PAYMENT_METHODS: readonly PaymentMethod[] = ['bank_transfer', 'cash', 'cheque', 'other'];

export interface MilestoneDraft {
  label: string;
  amount_fen: number | null;
  due_date: string | null;
}

export interface ProvisionForm {
  business_name: string;
  contact: { name: string; phone: string; email: string };
  merchant_admin_username: string;
  plan_id: string | null;
  account_manager_id: string | null;
  appid: string;
  contract: {
    start_date: string | null;
    end_date: string | null;
    discount_fen: number | null;
    payment_method: PaymentMethod;
    activation_rule: ActivationRule;
    /** Late fee in % of the overdue amount per day, as typed ("0.05"). */
    late_fee_percent: string;
    overdue_tolerance_days: number;
    notice_period_days: number;
    milestones: MilestoneDraft[];
  };
}

export function emptyProvisionForm(today: string = todayInShanghai()): ProvisionForm {
  return {
    business_name: '',
    contact: { name: '', phone: '', email: '' },
    merchant_admin_username: '',
    plan_id: null,
    account_manager_id: null,
    appid: '',
    contract: {
      start_date: today,
      end_date: defaultEndDate(today),
      discount_fen: 0,
      payment_method: 'bank_transfer',
      activation_rule: 'full_payment',
      late_fee_percent: '0.00',
      overdue_tolerance_days: 15,
      notice_period_days: 30,
      milestones: [],
    },
  };
}

export type WizardStep = 'business' | 'plan' | 'contract' | 'review';

export const WIZARD_STEPS: readonly { key: WizardStep; paths: readonly string[] }[] = [
  { key: 'business', paths: ['business_name', 'contact', 'merchant_admin_username'] },
  { key: 'plan', paths: ['plan_id', 'account_manager_id'] },
  { key: 'contract', paths: ['contract'] },
  { key: 'review', paths: ['appid'] },
];

/** The step whose form holds `field` (the review step for anything else). */
export function stepOfField(field: string): number {
  const path = normalizeFieldPath(field);
  const index = WIZARD_STEPS.findIndex((s) => s.paths.some((p) => isWithin(path, p)));
  return index === -1 ? WIZARD_STEPS.length - 1 : index;
}

export type LocalProblem = 'required' | 'amount' | 'percent';

/** Checks made before the server is asked; the server decides everything else. */
export function checkStep(
  step: WizardStep,
  form: ProvisionForm,
  needsAccountManager: boolean,
): { path: string; problem: LocalProblem }[] {
  const out: { path: string; problem: LocalProblem }[] = [];
  const required = (path: string, value: string | null) => {
    if (value === null || value.trim() === '') out.push({ path, problem: 'required' });
  };
  if (step === 'business') {
    required('business_name', form.business_name);
    required('contact.name', form.contact.name);
    required('contact.phone', form.contact.phone);
    required('contact.email', form.contact.email);
    required('merchant_admin_username', form.merchant_admin_username);
  } else if (step === 'plan') {
    required('plan_id', form.plan_id);
    if (needsAccountManager) required('account_manager_id', form.account_manager_id);
  } else if (step === 'contract') {
    const c = form.contract;
    required('contract.start_date', c.start_date);
    if (c.discount_fen === null) out.push({ path: 'contract.discount_fen', problem: 'amount' });
    if (percentToBp(c.late_fee_percent) === null) {
      out.push({ path: 'contract.late_fee_bp_per_day', problem: 'percent' });
    }
    c.milestones.forEach((m, i) => {
      if (m.amount_fen === null) out.push({ path: `contract.milestones.${i}.amount_fen`, problem: 'amount' });
      required(`contract.milestones.${i}.due_date`, m.due_date);
    });
  }
  return out;
}

function optional(value: string): string | undefined {
  const v = value.trim();
  return v === '' ? undefined : v;
}

/** The request body; call after `checkStep` passed for every step. */
export function buildProvisionBody(form: ProvisionForm, needsAccountManager: boolean): ProvisionBody {
  const c = form.contract;
  return {
    business_name: form.business_name.trim(),
    contact: {
      name: form.contact.name.trim(),
      phone: form.contact.phone.trim(),
      email: form.contact.email.trim(),
    },
    merchant_admin_username: form.merchant_admin_username.trim(),
    plan_id: form.plan_id ?? '',
    account_manager_id: needsAccountManager ? form.account_manager_id : undefined,
    appid: optional(form.appid),
    contract: {
      start_date: c.start_date,
      end_date: c.end_date,
      discount_fen: c.discount_fen ?? 0,
      payment_method: c.payment_method,
      activation_rule: c.activation_rule,
      late_fee_bp_per_day: percentToBp(c.late_fee_percent) ?? 0,
      overdue_tolerance_days: c.overdue_tolerance_days,
      notice_period_days: c.notice_period_days,
      milestones: c.milestones.map((m) => ({
        label: optional(m.label),
        amount_fen: m.amount_fen ?? 0,
        due_date: m.due_date ?? '',
      })),
    },
  };
}
