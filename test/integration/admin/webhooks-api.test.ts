import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSink, type Sink } from '../delivery/helpers.ts';
import { oasApi, startHarness, workspace, type AdminHarness, type Workspace } from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

let sink: Sink;
beforeAll(async () => {
  sink = await startSink((r) => (r.url.startsWith('/fail') ? { status: 500, body: 'nope' } : { status: 200, body: 'ok' }));
});
afterAll(async () => {
  await sink.close();
});

const authFailure = (key: string) => ({ Message: 'Auth Failure', Path: '/p', Origin: '10.0.0.1', Key: key });

describe('admin API: global webhooks', () => {
  let ws: Workspace;
  let h: AdminHarness;
  beforeAll(async () => {
    ws = await workspace({
      seeds: [{ id: 'seeded', name: 'Seeded', url: `${sink.url}/seeded`, method: 'POST' }],
      apis: {
        'orders.json': oasApi('orders', [{ enabled: true, trigger: 'AuthFailure', type: 'webhook', id: 'seeded', cooldownPeriod: '0s' }]),
        'classic.json': {
          api_id: 'classic',
          org_id: 'acme',
          event_handlers: { events: { KeyExpired: [{ handler_name: 'eh_web_hook_handler', handler_meta: { id: 'seeded' } }] } },
        },
      },
    });
    h = await startHarness(ws.config);
  });
  afterAll(async () => {
    await h.close();
    await ws.cleanup();
  });

  it('creates a webhook (201, Location, ETag) and lists and reads it back when the body is valid', async () => {
    const created = await h.call('POST', '/v1/admin/webhooks', {
      id: 'ops',
      name: 'Ops',
      url: `${sink.url}/ops`,
      method: 'post',
      headers: [{ name: 'X-Team', value: 'ops' }],
      cooldownPeriod: '10s',
      retry_schedule: [],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/admin/webhooks/ops');
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.json).toMatchObject({ id: 'ops', method: 'POST', revision: 1 });
    const list = await h.call('GET', '/v1/admin/webhooks');
    expect(list.json.webhooks.map((w: { id: string }) => w.id)).toEqual(['ops', 'seeded']);
    const one = await h.call('GET', '/v1/admin/webhooks/ops');
    expect(one.json).toMatchObject({ id: 'ops', url: `${sink.url}/ops`, references: [] });
  });

  it('generates an id when the body has none', async () => {
    const created = await h.call('POST', '/v1/admin/webhooks', { url: `${sink.url}/anon` });
    expect(created.status).toBe(201);
    expect(created.json.id).toMatch(/^wh_[0-9a-f]{20}$/);
  });

  it('answers 400 with every problem as "<pointer>: message" when the definition is invalid', async () => {
    const bad = await h.call('POST', '/v1/admin/webhooks', {
      id: 'bad id',
      url: 'ftp://x',
      method: 'FETCH',
      headers: [{ name: 'Bad Header', value: 'x' }],
      cooldownPeriod: 'soon',
      surprise: 1,
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('FH_GLOBAL_WEBHOOK_INVALID');
    const pointers = (bad.json.error.problems as string[]).map((p) => p.split(':')[0]);
    expect(pointers.sort()).toEqual(['/cooldownPeriod', '/headers/0/name', '/id', '/method', '/surprise', '/url']);
  });

  it('refuses a duplicate id with 409, a non-JSON body with 415 and an unknown route with 404', async () => {
    expect((await h.call('POST', '/v1/admin/webhooks', { id: 'ops', url: `${sink.url}/x` })).status).toBe(409);
    const plain = await fetch(`${h.url}/v1/admin/webhooks`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"url":"http://x"}' });
    expect(plain.status).toBe(415);
    const missing = await h.call('GET', '/v1/admin/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('FH_ADMIN_NOT_FOUND');
    expect((await h.call('PATCH', '/v1/admin/webhooks/ops', {})).status).toBe(405);
  });

  it('replaces a webhook with PUT, guarded by If-Match, and creates one for a new id', async () => {
    const stale = await h.call('PUT', '/v1/admin/webhooks/ops', { url: `${sink.url}/ops2` }, { 'if-match': '"7"' });
    expect(stale.status).toBe(409);
    expect(stale.json.error.code).toBe('FH_GLOBAL_WEBHOOK_CONFLICT');
    const ok = await h.call(
      'PUT',
      '/v1/admin/webhooks/ops',
      { name: 'Ops', url: `${sink.url}/ops2`, method: 'POST', retry_schedule: [] },
      { 'if-match': '"1"' },
    );
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ revision: 2, url: `${sink.url}/ops2` });
    const fresh = await h.call('PUT', '/v1/admin/webhooks/fresh', { url: `${sink.url}/fresh` });
    expect(fresh.status).toBe(201);
    const mismatch = await h.call('PUT', '/v1/admin/webhooks/fresh', { id: 'other', url: `${sink.url}/fresh` });
    expect(mismatch.json.error.problems).toEqual(['/id: must equal the id in the path ("fresh")']);
  });

  it('masks signing secrets in answers and keeps the stored secret when the mask is sent back', async () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const created = await h.call('POST', '/v1/admin/webhooks', { id: 'signed', url: `${sink.url}/signed`, method: 'POST', signing: { secret } });
    expect(created.json.signing.secret).toBe(`whsec_****${secret.slice(-4)}`);
    const back = await h.call('PUT', '/v1/admin/webhooks/signed', { ...created.json, url: `${sink.url}/signed2` });
    expect(back.status).toBe(200);
    const stored = await h.runtime.globalWebhooks.lookup('signed');
    expect(stored?.signing?.secret).toBe(secret);
    expect(JSON.stringify(h.lines)).not.toContain(secret.slice(6, 20));
  });

  it('test-fires a webhook with a sample event of the chosen type and reports the first attempt', async () => {
    const before = sink.received.length;
    const res = await h.call('POST', '/v1/admin/webhooks/ops/test', { type: 'HostDown', api_id: 'orders' });
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('queued');
    expect(res.json.attempts[0]).toMatchObject({ outcome: 'delivered', responseCode: 200, handler: 'test:ops' });
    const got = sink.received.slice(before).find((r) => r.url === '/ops2');
    expect(JSON.parse(got!.body)).toMatchObject({ event: 'HostDown' });
    expect((await h.call('POST', '/v1/admin/webhooks/nope/test', {})).status).toBe(404);
    expect((await h.call('POST', '/v1/admin/webhooks/ops/test', { type: 7 })).json.error.problems).toEqual(['/type: must be a non-empty string']);
  });

  it('resolves Classic and OAS references at load and shows them on the webhook and the APIs', async () => {
    const seeded = await h.call('GET', '/v1/admin/webhooks/seeded');
    expect(seeded.json.references).toEqual([
      { api_id: 'classic', event: 'KeyExpired', handler: 'seeded' },
      { api_id: 'orders', event: 'AuthFailure', handler: 'seeded' },
    ]);
    const api = await h.call('GET', '/v1/admin/apis/orders');
    expect(api.json.handlers[0]).toMatchObject({ handler: 'seeded', plugin: 'eh_web_hook_handler', global_webhook: { id: 'seeded', deleted: false } });
  });

  it('follows a change to a referenced webhook without a reload, then keeps the last copy after a delete', async () => {
    const generation = h.runtime.generation().number;
    const put = await h.call('PUT', '/v1/admin/webhooks/seeded', { name: 'Seeded', url: `${sink.url}/seeded-v2`, method: 'PUT' });
    expect(put.json.revision).toBe(2);
    h.runtime.fire('orders', 'AuthFailure', authFailure('after-change'));
    const moved = await eventually(() => sink.received.find((r) => r.body.includes('after-change')));
    expect(moved).toMatchObject({ url: '/seeded-v2', method: 'PUT' });
    const del = await h.call('DELETE', '/v1/admin/webhooks/seeded');
    expect(del.status).toBe(200);
    expect(del.json.references).toHaveLength(2);
    await eventually(() => h.lines.some((l) => l.code === 'FH_GLOBAL_WEBHOOK_DELETED'));
    h.runtime.fire('orders', 'AuthFailure', authFailure('after-delete'));
    const kept = await eventually(() => sink.received.find((r) => r.body.includes('after-delete')));
    expect(kept.url).toBe('/seeded-v2');
    expect(h.runtime.generation().number).toBe(generation);
    expect((await h.call('GET', '/v1/admin/webhooks')).json.webhooks.map((w: { id: string }) => w.id)).not.toContain('seeded');
    expect((await h.call('GET', '/v1/admin/webhooks?deleted=true')).json.webhooks.find((w: { id: string }) => w.id === 'seeded')).toMatchObject({
      deleted: true,
    });
    expect((await h.call('DELETE', '/v1/admin/webhooks/seeded')).status).toBe(404);
    expect((await h.call('GET', '/v1/admin/apis/orders')).json.handlers[0].global_webhook).toMatchObject({ deleted: true });
  });

  it('reloads onto the tombstone with a warning: the API keeps the deleted webhook as a local copy', async () => {
    const result = await h.runtime.reload();
    expect(result.ok).toBe(true);
    expect(result.problems.map((p) => `${p.pointer} ${p.severity}`)).toContain('/x-tyk-api-gateway/server/eventHandlers/0/id warning');
    h.runtime.fire('orders', 'AuthFailure', authFailure('after-reload'));
    expect((await eventually(() => sink.received.find((r) => r.body.includes('after-reload')))).url).toBe('/seeded-v2');
  });

  it('logs every mutation with its action and without secrets', () => {
    const actions = h.lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('admin: ')).map((l) => l.action);
    expect(actions).toEqual(expect.arrayContaining(['webhook.create', 'webhook.update', 'webhook.delete', 'webhook.test']));
  });
});

describe('admin API access', () => {
  it('requires the bearer admin_secret when one is set', async () => {
    const ws = await workspace({ memory: true, gateway: { admin_secret: 's3cret-admin' } });
    const h = await startHarness(ws.config);
    try {
      const none = await h.call('GET', '/v1/admin/webhooks');
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await h.call('GET', '/v1/admin/webhooks', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await h.call('GET', '/v1/admin/webhooks', undefined, { authorization: 'Bearer s3cret-admin' })).status).toBe(200);
      expect((await h.call('GET', '/metrics')).status).toBe(401);
      expect((await h.call('GET', '/metrics', undefined, { authorization: 'Bearer s3cret-admin' })).status).toBe(200);
    } finally {
      await h.close();
      await ws.cleanup();
    }
  });

  it('serves loopback clients only without admin_secret, and refuses cross-origin and rebound requests', async () => {
    const ws = await workspace({ memory: true });
    const h = await startHarness(ws.config, '0.0.0.0:0', 'ingest-secret');
    try {
      expect((await h.call('GET', '/v1/admin/status')).status).toBe(200);
      expect((await h.call('GET', '/v1/admin/status', undefined, { origin: 'http://evil.example' })).status).toBe(403);
      // fetch cannot set Host; a DNS-rebound page would send its own name
      const rebound = await new Promise<number>((resolve, reject) => {
        request(`${h.url}/v1/admin/status`, { headers: { host: 'evil.example' } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
          .on('error', reject)
          .end();
      });
      expect(rebound).toBe(403);
      const external = Object.values(networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal);
      if (external) {
        const port = new URL(h.url).port;
        const res = await fetch(`http://${external.address}:${port}/v1/admin/status`);
        expect(res.status).toBe(403);
        expect(res.headers.get('x-firehook-error-code')).toBe('FH_ADMIN_FORBIDDEN');
      }
    } finally {
      await h.close();
      await ws.cleanup();
    }
  });
});
