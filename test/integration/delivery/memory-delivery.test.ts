import { afterEach, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createDeliveryService, type ManagedDeliveryService } from '../../../core/delivery/index.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';
import type { DeliveryTuning } from '../../../core/delivery/tuning.ts';
import { capturingLogger, options, request, silentLogger, startSink, type Sink } from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function sink(reply?: Parameters<typeof startSink>[0]): Promise<Sink> {
  const s = await startSink(reply);
  cleanups.push(() => s.close());
  return s;
}

function service(tuning: Partial<DeliveryTuning> = {}, logger = silentLogger(), store = new MemoryStore()): ManagedDeliveryService {
  const svc = createDeliveryService({ store, logger, defaults: {}, tuning: { jitter: 0, ...tuning } });
  cleanups.push(() => svc.close(1_000));
  cleanups.push(() => store.close());
  return svc;
}

describe('DeliveryService (memory mode)', () => {
  it('delivers the body, headers and a signature the reference library verifies when signing is configured', async () => {
    const s = await sink();
    const svc = service();
    const result = await svc.submit(
      request(`${s.url}/hook?x=1`, { headers: { 'Content-Type': 'application/json', 'X-Custom': 'yes' }, options: options({ signing: { secret: SECRET } }) }),
    );
    expect(result.status).toBe('queued');
    await eventually(() => s.received.length === 1);
    const got = s.received[0]!;
    expect(got).toMatchObject({ method: 'POST', url: '/hook?x=1', body: '{"event":"QuotaExceeded"}' });
    expect(got.headers['x-custom']).toBe('yes');
    expect(got.headers['webhook-id']).toBe(result.status === 'queued' ? result.id : '');
    expect(() => new Webhook(SECRET).verify(got.body, got.headers as Record<string, string>)).not.toThrow();
    await eventually(() => svc.stats().delivered === 1);
  });

  it('sends no body when the method is GET and turns URL credentials into basic auth', async () => {
    const s = await sink();
    const svc = service();
    await svc.submit(request(`http://user:p%40ss@127.0.0.1:${s.port}/get`, { method: 'get', body: '{"ignored":true}' }));
    await eventually(() => s.received.length === 1);
    expect(s.received[0]).toMatchObject({ method: 'GET', body: '' });
    expect(s.received[0]!.headers['content-length']).toBeUndefined();
    expect(s.received[0]!.headers.authorization).toBe(`Basic ${Buffer.from('user:p@ss').toString('base64')}`);
  });

  it('delivers exactly once when many submits race for one cooldown key', async () => {
    const s = await sink();
    const svc = service();
    const results = await Promise.all(
      Array.from({ length: 300 }, () => svc.submit(request(`${s.url}/hook`, { cooldown: { key: 'webhook.cache.abc', ttlMs: 60_000 } }))),
    );
    expect(results.filter((r) => r.status === 'queued')).toHaveLength(1);
    expect(svc.stats().suppressed).toBe(299);
    await eventually(() => svc.stats().delivered === 1);
    expect(s.received).toHaveLength(1);
  });

  it('releases the cooldown claim when the delivery finally fails', async () => {
    const s = await sink(() => ({ status: 400 }));
    const store = new MemoryStore();
    const svc = service({}, silentLogger(), store);
    await svc.submit(request(`${s.url}/hook`, { cooldown: { key: 'webhook.cache.fail', ttlMs: 60_000 } }));
    expect(await store.get('webhook.cache.fail')).not.toBeNull();
    await eventually(async () => (await store.get('webhook.cache.fail')) === null, 'claim release');
    expect(svc.stats().failed).toBe(1);
    expect((await svc.submit(request(`${s.url}/hook`, { cooldown: { key: 'webhook.cache.fail', ttlMs: 60_000 } }))).status).toBe('queued');
  });

  it('fails without following when the target answers a redirect', async () => {
    const s = await sink((req) => (req.url === '/hook' ? { status: 302, headers: { location: '/elsewhere' } } : { status: 200 }));
    const svc = service();
    const r = await svc.submit(request(`${s.url}/hook`));
    await eventually(() => svc.stats().failed === 1);
    expect(s.received.map((x) => x.url)).toEqual(['/hook']);
    const id = r.status === 'queued' ? r.id : '';
    expect(await svc.admin.deadLetter(id)).toMatchObject({ reason: 'redirected', attempts: 1, lastResponseCode: 302 });
  });

  it('stops retrying and marks the target gone when it answers 410', async () => {
    const s = await sink(() => ({ status: 410 }));
    const svc = service();
    await svc.submit(request(`${s.url}/hook`));
    await eventually(() => svc.stats().failed === 1);
    expect(s.received).toHaveLength(1);
    expect(Object.keys(svc.stats().goneTargets)).toEqual([s.url]);
    const [attempt] = await svc.admin.attempts({ handler: 'api1:QuotaExceeded:0' });
    expect(attempt).toMatchObject({ outcome: 'gone', responseCode: 410 });
  });

  it('fails at once without retrying when the target answers another 4xx', async () => {
    const s = await sink(() => ({ status: 422, body: 'bad payload' }));
    const svc = service();
    await svc.submit(request(`${s.url}/hook`));
    await eventually(() => svc.stats().failed === 1);
    expect(s.received).toHaveLength(1);
    expect((await svc.admin.attempts())[0]).toMatchObject({ outcome: 'failed', responseCode: 422, responseBody: 'bad payload' });
  });

  it('waits for Retry-After before retrying when the target answers 429', async () => {
    let calls = 0;
    const s = await sink(() => (++calls === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    const svc = service();
    await svc.submit(request(`${s.url}/hook`, { options: options({ retryScheduleMs: [20] }) }));
    await eventually(() => svc.stats().delivered === 1);
    expect(s.received).toHaveLength(2);
    expect(s.received[1]!.arrivedAt - s.received[0]!.arrivedAt).toBeGreaterThanOrEqual(950);
  });

  it('gives up on an attempt at the timeout when the target is slow', async () => {
    const s = await sink(() => ({ status: 200, delayMs: 3_000 }));
    const svc = service();
    await svc.submit(request(`${s.url}/hook`, { options: options({ timeoutMs: 300, retryScheduleMs: [] }) }));
    await eventually(() => svc.stats().failed === 1);
    // given up before the target answered
    expect(s.received[0]!.respondedAt).toBeUndefined();
    const [attempt] = await svc.admin.attempts();
    expect(attempt).toMatchObject({ outcome: 'failed' });
    expect(attempt!.error).toMatch(/^ETIMEDOUT/);
    expect(attempt!.durationMs).toBeGreaterThanOrEqual(290);
    expect((await svc.admin.deadLetters())[0]).toMatchObject({ reason: 'exhausted' });
  });

  it('refuses a target resolving to loopback when private networks are denied unless allow-listed', async () => {
    const s = await sink();
    const svc = service();
    await svc.submit(request(`http://localhost:${s.port}/hook`, { options: options({ denyPrivateNetworks: true }) }));
    await eventually(() => svc.stats().failed === 1);
    expect(s.received).toHaveLength(0);
    expect((await svc.admin.deadLetters())[0]).toMatchObject({ reason: 'denied', attempts: 1 });
    await svc.submit(request(`http://localhost:${s.port}/hook`, { options: options({ denyPrivateNetworks: true, allowNetworks: ['127.0.0.1/32', '::1'] }) }));
    await eventually(() => s.received.length === 1);
  });

  it('replays a dead letter when asked', async () => {
    let healthy = false;
    const s = await sink(() => (healthy ? { status: 200 } : { status: 400 }));
    const svc = service();
    const r = await svc.submit(request(`${s.url}/hook`));
    await eventually(() => svc.stats().failed === 1);
    healthy = true;
    const id = r.status === 'queued' ? r.id : '';
    expect(await svc.admin.replay([id, 'msg_unknown'])).toEqual({ replayed: [id], missing: ['msg_unknown'] });
    await eventually(() => svc.stats().delivered === 1);
    expect(await svc.admin.deadLetters()).toHaveLength(0);
  });

  it('keeps signing secrets and authorization headers out of logs when deliveries fail and succeed', async () => {
    let n = 0;
    const s = await sink(() => (++n % 2 === 0 ? { status: 200 } : { status: 500 }));
    const { logger, lines } = capturingLogger();
    const svc = service({}, logger);
    await svc.submit(
      request(`http://admin:hunter2@127.0.0.1:${s.port}/hook?token=q-secret`, {
        headers: { Authorization: 'Bearer tok-very-secret' },
        options: options({ signing: { secret: SECRET } }),
      }),
    );
    await svc.submit(request(`http://admin:hunter2@127.0.0.1:${s.port}/hook`, { options: options({ signing: { secret: SECRET }, retryScheduleMs: [] }) }));
    await eventually(() => svc.stats().delivered + svc.stats().failed === 2);
    const text = lines.join('\n');
    expect(lines.length).toBeGreaterThan(1);
    for (const secret of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'tok-very-secret', 'hunter2', 'q-secret', 'YWRtaW46aHVudGVyMg'])
      expect(text).not.toContain(secret);
    const letters = JSON.stringify(await svc.admin.deadLetters());
    for (const secret of ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'hunter2', 'YWRtaW46aHVudGVyMg']) expect(letters).not.toContain(secret);
  });

  it('refuses new work with FH_DELIVERY_CLOSED and reports unfinished attempts when closed past the deadline', async () => {
    const s = await sink(() => ({ status: 200, delayMs: 2_000 }));
    const svc = service();
    await svc.submit(request(`${s.url}/hook`));
    await eventually(() => s.received.length === 1);
    expect(await svc.close(100)).toEqual({ unfinished: 1 });
    await expect(svc.submit(request(`${s.url}/hook`))).rejects.toMatchObject({ code: 'FH_DELIVERY_CLOSED' });
  });

  it('keeps delivering queued deliveries while it closes, until the queue is empty', async () => {
    const s = await sink(() => ({ status: 200, delayMs: 5 }));
    const svc = service({ maxConcurrencyPerTarget: 1 });
    for (let i = 0; i < 200; i++) await svc.submit(request(`${s.url}/hook`));
    expect(svc.stats().queued).toBeGreaterThan(100); // one at a time: most are still waiting
    expect(await svc.close(120_000)).toEqual({ unfinished: 0 });
    expect(s.received.length).toBe(200);
    expect(svc.stats().delivered).toBe(200);
  });

  it('reports the count and every id of what a close past the deadline leaves undelivered', async () => {
    const s = await sink(() => ({ status: 200, delayMs: 2_000 }));
    const { logger, lines } = capturingLogger();
    const svc = service({ maxConcurrencyPerTarget: 1 }, logger);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await svc.submit(request(`${s.url}/hook`));
      if (r.status === 'queued') ids.push(r.id);
    }
    await eventually(() => s.received.length === 1);
    expect(await svc.close(100)).toEqual({ unfinished: 3 });
    const parsed = lines.map((l) => JSON.parse(l) as { code?: string; unfinished?: number; ids?: string[] });
    expect(parsed.find((l) => l.code === 'FH_SHUTDOWN_INCOMPLETE' && l.unfinished !== undefined)?.unfinished).toBe(3);
    expect(
      parsed
        .filter((l) => l.ids)
        .flatMap((l) => l.ids!)
        .sort(),
    ).toEqual([...ids].sort());
  });

  it('refuses with FH_DELIVERY_QUEUE_FULL and releases the claim when the memory queue is full', async () => {
    const s = await sink(() => ({ status: 200, delayMs: 500 }));
    const store = new MemoryStore();
    const svc = service({ maxQueued: 2, maxConcurrencyPerTarget: 1 }, silentLogger(), store);
    await svc.submit(request(`${s.url}/hook`));
    await svc.submit(request(`${s.url}/hook`));
    await expect(svc.submit(request(`${s.url}/hook`, { cooldown: { key: 'webhook.cache.full', ttlMs: 60_000 } }))).rejects.toMatchObject({
      code: 'FH_DELIVERY_QUEUE_FULL',
    });
    expect(await store.get('webhook.cache.full')).toBeNull();
  });

  it('throws FH_DELIVERY_INVALID when the request is malformed', async () => {
    const svc = service();
    await expect(svc.submit(request('ftp://example.com/x'))).rejects.toMatchObject({ code: 'FH_DELIVERY_INVALID' });
    await expect(svc.submit(request('http://example.com/x', { method: 'TRACE' }))).rejects.toMatchObject({ code: 'FH_DELIVERY_INVALID' });
    await expect(svc.submit(request('http://example.com/x', { headers: { 'X-A': 'a\r\nInjected: 1' } }))).rejects.toMatchObject({
      code: 'FH_DELIVERY_INVALID',
    });
  });
});
