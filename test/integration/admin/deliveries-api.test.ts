import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startSink, type Sink } from '../delivery/helpers.ts';
import { oasApi, startHarness, workspace, type AdminHarness, type Workspace } from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

let sink: Sink;
let failing = true;
let ws: Workspace;
let h: AdminHarness;

beforeAll(async () => {
  sink = await startSink((r) => (r.url.startsWith('/flaky') && failing ? { status: 503, body: 'x'.repeat(5000) } : { status: 200, body: 'thanks' }));
  ws = await workspace({
    seeds: [
      { id: 'flaky', url: `${sink.url}/flaky`, method: 'POST', retry_schedule: [] },
      { id: 'steady', url: `${sink.url}/steady`, method: 'POST' },
    ],
    apis: {
      'billing.json': oasApi('billing', [
        { enabled: true, trigger: 'AuthFailure', type: 'webhook', id: 'flaky' },
        { enabled: true, trigger: 'KeyExpired', type: 'webhook', id: 'steady' },
      ]),
      'shop.json': {
        api_id: 'shop',
        org_id: 'acme',
        event_handlers: { events: { AuthFailure: [{ handler_name: 'eh_web_hook_handler', handler_meta: { id: 'steady', event_timeout: 0 } }] } },
      },
    },
  });
  h = await startHarness(ws.config);
});
afterAll(async () => {
  await h.close();
  await ws.cleanup();
  await sink.close();
});

const meta = (key: string) => ({ Message: 'Auth Failure', Path: '/p', Origin: '10.0.0.1', Key: key });

describe('admin API: deliveries', () => {
  it('lists recent attempts per webhook, per API and by event, newest first, with a truncated response body', async () => {
    await h.runtime.fireAndWait('billing', 'AuthFailure', meta('k-fail-1'));
    await h.runtime.fireAndWait('shop', 'AuthFailure', meta('k-ok-1'));
    await eventually(async () => (await h.call('GET', '/v1/admin/deliveries/attempts')).json.attempts.length >= 2);
    const flaky = await h.call('GET', '/v1/admin/webhooks/flaky/attempts');
    expect(flaky.json.attempts).toHaveLength(1);
    expect(flaky.json.attempts[0]).toMatchObject({
      handler: 'flaky',
      apiId: 'billing',
      eventType: 'AuthFailure',
      outcome: 'failed',
      responseCode: 503,
      method: 'POST',
    });
    expect(flaky.json.attempts[0].responseBody.length).toBeLessThan(5000);
    expect(flaky.json.attempts[0].durationMs).toBeGreaterThanOrEqual(0);
    const shop = await h.call('GET', '/v1/admin/apis/shop/attempts');
    expect(shop.json.attempts.map((a: { handler: string; outcome: string }) => [a.handler, a.outcome])).toEqual([['steady', 'delivered']]);
    const byEvent = await h.call('GET', '/v1/admin/deliveries/attempts?event=AuthFailure&api_id=billing&limit=5');
    expect(byEvent.json.attempts.every((a: { apiId: string }) => a.apiId === 'billing')).toBe(true);
    expect((await h.call('GET', '/v1/admin/deliveries/attempts?limit=zero')).status).toBe(400);
  });

  it('lists dead letters, shows one with its attempts, and replays it once the target recovers', async () => {
    const letters = await eventually(async () => {
      const r = await h.call('GET', '/v1/admin/deliveries/dead-letters?handler=flaky');
      return r.json.dead_letters.length > 0 ? r.json.dead_letters : undefined;
    });
    const id = letters[0].id as string;
    expect(letters[0]).toMatchObject({ reason: 'exhausted', lastResponseCode: 503, origin: { apiId: 'billing', handler: 'flaky' } });
    const one = await h.call('GET', `/v1/admin/deliveries/dead-letters/${id}`);
    expect(one.json.attempts[0]).toMatchObject({ deliveryId: id, outcome: 'failed' });
    expect((await h.call('GET', '/v1/admin/deliveries/dead-letters/nope')).status).toBe(404);
    failing = false;
    const before = sink.received.filter((r) => r.url === '/flaky').length;
    const replayed = await h.call('POST', `/v1/admin/deliveries/dead-letters/${id}/replay`, {});
    expect(replayed.json).toEqual({ replayed: [id], missing: [] });
    await eventually(() => sink.received.filter((r) => r.url === '/flaky').length > before);
    const after = await eventually(async () =>
      (await h.call('GET', `/v1/admin/deliveries/attempts?delivery=${id}`)).json.attempts.find((a: { outcome: string }) => a.outcome === 'delivered'),
    );
    expect(after.responseCode).toBe(200);
    expect((await h.call('POST', '/v1/admin/deliveries/dead-letters/nope/replay', {})).status).toBe(404);
  });

  it('replays many by id, or all of a handler, and rejects a request that names none', async () => {
    failing = true;
    await h.runtime.fireAndWait('billing', 'AuthFailure', meta('k-fail-2'));
    await h.runtime.fireAndWait('billing', 'AuthFailure', meta('k-fail-3'));
    const letters = await eventually(async () => {
      const r = await h.call('GET', '/v1/admin/deliveries/dead-letters?api_id=billing');
      return r.json.dead_letters.length >= 2 ? r.json.dead_letters : undefined;
    });
    failing = false;
    const many = await h.call('POST', '/v1/admin/deliveries/replay', { ids: [letters[0].id, 'missing-id'] });
    expect(many.json).toEqual({ replayed: [letters[0].id], missing: ['missing-id'] });
    const all = await h.call('POST', '/v1/admin/deliveries/replay', { all: true, handler: 'flaky' });
    expect(all.json.replayed).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await h.call('GET', '/v1/admin/deliveries/dead-letters?handler=flaky')).json.dead_letters.length === 0);
    const bad = await h.call('POST', '/v1/admin/deliveries/replay', { ids: [] });
    expect(bad.status).toBe(400);
    expect(bad.json.error.problems[0]).toMatch(/^\/ids: /);
  });

  it('lists the APIs with their handlers and the generation, and a status summary', async () => {
    const apis = await h.call('GET', '/v1/admin/apis');
    expect(apis.json.generation).toBe(h.runtime.generation().number);
    expect(apis.json.apis.map((a: { api_id: string }) => a.api_id)).toEqual(['billing', 'shop']);
    const billing = apis.json.apis[0];
    expect(billing.handlers.map((x: { handler: string; event: string }) => `${x.event}:${x.handler}`)).toEqual(['AuthFailure:flaky', 'KeyExpired:steady']);
    expect(billing.handlers[0].received).toBeGreaterThanOrEqual(3);
    expect((await h.call('GET', '/v1/admin/apis/nope')).status).toBe(404);
    const status = await h.call('GET', '/v1/admin/status');
    expect(status.json).toMatchObject({ store: 'redis', durable: true, apis: 2, global_webhooks: { count: 2, store: 'redis' } });
    expect((await h.call('GET', '/v1/admin/event-types')).json.types).toContain('RatelimitExceeded');
    expect((await h.call('GET', '/v1/admin/')).json.routes).toContain('POST /v1/admin/webhooks/:id/test');
  });

  it('streams fired events as server-sent events, filtered by API and type, with keys obfuscated', async () => {
    const controller = new AbortController();
    const res = await fetch(`${h.url}/v1/admin/events/stream?api_id=shop&type=AuthFailure`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const frames = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += value;
        if (text.includes('stream-marker')) return;
      }
    })();
    await eventually(() => h.runtime.eventStream.listeners === 1);
    h.runtime.fire('billing', 'AuthFailure', meta('other-api'));
    h.runtime.fire('shop', 'KeyExpired', meta('other-type'));
    h.runtime.fire('shop', 'NoSuchEvent', { Message: 'unmatched' });
    h.runtime.fire('shop', 'AuthFailure', { ...meta('secret-key-1234'), Message: 'stream-marker' });
    await frames;
    controller.abort();
    const events = text
      .split('\n\n')
      .filter((f) => f.startsWith('event: fired'))
      .map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ api_id: 'shop', type: 'AuthFailure', matched: 1, meta: { Key: '****1234', Message: 'stream-marker' } });
    expect(text).not.toContain('secret-key-1234');
    await eventually(() => h.runtime.eventStream.listeners === 0);
  });

  it('serves Prometheus metrics: events, outcomes, cooldowns, delivery attempts by host, queues and reloads', async () => {
    await h.runtime.reload();
    const res = await fetch(`${h.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    const host = new URL(sink.url).host;
    expect(body).toContain('firehook_events_total{api_id="billing",type="AuthFailure"}');
    expect(body).toMatch(/firehook_events_dispatch_total\{result="unmatched"\} [1-9]/);
    expect(body).toMatch(/firehook_handler_outcomes_total\{plugin="eh_web_hook_handler",api_id="billing",event="AuthFailure",status="queued"\} [1-9]/);
    expect(body).toMatch(new RegExp(`firehook_delivery_attempts_total\\{host="${host}",outcome="5xx"\\} [1-9]`));
    expect(body).toMatch(new RegExp(`firehook_delivery_attempts_total\\{host="${host}",outcome="2xx"\\} [1-9]`));
    expect(body).toContain(`firehook_delivery_attempt_duration_seconds_bucket{le="0.005",host="${host}",outcome="2xx"}`);
    expect(body).toMatch(/firehook_deliveries_total\{result="dead_lettered"\} [1-9]/);
    expect(body).toContain('firehook_handler_queue_depth{plugin="eh_web_hook_handler",api_id="shop",event="AuthFailure",handler="steady"} 0');
    expect(body).toMatch(/firehook_reloads_total\{result="ok"\} 1/);
    expect(body).toContain('firehook_global_webhooks 2');
    expect(body).toContain('firehook_generation 2');
    expect(body).toContain('process_cpu_user_seconds_total');
  });
});
