import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gatewayHandlers } from '../../../core/config/load-api-definitions.ts';
import { EMBEDDED_DEFAULTS, loadGatewayConfig } from '../../../core/config/load-gateway-config.ts';
import { formatProblem } from '../../../core/errors/firehook-error.ts';

const fixtures = join(import.meta.dirname, '../../fixtures');
const dirs: string[] = [];
async function tempConfig(content: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-gw-'));
  dirs.push(dir);
  const file = join(dir, 'tyk.conf');
  await writeFile(file, JSON.stringify(content));
  return file;
}
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('loadGatewayConfig', () => {
  it('uses the embedded defaults when no file is given', async () => {
    const { config, problems } = await loadGatewayConfig(undefined);
    expect(problems).toEqual([]);
    expect(config!.file).toBe(EMBEDDED_DEFAULTS);
    expect(config!.storage.type).toBe('memory');
    expect(config!.listen).toBe('127.0.0.1:7070');
    expect(config!.app_path).toBe('examples/apps');
    expect(config!.jsvm_timeout).toBe(5);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('keeps Tyk keys it does not use and applies Tyk semantics to the ones it does', async () => {
    const file = await tempConfig({ listen_port: 8080, secret: 'x', jsvm_timeout: 0, storage: { type: 'redis', host: 'localhost', port: 6379 } });
    const { config, problems } = await loadGatewayConfig(file);
    expect(problems).toEqual([]);
    expect(config!.listen_port).toBe(8080);
    expect(config!.jsvm_timeout).toBe(5);
    expect(config!.storage).toMatchObject({ type: 'redis', host: 'localhost', port: 6379 });
    expect(config!.base_dir).toBe(join(file, '..'));
  });

  it('applies command-line overrides', async () => {
    const { config } = await loadGatewayConfig(undefined, { listen: '127.0.0.1:0', redisUrl: 'redis://127.0.0.1:6379/2' });
    expect(config!.listen).toBe('127.0.0.1:0');
    expect(config!.storage).toMatchObject({ type: 'redis', url: 'redis://127.0.0.1:6379/2' });
  });

  it('reports every problem with its pointer and rejects unknown keys in Firehook sections', async () => {
    const { config, problems } = await loadGatewayConfig(join(fixtures, 'broken/gateway-bad.json'));
    expect(config).toBeUndefined();
    const lines = problems.map(formatProblem).map((l) => l.slice(l.indexOf('#')));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^#\/listen: must be host:port/),
        expect.stringMatching(/^#\/storage\/type: must be one of "memory", "redis" \(got "mongo"\)/),
        '#/storage/port: must be integer (got "6379")',
        '#/dispatch/queue_size: must be >= 1 (got 0)',
        '#/dispatch/surprise: unknown key',
        '#/jsvm_memory_limit: must be integer (got "big")',
      ]),
    );
  });

  it('checks the webhooks defaults at load and names the gateway file and pointer of each bad value', async () => {
    const file = await tempConfig({
      webhooks: {
        timeout: 'soon',
        retry_schedule: ['5s', '2 hours'],
        breaker: { failures: 0, open: '30s', surprise: 1 },
        claim_idle: 'later',
        signing: { secret: 'plain' },
      },
    });
    const { config, problems } = await loadGatewayConfig(file);
    expect(config).toBeUndefined();
    expect(
      problems
        .map(formatProblem)
        .map((l) => l.replace(file, 'tyk.conf'))
        .sort(),
    ).toEqual([
      'tyk.conf#/webhooks/breaker/failures: must be >= 1 (got 0)',
      'tyk.conf#/webhooks/breaker/surprise: unknown key',
      'tyk.conf#/webhooks/claim_idle: must be a Go duration such as "60s" or "2m" (got "later")',
      'tyk.conf#/webhooks/retry_schedule/1: must be a Go duration such as "5s" or "2h" (got "2 hours")',
      'tyk.conf#/webhooks/signing/secret: must be whsec_ followed by a base64 secret (got "plain")',
      'tyk.conf#/webhooks/timeout: must be a Go duration such as "30s" or "1m30s" (got "soon")',
    ]);
  });

  it('checks what the schema cannot: signs of durations, breaker bounds, claim_idle floor, allow-list entries, secret lengths', async () => {
    const file = await tempConfig({
      webhooks: {
        timeout: '0s',
        retry_schedule: ['-5s'],
        breaker: { open: '1m', max_open: '30s' },
        claim_idle: '200ms',
        allow_networks: ['10.0.0.0/8', 'not a host!'],
        signing: { secret: 'whsec_AAAAA' },
      },
    });
    const { config, problems } = await loadGatewayConfig(file);
    expect(config).toBeUndefined();
    expect(
      problems
        .map(formatProblem)
        .map((l) => l.replace(file, 'tyk.conf'))
        .sort(),
    ).toEqual([
      'tyk.conf#/webhooks/allow_networks/1: not a host name, IP address or CIDR (got "not a host!")',
      'tyk.conf#/webhooks/breaker/max_open: must not be shorter than breaker.open (got "30s")',
      'tyk.conf#/webhooks/claim_idle: must be at least 1s (got "200ms")',
      'tyk.conf#/webhooks/retry_schedule/0: must be a non-negative Go duration (got "-5s")',
      'tyk.conf#/webhooks/signing/secret: must be whsec_ followed by a base64 secret',
      'tyk.conf#/webhooks/timeout: must be a positive Go duration (got "0s")',
    ]);
  });

  it('accepts a complete webhooks section', async () => {
    const webhooks = {
      timeout: '5s',
      retry_schedule: ['0', '5s', '5m'],
      deny_private_networks: true,
      allow_networks: ['10.0.0.0/8', '*.internal.example'],
      tyk_compat_escaping: false,
      max_concurrency_per_target: 8,
      signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', previous_secrets: ['whsec_dGVzdA=='] },
      durable: false,
      breaker: { failures: 3, open: '10s', max_open: '10m' },
      claim_idle: '2m',
    };
    const { config, problems } = await loadGatewayConfig(await tempConfig({ webhooks }));
    expect(problems).toEqual([]);
    expect(config?.webhooks).toEqual(webhooks);
  });

  it('adds the quota monitor webhook as a gateway-level TriggerExceeded handler when enabled', async () => {
    const file = await tempConfig({
      monitor: {
        enable_trigger_monitors: true,
        configuration: { method: 'POST', target_path: 'http://127.0.0.1:9/m', event_timeout: 10 },
        global_trigger_limit: 80,
      },
    });
    const { config } = await loadGatewayConfig(file);
    const specs = gatewayHandlers(config!);
    expect(specs).toHaveLength(1);
    expect(specs[0]).toMatchObject({ event: 'TriggerExceeded', handlerName: 'eh_web_hook_handler', pointer: '/monitor/configuration' });
    expect(specs[0]!.meta).toMatchObject({ template_path: 'templates/monitor_template.json', target_path: 'http://127.0.0.1:9/m' });
  });

  it("applies the ingestion limits' defaults, the events cap never above dispatch.queue_size", async () => {
    const { config } = await loadGatewayConfig(await tempConfig({}));
    expect(config).toMatchObject({ ingest_max_events: 10_000, ingest_read_timeout: '10s', ingest_max_connections: 1024 });
    const small = await loadGatewayConfig(await tempConfig({ dispatch: { queue_size: 500 } }));
    expect(small.config!.ingest_max_events).toBe(500);
  });

  it('rejects bad ingestion limits naming file and pointer', async () => {
    const file = await tempConfig({ ingest_max_events: 20_000, ingest_read_timeout: '0s', ingest_max_connections: 0 });
    const { config, problems } = await loadGatewayConfig(file);
    expect(config).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual([`${file}#/ingest_max_connections: must be >= 1 (got 0)`]);
    const semantic = await tempConfig({ ingest_max_events: 20_000, ingest_read_timeout: '0s' });
    const second = (await loadGatewayConfig(semantic)).problems.map(formatProblem);
    expect(second).toEqual([
      `${semantic}#/ingest_read_timeout: must be a positive Go duration (got "0s")`,
      `${semantic}#/ingest_max_events: must not exceed dispatch.queue_size (10000): a bigger batch could never be queued whole (got 20000)`,
    ]);
    const duration = await tempConfig({ ingest_read_timeout: 'soon' });
    expect((await loadGatewayConfig(duration)).problems.map((p) => p.pointer)).toEqual(['/ingest_read_timeout']);
  });

  it('rejects monitor header_map values undici cannot send (non-Latin-1, line breaks), naming file#pointer', async () => {
    const file = await tempConfig({
      monitor: {
        enable_trigger_monitors: true,
        configuration: { target_path: 'http://127.0.0.1:9/m', header_map: { 'X-Team': 'Ops ✓', 'X-Ok': 'Ren\u00e9e', 'X-Break': 'a\nb' } },
      },
    });
    const { problems } = await loadGatewayConfig(file);
    expect(problems.map((p) => `${p.file}#${p.pointer}`).sort()).toEqual([
      `${file}#/monitor/configuration/header_map/X-Break`,
      `${file}#/monitor/configuration/header_map/X-Team`,
    ]);
    expect(problems[0]!.message).toMatch(/Latin-1/);
  });
});
