import { describe, expect, it, vi } from 'vitest';
import { AuthClient, REFRESH_LOCK, type RefreshLocks, type SessionChange } from '@/api/client';
import { ApiProblem } from '@/api/problem';

const ORIGIN = 'http://console.test';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

const account = {
  id: '0192f0c1-7a8b-7c3d-9e4f-a1b2c3d4e5f6',
  username: 'li.lei',
  display_name: '李雷',
  role: 'account_manager' as const,
  status: 'active',
  must_change_password: false,
  created_at: '2026-12-01T02:00:00Z',
};

/** A stand-in for the server's auth rules: tokens expire on demand, refreshes rotate the cookie. */
class FakeServer {
  private seq = 0;
  readonly valid = new Set<string>();
  readonly expired = new Set<string>();
  cookieValid = false;
  refreshCalls = 0;
  refreshInFlight = 0;
  maxRefreshInFlight = 0;
  /** Tokens issued by a refresh are already expired (to prove the retry happens once). */
  issueExpired = false;
  readonly seen: { method: string; path: string; headers: Headers; body: string }[] = [];

  private issue(): string {
    const token = `access-${++this.seq}`;
    if (this.issueExpired) this.expired.add(token);
    else this.valid.add(token);
    this.cookieValid = true;
    return token;
  }

  private pair(token: string) {
    return { access_token: token, token_type: 'Bearer', expires_in: 3600, must_change_password: false, account };
  }

  expireAll(): void {
    for (const t of this.valid) this.expired.add(t);
    this.valid.clear();
  }

  readonly fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const body = await request.text();
    this.seen.push({ method: request.method, path: url.pathname + url.search, headers: request.headers, body });
    const bearer = request.headers.get('Authorization')?.replace(/^Bearer /, '') ?? null;

    if (url.pathname === '/api/v1/auth/login') return json(200, this.pair(this.issue()));
    if (url.pathname === '/api/v1/auth/refresh') {
      this.refreshCalls += 1;
      this.refreshInFlight += 1;
      this.maxRefreshInFlight = Math.max(this.maxRefreshInFlight, this.refreshInFlight);
      await new Promise((r) => setTimeout(r, 15));
      this.refreshInFlight -= 1;
      if (!this.cookieValid) {
        return json(401, { code: 'invalid_refresh_token', message: '刷新凭证无效，请重新登录。' });
      }
      return json(200, this.pair(this.issue()));
    }
    if (bearer === null) return json(401, { code: 'unauthenticated', message: 'Sign in first' });
    if (this.expired.has(bearer)) return json(401, { code: 'token_expired', message: 'expired' });
    if (!this.valid.has(bearer)) return json(401, { code: 'invalid_token', message: 'invalid' });
    if (url.pathname === '/api/v1/staff') return json(200, { items: [account] });
    if (url.pathname === '/api/v1/staff/' + account.id + '/disable') return json(200, { ...account, status: 'disabled', echoed: body });
    return json(404, { code: 'not_found', message: 'no' });
  };
}

/** A Web Locks stand-in shared by "tabs": one holder at a time, in request order. */
class FakeLocks implements RefreshLocks {
  readonly names: string[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  request(name: string, callback: () => Promise<unknown>): Promise<unknown> {
    this.names.push(name);
    const run = this.tail.then(() => callback());
    this.tail = run.catch(() => undefined);
    return run;
  }
}

function client(server: FakeServer, options: { locks?: RefreshLocks | null; language?: () => 'zh-CN' | 'en' } = {}) {
  return new AuthClient({
    fetch: server.fetch,
    baseUrl: ORIGIN,
    locks: options.locks === undefined ? null : options.locks,
    language: options.language ?? (() => 'zh-CN'),
    networkMessage: () => 'network down',
  });
}

describe('auth client', () => {
  it('signs in with the console header and sends the bearer token afterwards', async () => {
    const server = new FakeServer();
    const auth = client(server, { language: () => 'en' });
    const session = await auth.login('li.lei', 'correct horse battery');
    expect(session.account.username).toBe('li.lei');

    await auth.call(auth.api.GET('/api/v1/staff'));
    const [login, staff] = server.seen;
    expect(login?.headers.get('X-Weapp-Client')).toBe('console');
    expect(login?.headers.get('Authorization')).toBeNull();
    expect(login?.headers.get('Accept-Language')).toBe('en');
    expect(staff?.headers.get('Authorization')).toBe(`Bearer ${session.accessToken}`);
    expect(staff?.headers.get('X-Weapp-Client')).toBe('console');
  });

  it('refreshes on token_expired and retries the request once, body intact', async () => {
    const server = new FakeServer();
    const auth = client(server);
    await auth.login('li.lei', 'pw');
    const first = auth.session!.accessToken;
    server.expireAll();

    const answer = await auth.call(
      auth.api.POST('/api/v1/staff/{id}/disable', { params: { path: { id: account.id } }, body: undefined as never }),
    );
    expect(answer.status).toBe('disabled');
    expect(server.refreshCalls).toBe(1);
    expect(auth.session!.accessToken).not.toBe(first);

    const refresh = server.seen.find((r) => r.path === '/api/v1/auth/refresh')!;
    expect(refresh.body).toBe('{}');
    expect(refresh.headers.get('X-Weapp-Client')).toBe('console');
    expect(refresh.headers.get('Authorization')).toBeNull();
    const calls = server.seen.filter((r) => r.path.endsWith('/disable'));
    expect(calls.map((c) => c.headers.get('Authorization'))).toEqual([`Bearer ${first}`, `Bearer ${auth.session!.accessToken}`]);
  });

  it('makes exactly one refresh for many concurrent 401s', async () => {
    const server = new FakeServer();
    const auth = client(server);
    await auth.login('li.lei', 'pw');
    server.expireAll();

    const results = await Promise.all(Array.from({ length: 6 }, () => auth.call(auth.api.GET('/api/v1/staff'))));
    expect(results).toHaveLength(6);
    for (const r of results) expect(r.items[0]?.username).toBe('li.lei');
    expect(server.refreshCalls).toBe(1);
  });

  it('retries only once: a second token_expired is returned, not looped', async () => {
    const server = new FakeServer();
    const auth = client(server);
    await auth.login('li.lei', 'pw');
    server.expireAll();
    server.issueExpired = true;

    const error = await auth.call(auth.api.GET('/api/v1/staff')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiProblem);
    expect((error as ApiProblem).code).toBe('token_expired');
    expect(server.refreshCalls).toBe(1);
    expect(server.seen.filter((r) => r.path === '/api/v1/staff')).toHaveLength(2);
  });

  it('ends the session when the refresh is refused, and says why', async () => {
    const server = new FakeServer();
    const auth = client(server);
    const changes: SessionChange[] = [];
    auth.onChange((_s, change) => changes.push(change));
    await auth.login('li.lei', 'pw');
    server.expireAll();
    server.cookieValid = false;

    const error = await auth.call(auth.api.GET('/api/v1/staff')).catch((e: unknown) => e);
    expect((error as ApiProblem).status).toBe(401);
    expect(auth.session).toBeNull();
    expect(changes).toEqual(['signed-in', 'expired']);
  });

  it('restores a session from the cookie on start, quietly when there is none', async () => {
    const server = new FakeServer();
    const changes: SessionChange[] = [];
    const fresh = client(server);
    fresh.onChange((_s, c) => changes.push(c));
    expect(await fresh.restore()).toBeNull();
    expect(changes).toEqual([]);

    server.cookieValid = true; // a cookie from an earlier visit
    const reloaded = client(server);
    const session = await reloaded.restore();
    expect(session?.account.username).toBe('li.lei');
  });

  it('serializes refreshes across tabs with the Web Lock', async () => {
    const server = new FakeServer();
    const locks = new FakeLocks();
    const tabA = client(server, { locks });
    const tabB = client(server, { locks });
    await tabA.login('li.lei', 'pw');
    await tabB.restore();
    server.expireAll();

    const [a, b] = await Promise.all([
      tabA.call(tabA.api.GET('/api/v1/staff')),
      tabB.call(tabB.api.GET('/api/v1/staff')),
    ]);
    expect(a.items).toHaveLength(1);
    expect(b.items).toHaveLength(1);
    expect(server.maxRefreshInFlight).toBe(1);
    expect(locks.names.every((n) => n === REFRESH_LOCK)).toBe(true);
    expect(locks.names.length).toBeGreaterThanOrEqual(3);
  });

  it('writes no token to web storage', async () => {
    const setItem = vi.spyOn(Storage.prototype, 'setItem');
    const server = new FakeServer();
    const auth = client(server);
    await auth.login('li.lei', 'pw');
    server.expireAll();
    await auth.call(auth.api.GET('/api/v1/staff'));
    await auth.changePassword('pw', 'a much longer password').catch(() => undefined);

    const tokens = [...server.valid, ...server.expired];
    expect(tokens.length).toBeGreaterThan(1);
    for (const store of [localStorage, sessionStorage]) {
      for (let i = 0; i < store.length; i++) {
        const value = store.getItem(store.key(i)!) ?? '';
        for (const token of tokens) expect(value).not.toContain(token);
      }
    }
    for (const call of setItem.mock.calls) {
      for (const token of tokens) expect(String(call[1])).not.toContain(token);
    }
    setItem.mockRestore();
  });

  it('turns an unreachable server into a readable problem', async () => {
    const auth = new AuthClient({
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
      baseUrl: ORIGIN,
      locks: null,
      language: () => 'zh-CN',
      networkMessage: () => '无法连接服务器',
    });
    const error = await auth.login('a', 'b').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiProblem);
    expect((error as ApiProblem).code).toBe('network_error');
    expect((error as ApiProblem).message).toBe('无法连接服务器');
  });

  it('reads Retry-After from a throttled sign-in', async () => {
    const auth = new AuthClient({
      fetch: async () => json(429, { code: 'too_many_attempts', message: '尝试次数过多' }, { 'Retry-After': '42' }),
      baseUrl: ORIGIN,
      locks: null,
      language: () => 'zh-CN',
      networkMessage: () => 'x',
    });
    const error = (await auth.login('a', 'b').catch((e: unknown) => e)) as ApiProblem;
    expect(error.status).toBe(429);
    expect(error.retryAfter).toBe(42);
    expect(error.message).toBe('尝试次数过多');
  });
});
