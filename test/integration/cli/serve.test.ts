import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startCli, startServer, type CliProcess } from '../../helpers/cli.ts';

const running: CliProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop('SIGKILL');
});
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function serve(args: string[] = [], options: { cwd?: string } = {}) {
  const s = await startServer(args, options);
  running.push(s);
  return s;
}

function post(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return fetch(`${url}/v1/events`, { method: 'POST', body, headers });
}

const authFailure = (key: string) => ({
  api_id: 'petstore',
  type: 'AuthFailure',
  meta: { Message: 'Auth failure', Path: '/petstore/pets', Origin: '10.1.2.3', Key: key },
});

describe('firehook serve (embedded defaults)', () => {
  let s: Awaited<ReturnType<typeof serve>>;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => {
    await s.stop();
  });

  it('accepts one event and the log handler writes <prefix>:<Type> with the key obfuscated', async () => {
    const res = await post(s.url, JSON.stringify(authFailure('single-key-0001')));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, unmatched: 0 });
    const line = await s.waitForLine((l) => l.msg === 'AuthFailureEvent:AuthFailure' && l.key === '****0001');
    expect(line).toMatchObject({ level: 40, api_id: 'petstore', org_id: 'acme', path: '/petstore/pets', origin: '10.1.2.3', plugin: 'eh_log_handler' });
    expect(s.lines.some((l) => JSON.stringify(l).includes('single-key-0001'))).toBe(false);
  });

  it('accepts a JSON array and NDJSON, counting events without handlers as unmatched', async () => {
    const arr = await post(
      s.url,
      JSON.stringify([authFailure('array-key-0002'), { api_id: 'petstore', type: 'HostUp' }, { type: 'TokenCreated', meta: { Key: 'k' } }]),
    );
    expect(await arr.json()).toEqual({ accepted: 3, unmatched: 2 });
    const nd = await post(
      s.url,
      `${JSON.stringify(authFailure('ndjson-key-0003'))}\n\n${JSON.stringify({ api_id: 'orders', type: 'RatelimitExceeded', meta: { Key: 'ndjson-key-0004' } })}\n`,
      { 'content-type': 'application/x-ndjson' },
    );
    expect(await nd.json()).toEqual({ accepted: 2, unmatched: 0 });
    await s.waitForLine((l) => l.key === '****0002');
    await s.waitForLine((l) => l.key === '****0003');
    await s.waitForLine((l) => l.msg === 'OrdersRateLimit:RatelimitExceeded' && l.key === '****0004');
  });

  it('rejects a malformed batch with 400 naming index and field, and accepts none of it', async () => {
    const res = await post(s.url, JSON.stringify([authFailure('never-0006'), { api_id: 'petstore', type: 'AuthFailure', meta: 'oops' }]));
    expect(res.status).toBe(400);
    expect(res.headers.get('x-firehook-error-code')).toBe('FH_INGEST_BAD_REQUEST');
    expect([res.headers.get('x-firehook-error-index'), res.headers.get('x-firehook-error-field')]).toEqual(['1', 'meta']);
    expect(res.headers.get('x-generator')).toBe('tyk.io');
    expect(await res.json()).toEqual({ error: 'event 1, field "meta": meta must be a JSON object' });
    const bad = await post(s.url, '{"type": "AuthFailure", "timestamp": "yesterday"}');
    expect((await bad.json()) as unknown).toEqual({ error: 'event 0, field "timestamp": timestamp must be an RFC 3339 date-time' });
    const broken = await post(s.url, '{"type": ');
    expect(broken.status).toBe(400);
    await post(s.url, JSON.stringify(authFailure('marker-0007')));
    await s.waitForLine((l) => l.key === '****0007');
    expect(s.lines.some((l) => l.key === '****0006')).toBe(false);
  });

  it('answers 413 over the body limit', async () => {
    const res = await post(s.url, JSON.stringify({ type: 'AuthFailure', meta: { Message: 'x'.repeat(1024 * 1024 + 10) } }));
    expect(res.status).toBe(413);
    expect(res.headers.get('x-firehook-error-code')).toBe('FH_INGEST_TOO_LARGE');
    expect(await res.json()).toEqual({ error: 'request body exceeds 1048576 bytes (ingest_body_limit)' });
  });

  it('answers errors from the error templates: XML for XML requests, plain 404 for unknown routes', async () => {
    const xml = await post(s.url, '<event/>', { 'content-type': 'application/xml' });
    expect(xml.status).toBe(415);
    expect(xml.headers.get('x-firehook-error-code')).toBe('FH_INGEST_UNSUPPORTED_MEDIA_TYPE');
    expect(xml.headers.get('content-type')).toMatch(/xml/);
    expect(await xml.text()).toContain('unsupported content type');
    const missing = await fetch(`${s.url}/no/such/route`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-generator')).toBeNull();
    expect(await missing.text()).toBe('Not Found');
  });

  it('serves /healthz and /readyz', async () => {
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${s.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', generation: 1 });
  });
});

describe('firehook serve with a config', () => {
  async function workspace(config: Record<string, unknown>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'fh-serve-'));
    dirs.push(dir);
    await cp(join(ROOT, 'examples/apps'), join(dir, 'apps'), { recursive: true });
    await writeFile(join(dir, 'tyk.conf'), JSON.stringify({ app_path: 'apps', template_path: join(ROOT, 'templates'), ...config }));
    return dir;
  }

  it('requires the bearer secret when ingest_secret is set', async () => {
    const dir = await workspace({ ingest_secret: 's3cret' });
    const s = await serve(['--config', join(dir, 'tyk.conf')]);
    expect((await post(s.url, JSON.stringify(authFailure('k')))).status).toBe(401);
    expect((await post(s.url, JSON.stringify(authFailure('k')), { 'content-type': 'application/json', authorization: 'Bearer wrong!' })).status).toBe(401);
    expect((await post(s.url, JSON.stringify(authFailure('k')), { 'content-type': 'application/json', authorization: 'Bearer s3cret' })).status).toBe(202);
  });

  it('refuses to listen on a non-loopback address without a secret', async () => {
    const dir = await workspace({});
    const cli = startCli(['serve', '--config', join(dir, 'tyk.conf'), '--listen', '0.0.0.0:0']);
    running.push(cli);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('FH_LISTEN_INSECURE');
  });

  it('refuses to start on an invalid config, printing file#pointer lines', async () => {
    const dir = await workspace({ dispatch: { queue_size: 'big' } });
    const cli = startCli(['serve', '--config', join(dir, 'tyk.conf')]);
    running.push(cli);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain(`${join(dir, 'tyk.conf')}#/dispatch/queue_size: must be integer (got "big")`);
  });

  it('hot-reloads an edited API definition and keeps the last good one when a file breaks', async () => {
    const dir = await workspace({});
    const s = await serve(['--config', join(dir, 'tyk.conf')]);
    const file = join(dir, 'apps/petstore-classic.json');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('"AuthFailureEvent"', '"Reloaded"'));
    await s.waitForLine((l) => l.msg === 'configuration reloaded' && l.generation === 2);
    await post(s.url, JSON.stringify(authFailure('reload-key-0008')));
    await s.waitForLine((l) => l.msg === 'Reloaded:AuthFailure' && l.key === '****0008');

    await writeFile(file, original.replace('"api_id": "petstore",', '"api_id": 7,'));
    const rejected = await s.waitForLine((l) => l.code === 'FH_RELOAD_FAILED');
    expect(JSON.stringify(rejected.problems)).toContain(`${file}#/api_id: must be string (got 7)`);
    await post(s.url, JSON.stringify(authFailure('reload-key-0009')));
    await s.waitForLine((l) => l.msg === 'Reloaded:AuthFailure' && l.key === '****0009');
  });

  it('drains queued events on SIGTERM and exits 0', async () => {
    const dir = await workspace({});
    const s = await serve(['--config', join(dir, 'tyk.conf')]);
    const batch = Array.from({ length: 500 }, (_, i) => authFailure(`drain-key-${String(i).padStart(4, '0')}`));
    expect((await post(s.url, JSON.stringify(batch))).status).toBe(202);
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(s.lines.filter((l) => l.msg === 'AuthFailureEvent:AuthFailure')).toHaveLength(500);
    expect(s.lines.find((l) => l.msg === 'stopped')).toMatchObject({ unfinished: 0 });
  });
});
