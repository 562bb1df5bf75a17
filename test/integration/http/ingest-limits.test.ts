/**
 * The ingestion server's bounds, each against a real server: events per body, api_id and type
 * length, a huge array, a slow body, the connection cap, the live-stream cap with the console's slots.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/poll.ts';
import { event, ingestSetup, raw, type IngestSetup } from './helpers.ts';

const json = { 'content-type': 'application/json' };

/** A raw socket that collects everything the server sends and notes when it closes. */
function socketTo(url: string): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let data = '';
    let closed = false;
    const socket = connect(Number(port), hostname, () => resolve({ socket, received: () => data, closed: () => closed }));
    socket.on('data', (c: Buffer) => (data += c.toString('utf8')));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

describe('ingestion bounds', () => {
  let s: IngestSetup;
  beforeAll(async () => {
    s = await ingestSetup({ ingest_max_events: 5, ingest_read_timeout: '1s', ingest_max_connections: 8 });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('answers 413 naming ingest_max_events for a body with more events, in JSON and NDJSON, and accepts none of them', async () => {
    const six = Array.from({ length: 6 }, (_, i) => JSON.parse(event(`many-000${i}`)) as object);
    const res = await raw(`${s.h.url}/v1/events`, json, JSON.stringify(six));
    expect(res.status).toBe(413);
    expect(res.headers['x-firehook-error-code']).toBe('FH_INGEST_TOO_LARGE');
    expect(res.headers['x-firehook-error-limit']).toBe('ingest_max_events=5');
    expect(JSON.parse(res.body).error).toMatch(/more than 5 events.*ingest_max_events/);
    const nd = await raw(`${s.h.url}/v1/events`, { 'content-type': 'application/x-ndjson' }, six.map((e) => JSON.stringify(e)).join('\n'));
    expect(nd.status).toBe(413);
    expect((await raw(`${s.h.url}/v1/events`, json, JSON.stringify(six.slice(0, 5)))).status).toBe(202);
    await s.flush('limits-flush-0100');
    expect(s.handledKeys().filter((k) => k === '****0005')).toEqual([]);
  });

  it('caps api_id and type length with 400 naming index and field', async () => {
    const long = await raw(`${s.h.url}/v1/events`, json, JSON.stringify([{ type: 'AuthFailure' }, { api_id: 'a'.repeat(64 * 1024), type: 'AuthFailure' }]));
    expect(long.status).toBe(400);
    expect([long.headers['x-firehook-error-index'], long.headers['x-firehook-error-field']]).toEqual(['1', 'api_id']);
    expect(JSON.parse(long.body).error).toMatch(/at most 256 characters/);
    const type = await raw(`${s.h.url}/v1/events`, json, JSON.stringify({ type: 'T'.repeat(129) }));
    expect([type.status, type.headers['x-firehook-error-index'], type.headers['x-firehook-error-field']]).toEqual([400, '0', 'type']);
  });

  it('names the unknown field only when it fits in a header (a hostile key never breaks the answer)', async () => {
    const res = await raw(`${s.h.url}/v1/events`, json, JSON.stringify({ type: 'A', ['\u00e9v\u20ac\n'.repeat(10)]: 1 }));
    expect([res.status, res.headers['x-firehook-error-index'], res.headers['x-firehook-error-field']]).toEqual([400, '0', undefined]);
  });

  it('cuts a body that does not arrive within ingest_read_timeout with a coded 408 and closes the connection', async () => {
    const c = await socketTo(s.h.url);
    c.socket.write(`POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"type":"AuthFai`);
    await eventually(() => c.closed(), 'the server closing the slow connection');
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(c.received()).toMatch(/x-firehook-error-code: FH_INGEST_TIMEOUT/i);
    expect(c.received()).toMatch(/ingest_read_timeout/);
  });

  it('holds at most ingest_max_connections connections; the next is closed until one is freed', async () => {
    const held: Awaited<ReturnType<typeof socketTo>>[] = [];
    // the server counts a connection once it has accepted it: open them one by one, each proven by an answer
    for (let i = 0; i < 8; i++) {
      const c = await socketTo(s.h.url);
      c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await eventually(() => c.received().includes('"status":"ok"') || c.closed(), `answer on connection ${i}`);
      expect(c.closed(), `connection ${i}`).toBe(false);
      held.push(c);
    }
    const extra = await socketTo(s.h.url);
    extra.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await eventually(() => extra.closed(), 'the connection over the cap being closed');
    expect(extra.received()).toBe('');
    for (const c of held) c.socket.destroy();
    await eventually(async () => {
      try {
        return (await raw(`${s.h.url}/healthz`, {}, undefined, 'GET')).status === 200;
      } catch {
        return false;
      }
    }, 'a connection once the held ones are gone');
  });
});

describe('live event stream cap', () => {
  let s: IngestSetup;
  beforeAll(async () => {
    s = await ingestSetup();
  });
  afterAll(async () => {
    await s?.close();
  });

  it('serves 16 API streams, refuses the 17th with a coded 503, and still lets the console in', async () => {
    const open: AbortController[] = [];
    // responses are kept: undici cancels the body of a response that is garbage-collected, closing its stream
    const responses: Response[] = [];
    const stream = async (headers: Record<string, string> = {}): Promise<Response> => {
      const controller = new AbortController();
      open.push(controller);
      const res = await fetch(`${s.h.url}/v1/admin/events/stream`, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
      responses.push(res);
      return res;
    };
    try {
      for (let i = 0; i < 16; i++) expect((await stream()).status, `stream ${i}`).toBe(200);
      await eventually(() => s.h.runtime.eventStream.listeners === 16, '16 listeners');
      const refused = await stream();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('x-firehook-error-code')).toBe('FH_ADMIN_STREAMS_FULL');
      expect(refused.headers.get('retry-after')).toBe('5');
      // the console (its fetch says x-firehook-client: console) gets in while others hold every API slot
      for (let i = 0; i < 6; i++) expect((await stream({ 'x-firehook-client': 'console' })).status, `console stream ${i}`).toBe(200);
      // four console slots: the two oldest console streams made room for the newest
      await eventually(
        () => s.h.runtime.eventStream.listeners === 20,
        () => `16 API + 4 console listeners (have ${s.h.runtime.eventStream.listeners})`,
      );
      expect((await stream()).status).toBe(503);
    } finally {
      for (const c of open) c.abort();
    }
    await eventually(() => s.h.runtime.eventStream.listeners === 0, 'streams gone');
    expect((await stream()).status).toBe(200);
    for (const c of open) c.abort();
  });
});
