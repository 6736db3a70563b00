/**
 * The console's API client: openapi-fetch typed by the generated schema, with the browser
 * session handled in one place (CONSOLE.md, "Auth in the browser").
 *
 * - The access token lives in this object only (memory); nothing is written to web storage.
 * - The refresh token is an HttpOnly cookie scoped to /api/v1/auth that the server sets
 *   because every request carries `X-Weapp-Client: console`; the console never sees it.
 * - A 401 `token_expired` refreshes once (serialized across tabs with the Web Locks API,
 *   within the tab by sharing one promise) and retries the request once.
 * - Every request carries `Accept-Language` in the UI's language, so error messages come
 *   back localized.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './schema';
import type { components } from './schema';
import { ApiProblem, problemFrom } from './problem';

export type Account = components['schemas']['AccountView'];
export type Role = components['schemas']['Role'];
export type UiLanguage = 'zh-CN' | 'en';

export const CLIENT_HEADER = 'X-Weapp-Client';
export const CLIENT_NAME = 'console';
export const REFRESH_LOCK = 'weapp-auth-refresh';

/** Operations that never carry the bearer token and never trigger a refresh. */
const ANONYMOUS_PATHS = ['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/setup'];
/** 401 codes after which the session is over (a refresh cannot help). */
const SESSION_OVER = new Set(['invalid_token', 'session_revoked', 'account_disabled', 'unauthenticated']);

export interface Session {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly mustChangePassword: boolean;
  readonly account: Account;
}

/** The fields of a token answer the console uses (login, refresh, password change, setup). */
export type TokenAnswer = Pick<
  components['schemas']['TokenPair'],
  'access_token' | 'expires_in' | 'must_change_password' | 'account'
>;

export type SessionChange = 'signed-in' | 'refreshed' | 'signed-out' | 'expired';
export type SessionListener = (session: Session | null, change: SessionChange) => void;

/** The part of `navigator.locks` we use. */
export interface RefreshLocks {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
}

export interface AuthClientOptions {
  /** Base fetch (tests pass a fake); defaults to the global fetch at call time. */
  fetch?: (request: Request) => Promise<Response>;
  /** Cross-tab lock manager; defaults to `navigator.locks` when present. `null` = none. */
  locks?: RefreshLocks | null;
  /** The UI language, read for every request. */
  language: () => UiLanguage;
  /** Absolute origin of the API (defaults to the page's origin). */
  baseUrl?: string;
  /** Text for a request that never reached the server, in the UI language. */
  networkMessage: () => string;
}

type Answer<T> = { data?: T; error?: unknown; response: Response };

function defaultLocks(): RefreshLocks | null {
  if (typeof navigator !== 'undefined' && navigator.locks && typeof navigator.locks.request === 'function') {
    const locks = navigator.locks;
    return { request: (name, callback) => locks.request(name, () => callback()) };
  }
  return null;
}

async function errorCode(response: Response): Promise<string | null> {
  try {
    const body: unknown = await response.clone().json();
    if (body && typeof body === 'object' && typeof (body as { code?: unknown }).code === 'string') {
      return (body as { code: string }).code;
    }
  } catch {
    // not JSON
  }
  return null;
}

export class AuthClient {
  readonly api: Client<paths>;
  private current: Session | null = null;
  private inflight: Promise<Session | null> | null = null;
  private readonly listeners = new Set<SessionListener>();
  private readonly baseFetch: (request: Request) => Promise<Response>;
  private readonly locks: RefreshLocks | null;
  private readonly language: () => UiLanguage;
  private readonly networkMessage: () => string;

  constructor(options: AuthClientOptions) {
    const custom = options.fetch;
    this.baseFetch = custom ?? ((request) => globalThis.fetch(request));
    this.locks = options.locks === undefined ? defaultLocks() : options.locks;
    this.language = options.language;
    this.networkMessage = options.networkMessage;
    const baseUrl =
      options.baseUrl ?? (typeof location !== 'undefined' ? location.origin : 'http://localhost');
    this.api = createClient<paths>({
      baseUrl,
      fetch: (request) => this.send(request),
    });
  }

  /** The signed-in session, if any. */
  get session(): Session | null {
    return this.current;
  }

  onChange(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Awaits an openapi-fetch call: its data on success, an {@link ApiProblem} thrown
   * otherwise (with the server's localized message), including when the server was not
   * reached.
   */
  async call<T>(pending: Promise<Answer<T>>): Promise<T> {
    let answer: Answer<T>;
    try {
      answer = await pending;
    } catch (cause) {
      if (cause instanceof ApiProblem) throw cause;
      throw new ApiProblem({ status: 0, code: 'network_error', message: this.networkMessage() });
    }
    if (answer.response.ok) return answer.data as T;
    throw problemFrom(answer.response, answer.error, this.networkMessage());
  }

  /**
   * The current access token, for the one request openapi-fetch cannot make: an upload
   * with progress (XHR). Read per request and never stored.
   */
  bearer(): string | null {
    return this.current?.accessToken ?? null;
  }

  /** Restores the session from the refresh cookie (on start, after a reload). */
  async restore(): Promise<Session | null> {
    try {
      return await this.refresh();
    } catch {
      return null;
    }
  }

  /**
   * Exchanges the refresh cookie for a new access token. Concurrent callers in this tab
   * share one exchange; across tabs the exchanges are serialized by a Web Lock.
   */
  refresh(): Promise<Session | null> {
    if (!this.inflight) {
      this.inflight = this.underLock(() => this.exchange()).finally(() => {
        this.inflight = null;
      });
    }
    return this.inflight;
  }

  async login(username: string, password: string): Promise<Session> {
    const answer = await this.call(this.api.POST('/api/v1/auth/login', { body: { username, password } }));
    return this.adopt(answer, 'signed-in');
  }

  async setup(token: string, username: string, password: string): Promise<Session> {
    const answer = await this.call(
      this.api.POST('/api/v1/setup', { body: { token, username, password } }),
    );
    return this.adopt(answer, 'signed-in');
  }

  async changePassword(currentPassword: string, newPassword: string): Promise<Session> {
    const answer = await this.call(
      this.api.POST('/api/v1/auth/password', {
        body: { current_password: currentPassword, new_password: newPassword },
      }),
    );
    return this.adopt(answer, 'refreshed');
  }

  /** Ends this session (or every session of the account); local state is cleared either way. */
  async logout(everywhere = false): Promise<void> {
    try {
      if (this.current) {
        await this.call(this.api.POST('/api/v1/auth/logout', { params: { query: { everywhere } } }));
      }
    } finally {
      this.drop('signed-out');
    }
  }

  private adopt(answer: TokenAnswer, change: SessionChange): Session {
    this.current = {
      accessToken: answer.access_token,
      expiresIn: answer.expires_in,
      mustChangePassword: answer.must_change_password,
      account: answer.account,
    };
    this.emit(change);
    return this.current;
  }

  private drop(change: SessionChange): void {
    const had = this.current !== null;
    this.current = null;
    if (had || change === 'signed-out') this.emit(change);
  }

  private emit(change: SessionChange): void {
    for (const listener of this.listeners) listener(this.current, change);
  }

  private async underLock<T>(work: () => Promise<T>): Promise<T> {
    if (!this.locks) return work();
    return (await this.locks.request(REFRESH_LOCK, work)) as T;
  }

  private async exchange(): Promise<Session | null> {
    const answer = await this.api.POST('/api/v1/auth/refresh', { body: {} });
    if (answer.data) return this.adopt(answer.data, 'refreshed');
    if (answer.response.status === 401) {
      this.drop('expired');
      return null;
    }
    throw problemFrom(answer.response, answer.error, this.networkMessage());
  }

  /** A 401 `token_expired` for `staleToken`: refresh, unless another call already did. */
  private renewAfter(staleToken: string): Promise<Session | null> {
    if (this.current && this.current.accessToken !== staleToken) {
      return Promise.resolve(this.current);
    }
    return this.refresh();
  }

  private decorate(request: Request, token: string | null): Request {
    const headers = new Headers(request.headers);
    headers.set('Accept-Language', this.language());
    headers.set(CLIENT_HEADER, CLIENT_NAME);
    if (token) headers.set('Authorization', `Bearer ${token}`);
    else headers.delete('Authorization');
    return new Request(request, { headers, credentials: 'same-origin' });
  }

  private async send(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    const anonymous = ANONYMOUS_PATHS.some((p) => path.endsWith(p));
    const token = anonymous ? null : (this.current?.accessToken ?? null);
    const spare = token ? request.clone() : null;
    const response = await this.baseFetch(this.decorate(request, token));
    if (!token || !spare || response.status !== 401) return response;

    const code = await errorCode(response);
    if (code === 'token_expired') {
      const session = await this.renewAfter(token);
      if (!session) return response;
      const retried = await this.baseFetch(this.decorate(spare, session.accessToken));
      if (retried.status === 401 && SESSION_OVER.has((await errorCode(retried)) ?? '')) {
        this.drop('expired');
      }
      return retried;
    }
    if (code !== null && SESSION_OVER.has(code) && this.current?.accessToken === token) {
      this.drop('expired');
    }
    return response;
  }
}
