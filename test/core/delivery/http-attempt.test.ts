import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { sendAttempt, type AttemptRequest, type AttemptResponse } from '../../../core/delivery/http-attempt.ts';
import { eventually } from '../../helpers/poll.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

interface Target {
  origin: string;
  /** Sockets the server accepted (keep-alive reuse shows as one). */
  connections: number;
}

async function target(reply: (req: IncomingMessage, res: ServerResponse) => void): Promise<Target> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => reply(req, res));
  });
  const t = { origin: '', connections: 0 };
  server.on('connection', (socket: Socket) => {
    t.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return t;
}

function agent(): Agent {
  const a = new Agent({ connections: 4, headersTimeout: 30_000, bodyTimeout: 30_000 });
  cleanups.push(() => a.destroy());
  return a;
}

const post = (origin: string, path = '/hook'): AttemptRequest => ({
  origin,
  path,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{"a":1}',
});

describe('sendAttempt', () => {
  it('returns status, headers and body, and leaves the connection reusable', async () => {
    const t = await target((req, res) => res.writeHead(201, { 'x-seen': req.method!, 'content-length': '5' }).end('hello'));
    const a = agent();
    const first = await sendAttempt(a, post(t.origin), 1_000, 64);
    expect(first).toMatchObject({ statusCode: 201, body: 'hello' });
    expect(first.headers?.['x-seen']).toBe('POST');
    expect(first.error).toBeUndefined();
    for (let i = 0; i < 10; i++) expect((await sendAttempt(a, post(t.origin), 1_000, 64)).statusCode).toBe(201);
    // Sockets go back to the pool: eleven attempts in a row open at most two connections.
    expect(t.connections).toBeLessThanOrEqual(2);
  });

  it('keeps only the first bodyLimit bytes of a large body and returns without reading the rest', async () => {
    // Endless chunked body: the attempt must return once past the limit.
    const t = await target((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('é'.repeat(1024)), 1);
      res.on('close', () => clearInterval(timer));
    });
    const response = await sendAttempt(agent(), post(t.origin), 30_000, 1000);
    expect(response.statusCode).toBe(500);
    expect(Buffer.byteLength(response.body!)).toBeLessThanOrEqual(1000);
    expect(response.body!.startsWith('éé')).toBe(true);
  });

  it('keeps the status and what arrived when the body is cut short', async () => {
    const t = await target((_req, res) => {
      res.writeHead(503, { 'content-length': '100' });
      res.write('partial', () => res.socket?.destroy());
    });
    const response = await sendAttempt(agent(), post(t.origin), 1_000, 64);
    expect(response).toMatchObject({ statusCode: 503, body: 'partial' });
    expect(response.error).toBeUndefined();
  });

  it('gives up with ETIMEDOUT at the timeout when no response arrives', async () => {
    const t = await target(() => undefined);
    const response = await sendAttempt(agent(), post(t.origin), 200, 64);
    expect(response.error?.code).toBe('ETIMEDOUT');
    expect(response.statusCode).toBeUndefined();
    expect(response.durationMs).toBeGreaterThanOrEqual(190);
  });

  it('ends at its timeout, whatever its length, while it waits in the pool for a busy connection', async () => {
    // One connection, held by a first request the target never answers; the dispatcher's own
    // timers are far away (they only start once a request is written). A 5 s timeout is one of
    // those the attempt once left to undici's timers: the second attempt, queued behind the first,
    // then waited for the first to time out before its own timeout even began.
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const t = await target((_req, res) => void held.then(() => res.end('late')));
    cleanups.push(async () => release!());
    const a = new Agent({ connections: 1, headersTimeout: 60_000, bodyTimeout: 60_000 });
    cleanups.push(() => a.destroy());
    const timeoutMs = 5_000;
    const outcomes: (AttemptResponse | undefined)[] = [undefined, undefined];
    void sendAttempt(a, post(t.origin), timeoutMs, 64).then((r) => (outcomes[0] = r));
    void sendAttempt(a, post(t.origin), timeoutMs, 64).then((r) => (outcomes[1] = r));
    // Both end while the target still holds the first request and the dispatcher's timers are far off.
    await eventually(() => outcomes.every((r) => r !== undefined), 'both attempts ended');
    release!();
    expect(outcomes.map((r) => r?.error?.code)).toEqual(['ETIMEDOUT', 'ETIMEDOUT']);
  });

  it('keeps the status when the timeout strikes while the body is still arriving', async () => {
    const t = await target((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('start');
    });
    const response = await sendAttempt(agent(), post(t.origin), 200, 64);
    expect(response).toMatchObject({ statusCode: 200, body: 'start' });
  });

  it('reports a refused connection as an error with its code', async () => {
    const t = await target(() => undefined);
    await cleanups.pop()!(); // the server closes: its port now refuses
    const response = await sendAttempt(agent(), post(t.origin), 1_000, 64);
    expect(response.error?.code).toBe('ECONNREFUSED');
    expect(response.statusCode).toBeUndefined();
  });

  it('skips 1xx informational responses and reports the final one', async () => {
    const t = await target((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload' });
      res.writeHead(204).end();
    });
    const response = await sendAttempt(agent(), post(t.origin), 1_000, 64);
    expect(response).toMatchObject({ statusCode: 204, body: '' });
  });

  it('reports a redirect as it is, without following it', async () => {
    let hits = 0;
    const t = await target((req, res) => {
      hits++;
      res.writeHead(302, { location: '/elsewhere' }).end();
      expect(req.url).toBe('/hook');
    });
    const response = await sendAttempt(agent(), post(t.origin), 1_000, 64);
    expect(response.statusCode).toBe(302);
    expect(response.headers?.location).toBe('/elsewhere');
    expect(hits).toBe(1);
  });

  it('sends no body for a GET and reads no body for a HEAD', async () => {
    const seen: string[] = [];
    const t = await target((req, res) => {
      seen.push(`${req.method} ${req.headers['content-length'] ?? '-'}`);
      res.writeHead(200, { 'content-length': '3' }).end(req.method === 'HEAD' ? undefined : 'abc');
    });
    const a = agent();
    const get = await sendAttempt(a, { ...post(t.origin), method: 'GET', body: undefined }, 1_000, 64);
    const head = await sendAttempt(a, { ...post(t.origin), method: 'HEAD', body: undefined }, 1_000, 64);
    expect(get).toMatchObject({ statusCode: 200, body: 'abc' });
    expect(head).toMatchObject({ statusCode: 200, body: '' });
    expect(seen).toEqual(['GET -', 'HEAD -']);
  });

  it('reports a dispatcher that refuses the request as an error instead of throwing', async () => {
    const a = agent();
    await a.close();
    const response = await sendAttempt(a, post('http://127.0.0.1:9'), 1_000, 64);
    expect(response.error?.code).toMatch(/^UND_ERR_(CLOSED|DESTROYED)$/);
  });
});
