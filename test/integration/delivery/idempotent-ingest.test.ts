/**
 * Durable ingestion under retries and pressure (real Redis under a unique prefix, real HTTP):
 * a retried request keeps its delivery ids (`webhook-id`) and creates no second delivery; a batch
 * that does not fit the handler queues is refused (429, or 413 when it never can) before anything
 * of it is persisted.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createRuntime, definePlugin, PLUGIN_CONTRACT_VERSION, type Runtime } from '../../../core/index.ts';
import { IngestServer } from '../../../core/http/server.ts';
import { ROOT } from '../../helpers/cli.ts';
import { eventually } from '../../helpers/poll.ts';
import { deleteKeys } from '../admin/helpers.ts';
import { startSink, type Sink } from './helpers.ts';

const OUTBOX = '{firehook:delivery}:outbox';

/** A handler that holds every event until the test opens it. */
let open: () => void = () => undefined;
let gate = Promise.resolve();
const closeGate = (): void => {
  gate = new Promise<void>((resolve) => (open = resolve));
};
const gatePlugin = definePlugin({
  name: 'fh_test_gate',
  contractVersion: PLUGIN_CONTRACT_VERSION,
  optionsSchema: { type: 'object', additionalProperties: false },
  create: () => ({
    async handle() {
      await gate;
      return { status: 'ok' };
    },
  }),
});

let sink: Sink;
let redis: Redis;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  sink = await startSink();
  redis = new Redis('redis://127.0.0.1:6379');
});
afterEach(async () => {
  open();
  while (cleanups.length > 0) await cleanups.pop()!();
});
afterAll(async () => {
  await sink.close();
  await redis.quit();
});

async function start(options: { gate?: boolean; dispatch?: Record<string, unknown> } = {}): Promise<{ runtime: Runtime; url: string; prefix: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-idem-'));
  const prefix = `fh-test:${randomUUID()}:`;
  await mkdir(join(dir, 'apps'));
  await mkdir(join(dir, 'templates'));
  await writeFile(join(dir, 'templates', 'id.json'), '{"id": "{{.Meta.EventId}}"}');
  const handlers: object[] = [
    {
      handler_name: 'eh_web_hook_handler',
      handler_meta: { method: 'POST', target_path: `${sink.url}/hook`, template_path: 'templates/id.json', event_timeout: 0 },
    },
  ];
  if (options.gate) handlers.push({ handler_name: 'fh_test_gate', handler_meta: {} });
  await writeFile(join(dir, 'apps', 'api.json'), JSON.stringify({ api_id: 'idem', org_id: 'acme', event_handlers: { events: { AuthFailure: handlers } } }));
  const gateway = {
    app_path: 'apps',
    template_path: join(ROOT, 'templates'),
    storage: { type: 'redis', host: '127.0.0.1', port: 6379, key_prefix: prefix },
    ...(options.dispatch ? { dispatch: options.dispatch } : {}),
  };
  await writeFile(join(dir, 'tyk.conf'), JSON.stringify(gateway));
  const runtime = await createRuntime({ configFile: join(dir, 'tyk.conf'), plugins: [gatePlugin], logger: createLogger({ level: 'silent' }), watch: false });
  const server = new IngestServer(runtime, { listen: '127.0.0.1:0', secret: '', bodyLimit: 1024 * 1024 });
  const address = await server.start();
  cleanups.push(async () => {
    await server.close();
    await runtime.close(1_000);
    await rm(dir, { recursive: true, force: true });
    await deleteKeys(prefix);
  });
  expect(runtime.durable).toBe(true);
  await runtime.deliveries!.ready;
  return { runtime, url: `http://127.0.0.1:${address.port}`, prefix };
}

const events = (ids: string[], extra: Record<string, unknown> = {}): string =>
  JSON.stringify(ids.map((id) => ({ api_id: 'idem', type: 'AuthFailure', meta: { Key: id, EventId: id }, ...extra })));
const post = (url: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const deliveriesOf = (id: string) => sink.received.filter((r) => r.body === `{"id": "${id}"}`);

describe('durable ingestion: idempotent retries', () => {
  it('delivers a request sent twice with the same Idempotency-Key once, under one webhook-id', async () => {
    const { runtime, url } = await start();
    const id = `k-${randomUUID()}`;
    const body = events([id]);
    expect((await post(url, body, { 'idempotency-key': 'req-1' })).status).toBe(202);
    expect((await post(url, body, { 'idempotency-key': 'req-1' })).status).toBe(202);
    // the second write of the same delivery id was refused in Redis: nothing new was queued
    expect(runtime.deliveries!.stats()).toMatchObject({ submitted: 1, deduplicated: 1 });
    const [first] = await eventually(() => (deliveriesOf(id).length > 0 ? deliveriesOf(id) : undefined));
    const webhookId = first!.headers['webhook-id'];
    expect(webhookId).toMatch(/^msg_[0-9a-f]{32}$/);

    // another key is another request: a second delivery, with its own webhook-id
    expect((await post(url, body, { 'idempotency-key': 'req-2' })).status).toBe(202);
    const both = await eventually(() => (deliveriesOf(id).length === 2 ? deliveriesOf(id) : undefined));
    expect(both[1]!.headers['webhook-id']).not.toBe(webhookId);
    expect(runtime.deliveries!.stats()).toMatchObject({ submitted: 2, deduplicated: 1 });
  });

  it('keys events by their id field, else by their content and timestamp', async () => {
    const { runtime, url } = await start();
    const a = `a-${randomUUID()}`;
    const b = `b-${randomUUID()}`;
    // same event id, different content: one delivery
    expect((await post(url, events([a], { id: `evt-${a}` }))).status).toBe(202);
    expect((await post(url, JSON.stringify([{ id: `evt-${a}`, api_id: 'idem', type: 'AuthFailure', meta: { Key: 'changed', EventId: a } }]))).status).toBe(202);
    // no id, no key: the same content and timestamp is the same event
    const at = { timestamp: '2025-01-02T03:04:05.123456789Z' };
    expect((await post(url, events([b], at))).status).toBe(202);
    expect((await post(url, events([b], at))).status).toBe(202);
    expect(runtime.deliveries!.stats()).toMatchObject({ submitted: 2, deduplicated: 2 });
    // another timestamp is another event
    expect((await post(url, events([b], { timestamp: '2025-01-02T03:04:06Z' }))).status).toBe(202);
    expect(runtime.deliveries!.stats()).toMatchObject({ submitted: 3, deduplicated: 2 });
    await eventually(() => deliveriesOf(a).length === 1 && deliveriesOf(b).length === 2);
    const ids = [...deliveriesOf(a), ...deliveriesOf(b)].map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(3);
  });

  it('keeps identical events of one body apart, and a retried body keyed alike', async () => {
    const { runtime, url } = await start();
    const c = `c-${randomUUID()}`;
    const d = `d-${randomUUID()}`;
    // no id, no key, no timestamp: two identical events in one body are two events; the body retried is not new
    expect((await post(url, events([c, c]))).status).toBe(202);
    expect((await post(url, events([c, c]))).status).toBe(202);
    // the same with a timestamp
    const at = { timestamp: '2025-01-02T03:04:05Z' };
    expect((await post(url, events([d, d], at))).status).toBe(202);
    expect((await post(url, events([d, d], at))).status).toBe(202);
    expect(runtime.deliveries!.stats()).toMatchObject({ submitted: 4, deduplicated: 4 });
    await eventually(() => deliveriesOf(c).length === 2 && deliveriesOf(d).length === 2, 'two deliveries of each event');
    const ids = [...deliveriesOf(c), ...deliveriesOf(d)].map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(4);
  });

  it('refuses an unusable Idempotency-Key with 400', async () => {
    const { url } = await start();
    const res = await post(url, events(['x']), { 'idempotency-key': 'x'.repeat(300) });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-firehook-error-code')).toBe('FH_INGEST_BAD_REQUEST');
    expect(await res.text()).toMatch(/Idempotency-Key/);
  });
});

describe('durable ingestion under pressure', () => {
  it('answers 413 naming the limit for a batch that can never fit the queues, and persists nothing of it', async () => {
    const { runtime, url, prefix } = await start({ dispatch: { queue_size: 4 } });
    const ids = Array.from({ length: 5 }, (_, i) => `big-${i}-${randomUUID()}`);
    const res = await post(url, events(ids));
    expect(res.status).toBe(413);
    expect(res.headers.get('x-firehook-error-code')).toBe('FH_INGEST_TOO_LARGE');
    // ingest_max_events defaults to dispatch.queue_size, so the body is refused before the queues are asked
    expect(await res.text()).toMatch(/more than 4 events .*ingest_max_events/);
    expect(runtime.stats().dispatch.fired).toBe(0);
    expect(await redis.xlen(`${prefix}${OUTBOX}`)).toBe(0);
    // four fit
    expect((await post(url, events(ids.slice(0, 4)))).status).toBe(202);
  });

  it('answers 429 with Retry-After before firing or persisting anything when the queues stay full, and takes the same request once there is room', async () => {
    const { runtime, url } = await start({ gate: true, dispatch: { queue_size: 4, concurrency: 1 } });
    closeGate();
    const held = Array.from({ length: 5 }, (_, i) => `held-${i}-${randomUUID()}`);
    // one event runs (held by the gate), four wait in its queue: the queue is full
    const first = post(url, events(held.slice(0, 1)));
    await eventually(() => runtime.stats().handlers.find((h) => h.plugin === 'fh_test_gate')?.running === 1);
    const second = post(url, events(held.slice(1)));
    await eventually(() => runtime.stats().handlers.find((h) => h.plugin === 'fh_test_gate')?.queued === 4);

    const late = `late-${randomUUID()}`;
    const refused = await post(url, events([late]));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-firehook-error-code')).toBe('FH_INGEST_BUSY');
    expect(refused.headers.get('retry-after')).toBe('1');
    // nothing of it reached a handler: no webhook delivery was written for it
    expect(runtime.stats().dispatch.fired).toBe(5);
    expect(runtime.stats().handlers.find((h) => h.plugin === 'eh_web_hook_handler')?.received).toBe(5);
    await eventually(() => runtime.deliveries!.stats().submitted === 5);

    // a request that finds no room waits for it: opening the gate while it waits lets it in
    const waiting = post(url, events([late]));
    open();
    expect((await waiting).status).toBe(202);
    expect((await first).status).toBe(202);
    expect((await second).status).toBe(202);
    await eventually(() => [...held, late].every((id) => deliveriesOf(id).length === 1));
    expect(runtime.deliveries!.stats().submitted).toBe(6);
  });
});
