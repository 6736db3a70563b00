/**
 * The console's single API client. Screens call typed paths through `api` and await
 * them with `call(...)`, which returns the data or throws an ApiProblem carrying the
 * server's localized message.
 */
import type { ClientPathsWithMethod, MethodResponse } from 'openapi-fetch';
import { AuthClient } from './client';
import { currentLanguage, i18n } from '@/i18n';
import type { components } from './schema';

export const auth = new AuthClient({
  language: currentLanguage,
  networkMessage: () => i18n.global.t('errors.network'),
});

export const api = auth.api;

export function call<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  return auth.call(pending);
}

export type Schemas = components['schemas'];
export type ApiClient = typeof api;
/** The success body of an operation, as the generated schema (or the bridge) types it. */
export type GetResponse<P extends ClientPathsWithMethod<ApiClient, 'get'>> = MethodResponse<ApiClient, 'get', P>;

export { ApiProblem } from './problem';
