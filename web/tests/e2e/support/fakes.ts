/**
 * The built-in WeChat simulator and fake SMS provider as child processes of the binary
 * under test. They push (tickets, audit results, delivery receipts) to the `--app`
 * address they start with, but the service needs their settings to start: they push to a
 * local forwarder whose target is set once the service is up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { BINARY, freePort } from './server.mjs';

export interface Forwarder {
  origin: string;
  server: Server;
  /** Points the forwarder at the service once it has started. */
  target: (origin: string) => void;
  close: () => Promise<void>;
}

export async function startForwarder(): Promise<Forwarder> {
  let targetOrigin: URL | null = null;
  const server = createServer((req, res) => {
    if (!targetOrigin) {
      res.writeHead(503);
      res.end();
      return;
    }
    const upstream = httpRequest(
      { host: targetOrigin.hostname, port: targetOrigin.port, method: req.method, path: req.url, headers: { ...req.headers, host: targetOrigin.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    target: (origin) => {
      targetOrigin = new URL(origin);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface Fake {
  origin: string;
  /** The `WEAPP__…` settings it printed, to start the service with. */
  env: Record<string, string>;
  child: ChildProcess;
}

/** `weapp-builder wechat-sim` or `sms-fake`, pushing to `app`. */
export async function startFake(command: 'wechat-sim' | 'sms-fake', app: string): Promise<Fake> {
  const port = await freePort();
  const child = spawn(BINARY, [command, '--bind', `127.0.0.1:${port}`, '--app', app], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const last = command === 'wechat-sim' ? /WEAPP__WECHAT__AUTH_PAGE_BASE=\S+/ : /WEAPP__SMS__RECEIPT_TOKEN=\S+/;
  const deadline = Date.now() + 30_000;
  while (!last.test(output)) {
    if (Date.now() > deadline) throw new Error(`${command} did not start:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const env: Record<string, string> = {};
  for (const m of output.matchAll(/export (WEAPP__\w+)=(\S+)/g)) env[m[1]!] = m[2]!;
  return { origin: `http://127.0.0.1:${port}`, env, child };
}
