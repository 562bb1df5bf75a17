import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import type { DeliveryOptions, DeliveryRequest } from '../../../core/delivery/delivery-service.ts';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  arrivedAt: number;
  respondedAt?: number;
}

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** Answer once this settles (after `delayMs`, if also set). */
  wait?: Promise<unknown>;
}

export interface Sink {
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Requests being answered right now, and the most seen at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  reply: (req: Received) => Reply;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 that records every request. */
export async function startSink(reply: (req: Received) => Reply = () => ({ status: 200, body: 'ok' }), port = 0): Promise<Sink> {
  let inFlight = 0;
  let maxInFlight = 0;
  const received: Received[] = [];
  const sink = {
    received,
    reply,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
  } as Sink & { server: Server };
  const server = createServer((req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry: Received = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), arrivedAt: Date.now() };
      received.push(entry);
      const r = sink.reply(entry);
      const send = (): void => {
        inFlight--;
        entry.respondedAt = Date.now();
        if (res.destroyed) return;
        res.writeHead(r.status, r.headers ?? {});
        res.end(r.body ?? '');
      };
      const later = r.wait ? () => void r.wait!.then(send, send) : send;
      if (r.delayMs) setTimeout(later, r.delayMs);
      else later();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actual = (server.address() as AddressInfo).port;
  Object.assign(sink, {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return sink;
}

/** A port that nothing listens on (bound then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A debug-level logger whose JSON lines are kept in `lines`. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export function options(overrides: Partial<DeliveryOptions> = {}): DeliveryOptions {
  return { timeoutMs: 2_000, retryScheduleMs: [20, 20, 20], denyPrivateNetworks: false, allowNetworks: [], ...overrides };
}

export function request(url: string, overrides: Partial<DeliveryRequest> = {}): DeliveryRequest {
  return {
    url,
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"event":"QuotaExceeded"}',
    options: options(),
    origin: { apiId: 'api1', eventType: 'QuotaExceeded', handler: 'api1:QuotaExceeded:0', plugin: 'eh_web_hook_handler' },
    ...overrides,
  };
}

/** A unique Redis key prefix (with a hash tag) for one test. */
export function uniquePrefix(): string {
  return `{fhtest-${randomUUID().slice(0, 8)}}:`;
}

export function redisClient(): Redis {
  return new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: 1, lazyConnect: false });
}

/** Delete every key under `prefix`. */
export async function cleanupRedis(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/** A delivery worker process (test/integration/delivery/fixtures/delivery-worker.ts) and its stdout lines. */
export interface DeliveryWorker {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

const NODE = resolve('node_modules/.bin/node');
const WORKER = resolve('test/integration/delivery/fixtures/delivery-worker.ts');

/** Start a delivery worker with `config` (JSON on its command line); `cleanups` gets the kill that ends it. */
export function startDeliveryWorker(config: Record<string, unknown>, cleanups: (() => Promise<unknown>)[]): DeliveryWorker {
  const child = spawn(NODE, ['--no-node-snapshot', WORKER, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts.filter((l) => l.length > 0));
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, lines, exited };
}
