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
