/**
 * Two `firehook serve` processes on one Redis: a global webhook changed, created or deleted
 * through one node's admin API reaches the other node's handlers without a reload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startServer, type CliProcess } from '../../helpers/cli.ts';
import { startSink, type Sink } from '../delivery/helpers.ts';
import { oasApi, workspace, type Workspace } from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

let sink: Sink;
let ws: Workspace;
let a: CliProcess & { url: string };
let b: CliProcess & { url: string };

// oxlint-disable-next-line typescript/no-explicit-any -- answers are asserted field by field
async function call(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

async function fire(base: string, key: string): Promise<void> {
  const res = await fetch(`${base}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ api_id: 'orders', type: 'AuthFailure', meta: { Message: 'Auth Failure', Path: '/o', Origin: '10.1.1.1', Key: key } }),
  });
  expect(res.status).toBe(202);
}

beforeAll(async () => {
  sink = await startSink();
  ws = await workspace({
    // a long poll interval: propagation must come from the announcement, not the poll
    gateway: { global_webhooks: { poll_interval_ms: 60_000 } },
    seeds: [{ id: 'shared', name: 'Shared', url: `${sink.url}/v1`, method: 'POST' }],
    apis: { 'orders.json': oasApi('orders', [{ enabled: true, trigger: 'AuthFailure', type: 'webhook', id: 'shared' }]) },
  });
  a = await startServer(['--config', ws.config, '--no-watch']);
  b = await startServer(['--config', ws.config, '--no-watch']);
}, 40_000);
afterAll(async () => {
  await a?.stop('SIGKILL');
  await b?.stop('SIGKILL');
  await sink.close();
  await ws.cleanup();
});

describe('global webhooks across two runtimes sharing Redis', () => {
  it('seeds once and shows the same set on both nodes', async () => {
    const [onA, onB] = await Promise.all([call(a.url, 'GET', '/v1/admin/webhooks'), call(b.url, 'GET', '/v1/admin/webhooks')]);
    expect(onA.json.webhooks.map((w: { id: string; revision: number }) => `${w.id}@${w.revision}`)).toEqual(['shared@1']);
    expect(onB.json.webhooks).toEqual(onA.json.webhooks);
  });

  it("applies a change made on node A to node B's handlers without a reload", async () => {
    const put = await call(a.url, 'PUT', '/v1/admin/webhooks/shared', {
      name: 'Shared',
      url: `${sink.url}/v2`,
      method: 'PUT',
      headers: [{ name: 'X-Version', value: '2' }],
    });
    expect(put.status).toBe(200);
    await b.waitForLine((l) => l.msg === 'global webhook changed; handler follows' && l.revision === 2);
    await fire(b.url, 'via-b-after-change');
    const got = await eventually(() => sink.received.find((r) => r.body.includes('via-b-after-change')));
    expect(got).toMatchObject({ url: '/v2', method: 'PUT' });
    expect(got.headers['x-version']).toBe('2');
    expect((await call(b.url, 'GET', '/v1/admin/status')).json.generation).toBe(1);
  });

  it('shows a webhook created on node B in node A at once', async () => {
    expect((await call(b.url, 'POST', '/v1/admin/webhooks', { id: 'fresh', url: `${sink.url}/fresh` })).status).toBe(201);
    const onA = await call(a.url, 'GET', '/v1/admin/webhooks/fresh');
    expect(onA.json).toMatchObject({ id: 'fresh', revision: 1 });
  });

  it('keeps the last copy on node A as a local webhook, with a warning, when node B deletes it', async () => {
    expect((await call(b.url, 'DELETE', '/v1/admin/webhooks/shared')).status).toBe(200);
    await a.waitForLine((l) => l.code === 'FH_GLOBAL_WEBHOOK_DELETED');
    await fire(a.url, 'via-a-after-delete');
    const got = await eventually(() => sink.received.find((r) => r.body.includes('via-a-after-delete')));
    expect(got.url).toBe('/v2');
    const apis = await call(a.url, 'GET', '/v1/admin/apis/orders');
    expect(apis.json.handlers[0].global_webhook).toMatchObject({ id: 'shared', deleted: true });
  });
});
