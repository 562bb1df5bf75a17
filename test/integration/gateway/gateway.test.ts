import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOriginatingRequest, formatGoTime } from '../../../core/index.ts';

import { isSubset, makeCertificate, makeWorkspace, startGatewayProcess, startRecorder, startUpstream, type GatewayProcess, type Recorded } from './harness.ts';
import { eventually } from '../../helpers/poll.ts';

const SECRET = '352d20ee67be67f6340b4c0605b044b7';
const DAY = 86_400_000;
const GO_TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/;
type Json = Record<string, unknown>;

/** What the JS handler must have observed: the event, its Meta fields, and the request behind it. */
interface JsExpectation {
  type: string;
  api: { APIID: string; OrgID: string };
  meta: Json;
  request?: { method: string; url: string; testId: string };
}
const jsExpected: JsExpectation[] = [];
const PETSTORE = { APIID: 'petstore', OrgID: 'acme' };
const SYSTEM = { APIID: '', OrgID: '' };

let dir = '';
let recorder: Awaited<ReturnType<typeof startRecorder>>;
let upstream: Awaited<ReturnType<typeof startUpstream>>;
let gateway: GatewayProcess;
const certs = { soon: '', old: '' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fh-gateway-'));
  [recorder, upstream] = await Promise.all([startRecorder(), startUpstream()]);
  const now = Date.now();
  certs.soon = await makeCertificate(dir, 'soon', 'soon.upstream.test', now - DAY, now + 5 * DAY + 2 * 3_600_000);
  certs.old = await makeCertificate(dir, 'old', 'old.upstream.test', now - 30 * DAY, now - 3 * DAY - 2 * 3_600_000);
  const config = await makeWorkspace(dir, { upstream: upstream.url, receiver: recorder.url }, (gw, apis) => {
    gw.uptime_tests = { config: { failure_trigger_sample_size: 1, time_wait: 1 } };
    const petstore = apis['petstore.json']!;
    petstore.upstream_certificates = { 'soon.upstream.test': certs.soon, 'old.upstream.test': certs.old };
    const v1 = (petstore.version_data as { versions: { v1: { extended_paths: { circuit_breakers: Json[] } } } }).versions.v1;
    v1.extended_paths.circuit_breakers[0]!.return_to_service_after = 1;
  });
  gateway = await startGatewayProcess(config);
}, 60_000);

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([recorder?.close(), upstream?.close()]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const admin = (method: string, path: string, body?: Json, secret = SECRET): Promise<Response> =>
  fetch(`${gateway.url}${path}`, { method, headers: { 'x-tyk-authorization': secret }, ...(body ? { body: JSON.stringify(body) } : {}) });

/** Create a key for the petstore API (v1 only unless told) and return it. */
async function createKey(session: Json = {}): Promise<string> {
  const key = `key-${randomUUID()}`;
  const res = await admin('POST', `/tyk/keys/${key}`, { org_id: 'acme', access_rights: { petstore: { api_id: 'petstore', versions: ['v1'] } }, ...session });
  expect(res.status).toBe(200);
  return key;
}

/** GET through the gateway, tagged with a unique `X-Test-Id` the OriginatingRequest must carry. */
async function get(path: string, headers: Record<string, string> = {}): Promise<Response & { testId: string }> {
  const testId = randomUUID();
  const res = await fetch(`${gateway.url}${path}`, { headers: { ...headers, 'x-test-id': testId } });
  return Object.assign(res, { testId });
}

/** Expect a request-born event's Meta (Path, Origin, Key) and its OriginatingRequest in the JS handler. */
function expectJs(type: string, res: { testId: string }, path: string, key: string, api = PETSTORE, origin = '127.0.0.1'): void {
  jsExpected.push({ type, api, meta: { Path: path, Origin: origin, Key: key }, request: { method: 'GET', url: path, testId: res.testId } });
}

/** The webhook the default template produced for this event, matched on its fields. */
function webhook(event: string, match: Json, path = '/events'): Promise<Json> {
  return eventually(
    () => recorder.received.find((r) => r.path === path && r.body.event === event && Object.entries(match).every(([k, v]) => r.body[k] === v))?.body,
    `${event} webhook ${JSON.stringify(match)}`,
  );
}

/** The log handler's line (`<prefix>:<Type>`, warn level) matched on its structured fields. */
function logLine(message: string, match: Json): Promise<Json> {
  return eventually(
    () => gateway.lines.find((l) => l.msg === message && Object.entries(match).every(([k, v]) => l[k] === v)),
    `log line ${message} ${JSON.stringify(match)}`,
  );
}

function countOf(event: string, match: Json): number {
  return recorder.received.filter((r: Recorded) => r.path === '/events' && r.body.event === event && Object.entries(match).every(([k, v]) => r.body[k] === v))
    .length;
}

/** GETs in order; the statuses, and the last response (the one that caused the event). */
async function burst(n: number, path: string, headers: Record<string, string>): Promise<{ statuses: number[]; last: Response & { testId: string } }> {
  const statuses: number[] = [];
  let last: (Response & { testId: string }) | undefined;
  for (let i = 0; i < n; i++) {
    last = await get(path, headers);
    statuses.push(last.status);
  }
  return { statuses, last: last! };
}

describe('examples/gateway', () => {
  it('loads every handler of the example configuration (webhook, log and JS) when it starts', () => {
    expect(gateway.lines.filter((l) => l.code === 'FH_HANDLER_DISABLED').map((l) => l.msg)).toEqual([]);
    expect(gateway.lines.find((l) => l.msg === 'firehook runtime started')).toMatchObject({ apis: 2 });
  });

  it('fires AuthFailure and answers from the error templates when the key is missing or unknown', async () => {
    const missing = await get('/petstore/auth/missing');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('x-generator')).toBe('tyk.io');
    expect(await missing.json()).toEqual({ error: 'Authorization field missing' });
    const xml = await fetch(`${gateway.url}/petstore/auth/xml`, { headers: { 'content-type': 'application/xml' } });
    expect(xml.headers.get('content-type')).toBe('application/xml');
    expect(await xml.text()).toBe('<error>Authorization field missing</error>\n');
    const unknown = `unknown-${randomUUID()}`;
    const res = await get('/petstore/auth/unknown', { authorization: `Bearer ${unknown}` });
    expect(res.status).toBe(403);

    expect(await webhook('AuthFailure', { path: '/petstore/auth/missing' })).toEqual({
      event: 'AuthFailure',
      message: 'Auth Failure',
      path: '/petstore/auth/missing',
      origin: '127.0.0.1',
      key: '',
    });
    expect(await webhook('AuthFailure', { key: unknown })).toEqual({
      event: 'AuthFailure',
      message: 'Auth Failure',
      path: '/petstore/auth/unknown',
      origin: '127.0.0.1',
      key: unknown,
    });
    expect(await logLine('petstore:AuthFailure', { path: '/petstore/auth/unknown' })).toMatchObject({
      level: 40,
      api_id: 'petstore',
      event: 'AuthFailure',
      origin: '127.0.0.1',
      key: `****${unknown.slice(-4)}`,
    });
    await logLine('petstore:AuthFailure', { path: '/petstore/auth/missing', key: '--' });
    expectJs('AuthFailure', missing, '/petstore/auth/missing', '');
    expectJs('AuthFailure', res, '/petstore/auth/unknown', unknown);
  });

  it('fires KeyExpired when the session has expired', async () => {
    const key = await createKey({ expires: Math.floor(Date.now() / 1000) - 60 });
    const res = await get('/petstore/expired', { authorization: key });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Key has expired, please renew' });
    expect(await webhook('KeyExpired', { key })).toEqual({
      event: 'KeyExpired',
      message: 'Attempted access from expired key.',
      path: '/petstore/expired',
      origin: '127.0.0.1',
      key,
    });
    expect(await logLine('petstore:KeyExpired', { path: '/petstore/expired' })).toMatchObject({ key: `****${key.slice(-4)}` });
    expectJs('KeyExpired', res, '/petstore/expired', key);
  });

  it('fires VersionFailure for an unknown version and for a version the key may not use', async () => {
    const key = await createKey();
    const unknown = await get('/petstore/v9', { authorization: key, 'x-api-version': 'v9' });
    const denied = await get('/petstore/v2', { authorization: key, 'x-api-version': 'v2' });
    expect([unknown.status, denied.status]).toEqual([403, 403]);
    expect((await get('/petstore/v1', { authorization: key, 'x-api-version': 'v1' })).status).toBe(200);
    expect(await webhook('VersionFailure', { path: '/petstore/v9' })).toEqual({
      event: 'VersionFailure',
      message: 'Attempted access to disallowed version / path.',
      path: '/petstore/v9',
      origin: '127.0.0.1',
      key: '',
      reason: 'This API version does not seem to exist',
    });
    expect(await webhook('VersionFailure', { path: '/petstore/v2' })).toEqual({
      event: 'VersionFailure',
      message: 'Attempted access to disallowed version / path.',
      path: '/petstore/v2',
      origin: '127.0.0.1',
      key,
      reason: 'Key has no access to version "v2"',
    });
    await logLine('petstore:VersionFailure', { path: '/petstore/v9' });
    await logLine('petstore:VersionFailure', { path: '/petstore/v2' });
    expectJs('VersionFailure', unknown, '/petstore/v9', '');
    expectJs('VersionFailure', denied, '/petstore/v2', key);
  });

  it('fires RatelimitExceeded for a key over its rate and for an API over its global_rate_limit', async () => {
    const key = await createKey({ rate: 2, per: 60 });
    const keyed = await burst(3, '/petstore/rate', { authorization: key });
    expect(keyed.statuses).toEqual([200, 200, 429]);
    expect(await webhook('RatelimitExceeded', { key })).toEqual({
      event: 'RatelimitExceeded',
      message: 'Key Rate Limit Exceeded',
      path: '/petstore/rate',
      origin: '127.0.0.1',
      key,
    });
    await logLine('petstore:RatelimitExceeded', { path: '/petstore/rate' });
    expectJs('RatelimitExceeded', keyed.last, '/petstore/rate', key);

    const open = await burst(4, '/open/data', { 'x-forwarded-for': '203.0.113.9, 10.0.0.1' });
    expect(open.statuses).toEqual([200, 200, 200, 429]);
    expect(await webhook('RatelimitExceeded', { path: '/open/data' })).toEqual({
      event: 'RatelimitExceeded',
      message: 'API Rate Limit Exceeded',
      path: '/open/data',
      origin: '203.0.113.9',
      key: 'apilimiter-communityopen-data',
    });
    expect(await logLine('open-data:RatelimitExceeded', { path: '/open/data' })).toMatchObject({ api_id: 'open-data', origin: '203.0.113.9' });
    expectJs('RatelimitExceeded', open.last, '/open/data', 'apilimiter-communityopen-data', { APIID: 'open-data', OrgID: 'community' }, '203.0.113.9');
  });

  it('fires TriggerExceeded at each quota threshold and QuotaExceeded when the quota is spent', async () => {
    const key = await createKey({ quota_max: 4, quota_renewal_rate: 3600, monitor: { trigger_limits: [50] } });
    const spent = await burst(5, '/petstore/quota', { authorization: key });
    expect(spent.statuses).toEqual([200, 200, 200, 200, 403]);
    expect(await webhook('QuotaExceeded', { key })).toEqual({
      event: 'QuotaExceeded',
      message: 'Key Quota Limit Exceeded',
      path: '/petstore/quota',
      origin: '127.0.0.1',
      key,
    });
    await logLine('petstore:QuotaExceeded', { path: '/petstore/quota' });
    expectJs('QuotaExceeded', spent.last, '/petstore/quota', key);
    // monitor_template.json to monitor.configuration's target; 50 from the key, 80 from global_trigger_limit
    expect(await webhook('TriggerExceeded', { key, trigger_limit: '50' }, '/monitor')).toEqual({
      event: 'TriggerExceeded',
      message: 'Quota trigger reached',
      org: 'acme',
      key,
      trigger_limit: '50',
      usage_percentage: '50',
    });
    expect(await webhook('TriggerExceeded', { key, trigger_limit: '80' }, '/monitor')).toEqual({
      event: 'TriggerExceeded',
      message: 'Quota trigger reached',
      org: 'acme',
      key,
      trigger_limit: '80',
      usage_percentage: '100',
    });
    await logLine('gateway:TriggerExceeded', { key: `****${key.slice(-4)}` });
    jsExpected.push({ type: 'TriggerExceeded', api: SYSTEM, meta: { OrgID: 'acme', Key: key, TriggerLimit: 50, UsagePercentage: 50, OriginatingRequest: '' } });
    jsExpected.push({
      type: 'TriggerExceeded',
      api: SYSTEM,
      meta: { OrgID: 'acme', Key: key, TriggerLimit: 80, UsagePercentage: 100, OriginatingRequest: '' },
    });
  });

  it('fires OrgQuotaExceeded and OrgRateLimitExceeded from the organisation session', async () => {
    const key = await createKey();
    try {
      expect((await admin('POST', '/tyk/org/keys/acme', { quota_max: 2, quota_renewal_rate: 3600 })).status).toBe(200);
      const quota = await burst(3, '/petstore/org/quota', { authorization: key });
      expect(quota.statuses).toEqual([200, 200, 403]);
      expect(await webhook('OrgQuotaExceeded', { path: '/petstore/org/quota' })).toEqual({
        event: 'OrgQuotaExceeded',
        message: 'Organisation quota has been exceeded',
        path: '/petstore/org/quota',
        origin: '127.0.0.1',
        key: 'acme',
      });
      await logLine('petstore:OrgQuotaExceeded', { path: '/petstore/org/quota' });
      expectJs('OrgQuotaExceeded', quota.last, '/petstore/org/quota', 'acme');
      // organisation sessions report an empty key to the quota monitor
      expect(await webhook('TriggerExceeded', { org: 'acme', key: '', trigger_limit: '80' }, '/monitor')).toMatchObject({ usage_percentage: '100' });

      expect((await admin('PUT', '/tyk/org/keys/acme', { quota_max: 100, quota_renewal_rate: 3600, rate: 1, per: 60 })).status).toBe(200);
      const rate = await burst(2, '/petstore/org/rate', { authorization: key });
      expect(rate.statuses).toEqual([200, 403]);
      expect(await webhook('OrgRateLimitExceeded', { path: '/petstore/org/rate' })).toEqual({
        event: 'OrgRateLimitExceeded',
        message: 'Organisation rate limit has been exceeded',
        path: '/petstore/org/rate',
        origin: '127.0.0.1',
        key: 'acme',
      });
      await logLine('petstore:OrgRateLimitExceeded', { path: '/petstore/org/rate' });
      expectJs('OrgRateLimitExceeded', rate.last, '/petstore/org/rate', 'acme');
    } finally {
      await admin('DELETE', '/tyk/org/keys/acme');
    }
  });

  it('trips the circuit breaker on upstream failures and resets it after return_to_service_after', async () => {
    const key = await createKey();
    const flaky = await burst(5, '/petstore/flaky', { authorization: key });
    expect(flaky.statuses).toEqual([500, 500, 500, 500, 503]);
    const breaker = { message: 'Breaker Tripped', api_id: 'petstore', path: '/flaky', Status: '0' };
    expect(await webhook('BreakerTripped', {})).toEqual({ event: 'BreakerTripped', ...breaker });
    expect(await webhook('BreakerTriggered', { Status: '0' })).toEqual({ event: 'BreakerTriggered', ...breaker });
    await logLine('petstore:BreakerTripped', { path: '/flaky' });
    await logLine('petstore:BreakerTriggered', { path: '/flaky' });

    const reset = { message: 'Breaker Reset', api_id: 'petstore', path: '/flaky', Status: '1' };
    expect(await webhook('BreakerReset', {})).toEqual({ event: 'BreakerReset', ...reset });
    expect(await webhook('BreakerTriggered', { Status: '1' })).toEqual({ event: 'BreakerTriggered', ...reset });
    await logLine('petstore:BreakerReset', { path: '/flaky' });
    // back in service: the request reaches the upstream again
    expect((await get('/petstore/flaky', { authorization: key })).status).toBe(500);
    for (const [type, circuit] of [
      ['BreakerTripped', 0],
      ['BreakerReset', 1],
      ['BreakerTriggered', 0],
      ['BreakerTriggered', 1],
    ] as const) {
      jsExpected.push({ type, api: PETSTORE, meta: { Path: '/flaky', APIID: 'petstore', CircuitEvent: circuit, OriginatingRequest: '' } });
    }
  });

  it('fires HostDown when the uptime check fails and HostUp when it recovers', async () => {
    const host = new URL(upstream.url).host;
    upstream.health.status = 503;
    expect(await webhook('HostDown', {})).toEqual({
      event: 'HostDown',
      message: 'Uptime test failed',
      url: `${upstream.url}/health`,
      response_code: '503',
      tcp_error: 'false',
      host,
      api_id: 'petstore',
    });
    await logLine('petstore:HostDown', {});
    upstream.health.status = 200;
    expect(await webhook('HostUp', {})).toEqual({
      event: 'HostUp',
      message: 'Uptime test succeeded',
      url: `${upstream.url}/health`,
      response_code: '200',
      tcp_error: 'false',
      host,
      api_id: 'petstore',
    });
    await logLine('petstore:HostUp', {});
    expect(countOf('HostDown', {})).toBe(1);
    for (const [type, code] of [
      ['HostDown', 503],
      ['HostUp', 200],
    ] as const) {
      jsExpected.push({
        type,
        api: PETSTORE,
        meta: {
          OriginatingRequest: '',
          HostInfo: {
            CheckURL: `${upstream.url}/health`,
            Protocol: '',
            Timeout: 0,
            Method: 'GET',
            Headers: {},
            Body: '',
            MetaData: { target_url: `${upstream.url}/health`, api_id: 'petstore', host_name: host },
            ResponseCode: code,
            IsTCPError: false,
          },
        },
      });
    }
  });

  it('fires TokenCreated, TokenUpdated and TokenDeleted from the key management API, only with the admin secret', async () => {
    const key = `token-${randomUUID()}`;
    expect((await admin('POST', `/tyk/keys/${key}`, { org_id: 'acme', quota_max: 10 }, 'wrong-secret')).status).toBe(403);
    expect((await admin('PUT', `/tyk/keys/${key}`, { org_id: 'acme' })).status).toBe(404);
    expect(await (await admin('POST', `/tyk/keys/${key}`, { org_id: 'acme', quota_max: 10 })).json()).toEqual({ key, status: 'ok', action: 'added' });
    expect(await (await admin('PUT', `/tyk/keys/${key}`, { org_id: 'acme', quota_max: 20 })).json()).toEqual({ key, status: 'ok', action: 'modified' });
    expect(await (await admin('DELETE', `/tyk/keys/${key}`)).json()).toEqual({ key, status: 'ok', action: 'deleted' });
    expect((await admin('DELETE', `/tyk/keys/${key}`)).status).toBe(404);
    expect(await webhook('TokenCreated', { key })).toEqual({ event: 'TokenCreated', message: 'Key generated.', org: 'acme', key });
    expect(await webhook('TokenUpdated', { key })).toEqual({ event: 'TokenUpdated', message: 'Key modified.', org: 'acme', key });
    expect(await webhook('TokenDeleted', { key })).toEqual({ event: 'TokenDeleted', message: 'Key deleted.', org: 'acme', key });
    for (const type of ['TokenCreated', 'TokenUpdated', 'TokenDeleted']) {
      expect(await logLine(`gateway:${type}`, { key: `****${key.slice(-4)}` })).toMatchObject({ level: 40, event: type });
      expect(countOf(type, { key })).toBe(1);
      jsExpected.push({ type, api: SYSTEM, meta: { Org: 'acme', Key: key, OriginatingRequest: '' } });
    }
  });

  it('fires CertificateExpiringSoon and CertificateExpired for the upstream certificates', async () => {
    const describeCert = async (file: string) => {
      const cert = new X509Certificate(await readFile(file));
      return { id: createHash('sha256').update(cert.raw).digest('hex'), expiry: formatGoTime(new Date(cert.validTo).getTime()) };
    };
    const [soon, old] = [await describeCert(certs.soon), await describeCert(certs.old)];
    const expiring = await webhook('CertificateExpiringSoon', { cert_id: soon.id });
    expect(expiring).toMatchObject({
      message: 'Certificate soon.upstream.test is expiring in 5 days and 1 hours',
      cert_name: 'soon.upstream.test',
      expires_at: soon.expiry,
      days_remaining: '5',
      api_id: 'petstore',
      cert_role: 'upstream',
    });
    expect(String(expiring.timestamp)).toMatch(GO_TIME);
    expect(await webhook('CertificateExpired', { cert_id: old.id })).toMatchObject({
      message: 'Certificate old.upstream.test is expired since 3 days and 2 hours',
      cert_name: 'old.upstream.test',
      expired_at: old.expiry,
      days_since_expiry: '3',
      api_id: 'petstore',
      cert_role: 'upstream',
    });
    await logLine('petstore:CertificateExpiringSoon', {});
    await logLine('petstore:CertificateExpired', {});
    const common = { OriginatingRequest: '', APIID: 'petstore', CertRole: 'upstream' };
    jsExpected.push({
      type: 'CertificateExpiringSoon',
      api: PETSTORE,
      meta: { ...common, CertID: soon.id, CertName: 'soon.upstream.test', ExpiresAt: soon.expiry, DaysRemaining: 5 },
    });
    jsExpected.push({
      type: 'CertificateExpired',
      api: PETSTORE,
      meta: { ...common, CertID: old.id, CertName: 'old.upstream.test', ExpiredAt: old.expiry, DaysSinceExpiry: 3 },
    });
  });

  it('lets a JS handler observe every event above, with OriginatingRequest decoding back into the request that caused it', async () => {
    expect(jsExpected).toHaveLength(23);
    for (const expected of jsExpected) {
      const seen = await eventually(
        () =>
          recorder.received.find(
            (r) => r.path === '/js' && (r.body.event as Json).Type === expected.type && isSubset(expected.meta, (r.body.event as Json).Meta),
          )?.body,
        `JS observation of ${expected.type} ${JSON.stringify(expected.meta)}`,
      );
      const event = seen.event as { Type: string; Meta: Json; TimeStamp: string };
      expect(Object.keys(event)).toEqual(['Type', 'Meta', 'TimeStamp']);
      expect(seen.EventType).toBe(expected.type);
      expect(seen.EventMetaData).toEqual(event.Meta);
      expect(event.TimeStamp).toMatch(GO_TIME);
      expect(seen.context).toEqual(expected.api);
      if (!expected.request) continue;
      const decoded = decodeOriginatingRequest(String(event.Meta.OriginatingRequest));
      expect(decoded).toMatchObject({ method: expected.request.method, url: expected.request.url, httpVersion: '1.1' });
      expect(decoded.headers).toContainEqual(['Host', new URL(gateway.url).host]);
      expect(decoded.headers).toContainEqual(['X-Test-Id', expected.request.testId]);
    }
  });
});
