import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryStats } from '../../../core/delivery/delivery-service.ts';
import { MetricsService, type MetricsSources, type SandboxStatsLike } from '../../../core/metrics/metrics-service.ts';
import { createDeliveryService, type ManagedDeliveryService } from '../../../core/delivery/create-delivery-service.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import { options, request as helperRequest, silentLogger } from '../../integration/delivery/helpers.ts';
import { eventually } from '../../helpers/poll.ts';

const services: MetricsService[] = [];
afterEach(() => {
  for (const s of services.splice(0)) s.close();
});

function service(sources: Partial<MetricsSources> = {}, max = 1000): MetricsService {
  const s = new MetricsService(
    {
      dispatch: () => undefined,
      generation: () => undefined,
      deliveries: () => undefined,
      sandbox: () => undefined,
      globalWebhooks: () => undefined,
      ...sources,
    },
    { default_metrics: false, max_label_values: max },
  );
  services.push(s);
  return s;
}

const text = async (s: MetricsService): Promise<string> => (await s.render()).body;

const engines: ManagedDeliveryService[] = [];
afterAll(async () => {
  for (const e of engines) await e.close(1_000);
});
/** A real delivery service (memory mode, no retries) whose attempts the metrics observe. */
function deliveryService(): ManagedDeliveryService {
  const engine = createDeliveryService({ store: new MemoryStore(), logger: silentLogger(), defaults: {} });
  engines.push(engine);
  return engine;
}
const deliveryRequest = (url: string) => helperRequest(url, { options: options({ retryScheduleMs: [] }) });
const info = { handler: 'h1', plugin: 'eh_web_hook_handler', event: 'AuthFailure', apiId: 'shop' };

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => res.writeHead(req.url === '/bad' ? 502 : 204).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('MetricsService', () => {
  it('counts matched fires by API and type, folding API ids beyond the cap into __other__', async () => {
    const s = service({}, 2);
    for (const api of ['a', 'a', 'b', 'c', 'd']) s.fired(api, 'AuthFailure');
    s.fired('', 'TokenCreated');
    const body = await text(s);
    expect(body).toContain('firehook_events_total{api_id="a",type="AuthFailure"} 2');
    expect(body).toContain('firehook_events_total{api_id="b",type="AuthFailure"} 1');
    expect(body).toContain('firehook_events_total{api_id="__other__",type="AuthFailure"} 2');
    expect(body).toContain('firehook_events_total{api_id="__other__",type="TokenCreated"} 1');
  });

  it('turns running totals (dispatch, deliveries, sandbox) into counters that only grow', async () => {
    const dispatch = { matched: 3, unmatched: 5, rejected: 0 };
    const deliveries = {
      submitted: 4,
      suppressed: 1,
      delivered: 2,
      retries: 1,
      failed: 1,
      inFlight: 1,
      queued: 2,
      scheduled: 0,
      openBreakers: ['http://x'],
    } as unknown as DeliveryStats;
    const sandbox: SandboxStatsLike = { restarts: 1, generations: 2, queued: 0, inflightCrossings: 0, crossings: 7, events: 9 };
    const s = service({ dispatch: () => dispatch, deliveries: () => deliveries, sandbox: () => sandbox });
    await text(s);
    dispatch.unmatched = 8;
    sandbox.events = 12;
    const body = await text(s);
    expect(body).toContain('firehook_events_dispatch_total{result="unmatched"} 8');
    expect(body).toContain('firehook_deliveries_total{result="dead_lettered"} 1');
    expect(body).toContain('firehook_delivery_queue_depth{state="queued"} 2');
    expect(body).toContain('firehook_delivery_open_breakers 1');
    expect(body).toContain('firehook_sandbox_total{kind="invocations"} 12');
    expect(body).toContain('firehook_sandbox_total{kind="rebuilds"} 1');
  });

  it('records handler outcomes, durations, cooldown suppressions, sandbox timeouts and drops', async () => {
    const s = service();
    s.slots.outcome(info, 'queued', undefined, 0.002);
    s.slots.outcome(info, 'suppressed', undefined, 0.001);
    s.slots.outcome({ ...info, plugin: 'eh_dynamic_handler' }, 'failed', 'FH_SANDBOX_TIMEOUT', 5);
    s.slots.dropped(info);
    const body = await text(s);
    expect(body).toContain('firehook_handler_outcomes_total{plugin="eh_web_hook_handler",api_id="shop",event="AuthFailure",status="queued"} 1');
    expect(body).toContain('firehook_cooldown_suppressions_total{api_id="shop",handler="h1"} 1');
    expect(body).toContain('firehook_sandbox_timeouts_total 1');
    expect(body).toContain('firehook_queue_dropped_total{plugin="eh_web_hook_handler",api_id="shop",event="AuthFailure",handler="h1"} 1');
    expect(body).toContain('firehook_handler_duration_seconds_count{plugin="eh_dynamic_handler"} 1');
  });

  it('times webhook delivery attempts by host and outcome as the delivery engine announces them, and nothing else', async () => {
    const s = service();
    const deliveries = deliveryService();
    await deliveries.submit(deliveryRequest(`${base}/ok`));
    await deliveries.submit(deliveryRequest(`${base}/bad`));
    await deliveries.submit(deliveryRequest('http://127.0.0.1:1/'));
    // a request that only looks like a delivery (it carries a webhook-id header) is not one
    await (await request(`${base}/ok`, { method: 'POST', headers: { 'webhook-id': 'msg_1' }, body: '{}' })).body.dump();
    await eventually(() => deliveries.stats().delivered + deliveries.stats().failed === 3, 'three deliveries settled');
    const body = await text(s);
    const host = new URL(base).host;
    expect(body).toContain(`firehook_delivery_attempts_total{host="${host}",outcome="2xx"} 1`);
    expect(body).toContain(`firehook_delivery_attempts_total{host="${host}",outcome="5xx"} 1`);
    expect(body).toContain('firehook_delivery_attempts_total{host="127.0.0.1:1",outcome="error"} 1');
    expect(body).toContain('firehook_delivery_attempt_errors_total{host="127.0.0.1:1",code="ECONNREFUSED"} 1');
    expect(body).toContain(`firehook_delivery_attempt_duration_seconds_count{host="${host}",outcome="2xx"} 1`);
  });

  it('reports the generation, queue depths and reloads, and stops observing when closed', async () => {
    const s = service({
      generation: () => ({ number: 3, handlers: [{ ...info, queued: 4, running: 1, received: 9, completed: 4, failed: 0, dropped: 0 }] }),
      globalWebhooks: () => 5,
    });
    s.reloaded(true);
    s.reloaded(false);
    const body = await text(s);
    expect(body).toContain('firehook_generation 3');
    expect(body).toContain('firehook_handler_queue_depth{plugin="eh_web_hook_handler",api_id="shop",event="AuthFailure",handler="h1"} 4');
    expect(body).toContain('firehook_reloads_total{result="failed"} 1');
    expect(body).toContain('firehook_global_webhooks 5');
    s.close();
    const deliveries = deliveryService();
    await deliveries.submit(deliveryRequest(`${base}/ok`));
    await eventually(() => deliveries.stats().delivered === 1, 'the delivery made');
    expect(await text(s)).not.toContain('firehook_delivery_attempts_total{');
  });
});
