/**
 * Ingestion without ingest_secret, attacked the way a web page can: foreign Origin, a DNS-rebound
 * Host, bodies a page can send without a preflight. Each refusal is checked, then a legitimate event
 * is flushed through the same handler to prove none of the refused ones was handled before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, ingestSetup, raw, type IngestSetup } from './helpers.ts';

describe('ingestion without ingest_secret', () => {
  let s: IngestSetup;
  let port: number;
  beforeAll(async () => {
    s = await ingestSetup();
    port = Number(new URL(s.h.url).port);
  });
  afterAll(async () => {
    await s?.close();
  });

  const json = { 'content-type': 'application/json' };

  it('refuses a foreign Origin with a coded 403 from the error templates, and accepts its own', async () => {
    for (const origin of ['http://evil.example', `http://127.0.0.1:${port + 1}`, `http://localhost:${port + 1}`, `https://127.0.0.1:${port}`, 'null']) {
      const res = await raw(`${s.h.url}/v1/events`, { ...json, origin }, event(`orig-${origin.length}x`));
      expect(res.status, origin).toBe(403);
      expect(res.headers['x-firehook-error-code'], origin).toBe('FH_INGEST_FORBIDDEN');
      expect(res.headers['x-generator'], origin).toBe('tyk.io');
      expect(JSON.parse(res.body).error, origin).toMatch(/cross-origin/);
    }
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      expect((await raw(`${s.h.url}/v1/events`, { ...json, origin }, event('own-origin-0001'))).status, origin).toBe(202);
    }
    await s.flush('guard-flush-0002');
    expect(s.handledKeys().filter((k) => k !== '****0001' && k !== '****0002')).toEqual([]);
  });

  it('refuses a Host that is not a loopback name or the bound address (DNS rebinding)', async () => {
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, `10.0.0.1:${port}`, '[::ffff:10.0.0.1]']) {
      const res = await raw(`${s.h.url}/v1/events`, { ...json, host }, event('rebound-0003'));
      expect(res.status, host).toBe(403);
      expect(res.headers['x-firehook-error-code'], host).toBe('FH_INGEST_FORBIDDEN');
      expect(JSON.parse(res.body).error, host).toMatch(/DNS rebinding/);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST.:${port}`, `127.0.0.9:${port}`, `[::1]:${port}`]) {
      expect((await raw(`${s.h.url}/v1/events`, { ...json, host }, event('host-ok-0004'))).status, host).toBe(202);
    }
    await s.flush('guard-flush-0005');
    expect(s.handledKeys()).not.toContain('****0003');
  });

  it('refuses a body without a JSON or NDJSON content type with 415 (what forms, sendBeacon and no-cors fetch send)', async () => {
    const cases: [string, Record<string, string>][] = [
      ['none', {}],
      ['text/plain', { 'content-type': 'text/plain;charset=UTF-8' }],
      ['form', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['multipart', { 'content-type': 'multipart/form-data; boundary=x' }],
    ];
    for (const [name, headers] of cases) {
      const res = await raw(`${s.h.url}/v1/events`, headers, event('typeless-0006'));
      expect(res.status, name).toBe(415);
      expect(res.headers['x-firehook-error-code'], name).toBe('FH_INGEST_UNSUPPORTED_MEDIA_TYPE');
      expect(res.headers['accept'], name).toMatch(/application\/json/);
    }
    expect((await raw(`${s.h.url}/v1/events`, { 'content-type': 'application/cloudevents+json' }, event('plus-json-0007'))).status).toBe(202);
    expect((await raw(`${s.h.url}/v1/events`, { 'content-type': 'application/x-ndjson' }, `${event('ndjson-0008')}\n`)).status).toBe(202);
    await s.flush('guard-flush-0009');
    expect(s.handledKeys()).not.toContain('****0006');
    expect(s.handledKeys()).toEqual(expect.arrayContaining(['****0007', '****0008']));
  });

  it('gives the admin API the same protection: foreign Origin and rebound Host refused', async () => {
    const origin = await raw(`${s.h.url}/v1/admin/webhooks`, { origin: 'http://evil.example' }, undefined, 'GET');
    expect([origin.status, origin.headers['x-firehook-error-code']]).toEqual([403, 'FH_ADMIN_FORBIDDEN']);
    const host = await raw(`${s.h.url}/v1/admin/webhooks`, { host: `evil.example:${port}` }, undefined, 'GET');
    expect([host.status, host.headers['x-firehook-error-code']]).toEqual([403, 'FH_ADMIN_FORBIDDEN']);
    expect((await raw(`${s.h.url}/v1/admin/webhooks`, {}, undefined, 'GET')).status).toBe(200);
  });
});

describe('ingestion with ingest_secret', () => {
  let s: IngestSetup;
  beforeAll(async () => {
    s = await ingestSetup({}, 's3cret-token');
  });
  afterAll(async () => {
    await s?.close();
  });

  it('keeps bearer auth as it was: a missing content type reads as JSON, Origin and Host are not judged', async () => {
    const auth = { authorization: 'Bearer s3cret-token' };
    expect((await raw(`${s.h.url}/v1/events`, {}, event('no-token-0010'))).status).toBe(401);
    expect((await raw(`${s.h.url}/v1/events`, auth, event('typeless-0011'))).status).toBe(202);
    expect(
      (
        await raw(
          `${s.h.url}/v1/events`,
          { ...auth, 'content-type': 'application/json', origin: 'http://other.example', host: 'gateway.internal' },
          event('proxied-0012'),
        )
      ).status,
    ).toBe(202);
    const plain = await raw(`${s.h.url}/v1/events`, { ...auth, 'content-type': 'text/plain' }, event('plain-0013'));
    expect([plain.status, plain.headers['x-firehook-error-code']]).toEqual([415, 'FH_INGEST_UNSUPPORTED_MEDIA_TYPE']);
    await s.flush('secret-flush-0014');
    expect(s.handledKeys().sort()).toEqual(['****0011', '****0012', '****0014']);
  });
});
