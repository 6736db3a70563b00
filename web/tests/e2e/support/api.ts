/**
 * Direct API calls the browser tests need for setting the scene (a plan to sell, a payment
 * that activates a tenant), typed by the generated schema. These sign in without the
 * console header, so the refresh token comes back in the body and no cookie is involved.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from '../../../src/api/schema';

export type Api = ReturnType<typeof createClient<paths>>;

export async function signedInApi(origin: string, username: string, password: string): Promise<Api> {
  const anonymous = createClient<paths>({ baseUrl: origin });
  const { data, error } = await anonymous.POST('/api/v1/auth/login', { body: { username, password } });
  if (!data) throw new Error(`sign-in of ${username} failed: ${JSON.stringify(error)}`);
  return createClient<paths>({ baseUrl: origin, headers: { Authorization: `Bearer ${data.access_token}` } });
}

export function ok<T>(answer: { data?: T; error?: unknown; response: Response }, what: string): T {
  if (answer.data === undefined) {
    throw new Error(`${what} failed: ${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  return answer.data;
}

export const STANDARD_PLAN: components['schemas']['CreatePlanRequest'] = {
  name: '标准版',
  terms: {
    apps: ['pages', 'media'],
    page_quota: 50,
    storage_quota_bytes: 1024 * 1024 * 1024,
    client_rps: 50,
    sms_segments_per_year: 0,
    yearly_price_fen: 298000,
    sms_overage_millifen: 3800,
    sms_overage_allowed: false,
  },
};

/** Asia/Shanghai calendar date `days` from today. */
export function shanghaiDate(days = 0): string {
  return new Date(Date.now() + 8 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/** The first agency admin that provisionMerchant sets up. */
export const ADMIN = { username: 'admin', password: 'Admin-password-2026' };

export interface ProvisionedMerchant {
  tenantId: string;
  username: string;
  oneTimePassword: string;
}

/**
 * Sets a fresh server up through the API: the first admin (setup token), an account
 * manager, a plan with `apps`, and an active tenant with no appid whose merchant admin
 * has a one-time password.
 */
export async function provisionMerchant(
  origin: string,
  setupToken: string,
  options: { apps: components['schemas']['AppName'][]; username: string; business: string },
): Promise<ProvisionedMerchant> {
  const admin = ADMIN;
  const anonymous = createClient<paths>({ baseUrl: origin });
  ok(await anonymous.POST('/api/v1/setup', { body: { token: setupToken, ...admin } }), 'first-run setup');
  const api = await signedInApi(origin, admin.username, admin.password);
  const plan = ok(
    await api.POST('/api/v1/plans', { body: { ...STANDARD_PLAN, name: '建站版', terms: { ...STANDARD_PLAN.terms, apps: options.apps } } }),
    'creating a plan',
  );
  const am = ok(
    await api.POST('/api/v1/staff', { body: { username: 'am.e2e', display_name: '客户经理', role: 'account_manager' } }),
    'creating an account manager',
  );
  const provisioned = ok(
    await api.POST('/api/v1/tenants', {
      body: {
        business_name: options.business,
        contact: { name: '李娜', phone: '13812341234', email: 'li.na@example.cn' },
        plan_id: plan.id,
        account_manager_id: am.account.id,
        merchant_admin_username: options.username,
        contract: { payment_method: 'bank_transfer', start_date: shanghaiDate(0) },
      },
    }),
    'provisioning',
  );
  ok(
    await api.POST('/api/v1/tenants/{tenant_id}/contracts/{contract_id}/payments', {
      params: { path: { tenant_id: provisioned.tenant.id, contract_id: provisioned.contract.id } },
      body: { amount_fen: provisioned.contract.amount_fen, method: 'bank_transfer', reference: 'E2E-BUILDER', paid_on: shanghaiDate(0) },
    }),
    'recording the payment',
  );
  return { tenantId: provisioned.tenant.id, username: options.username, oneTimePassword: provisioned.merchant_admin.one_time_password };
}
