import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../core/logger.ts';
import { Runtime } from '../../../core/runtime.ts';
import type { Session } from '../../../core/sessions/session-store.ts';
import { eventually } from '../../helpers/poll.ts';

const TEMPLATES = fileURLToPath(new URL('../../../templates', import.meta.url));
const prefix = `fh-test:${randomUUID()}:`;

interface Delivery {
  path: string;
  body: Record<string, string>;
}

let server: Server;
let sinkUrl = '';
const deliveries: Delivery[] = [];
const dirs: string[] = [];
const runtimes: Runtime[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      deliveries.push({ path: req.url ?? '', body: JSON.parse(body) as Record<string, string> });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sinkUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  deliveries.length = 0;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  const raw = new Redis('redis://127.0.0.1:6379');
  const keys = await raw.keys(`${prefix}*`);
  if (keys.length > 0) await raw.del(...keys);
  await raw.quit();
});

async function startRuntime(storage: Record<string, unknown>): Promise<Runtime> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-monitor-e2e-'));
  dirs.push(dir);
  await mkdir(join(dir, 'apps'));
  const hook = (path: string) => [{ handler_name: 'eh_web_hook_handler', handler_meta: { method: 'POST', target_path: `${sinkUrl}${path}` } }];
  const config = {
    template_path: TEMPLATES,
    app_path: 'apps',
    storage,
    event_handlers: { events: { TokenCreated: hook('/tokens'), TokenUpdated: hook('/tokens'), TokenDeleted: hook('/tokens') } },
    monitor: {
      enable_trigger_monitors: true,
      configuration: { method: 'POST', target_path: `${sinkUrl}/monitor`, event_timeout: 0 },
      global_trigger_limit: 0,
      monitor_user_keys: true,
      monitor_org_keys: true,
    },
  };
  await writeFile(join(dir, 'firehook.json'), JSON.stringify(config));
  const runtime = await Runtime.create({ configFile: join(dir, 'firehook.json'), logger: createLogger({ level: 'silent' }) });
  runtimes.push(runtime);
  return runtime;
}

/** One quota period for the whole file: a renewal time that moved would start a new period. */
const RENEWS = Math.floor(Date.now() / 1000) + 3600;

const session = (used: number, limits: number[], org = 'org-e2e'): Session => ({
  org_id: org,
  quota_max: 10,
  quota_remaining: 10 - used,
  quota_renews: RENEWS,
  monitor: { trigger_limits: limits },
});

describe('quota monitor and token events through the runtime to real webhooks', () => {
  it('delivers TokenCreated, TokenUpdated and TokenDeleted to a gateway-level webhook', async () => {
    const runtime = await startRuntime({ type: 'memory' });
    await runtime.sessions.set('key-e2e-1', { org_id: 'org-e2e', quota_max: 10 });
    await runtime.sessions.set('key-e2e-1', { org_id: 'org-e2e', quota_max: 20 });
    await runtime.sessions.delete('key-e2e-1');
    await eventually(() => deliveries.length >= 3, 'three token webhooks');
    const byEvent = (x: [string, Record<string, string>], y: [string, Record<string, string>]) => x[1].event!.localeCompare(y[1].event!);
    expect(deliveries.map((d): [string, Record<string, string>] => [d.path, d.body]).sort(byEvent)).toEqual([
      ['/tokens', { event: 'TokenCreated', message: 'Key generated.', org: 'org-e2e', key: 'key-e2e-1' }],
      ['/tokens', { event: 'TokenDeleted', message: 'Key deleted.', org: 'org-e2e', key: 'key-e2e-1' }],
      ['/tokens', { event: 'TokenUpdated', message: 'Key modified.', org: 'org-e2e', key: 'key-e2e-1' }],
    ]);
  });

  it('sends the monitor_template.json payload once per threshold as usage climbs', async () => {
    const runtime = await startRuntime({ type: 'memory' });
    for (let used = 1; used <= 10; used++) await runtime.monitor.check(session(used, [90, 50]), 'key-e2e-2');
    await eventually(() => deliveries.length >= 2, 'two monitor webhooks');
    expect(deliveries.map((d) => d.path)).toEqual(['/monitor', '/monitor']);
    expect(deliveries.map((d) => d.body).sort((x, y) => Number(x.trigger_limit) - Number(y.trigger_limit))).toEqual([
      { event: 'TriggerExceeded', message: 'Quota trigger reached', org: 'org-e2e', key: 'key-e2e-2', trigger_limit: '50', usage_percentage: '50' },
      { event: 'TriggerExceeded', message: 'Quota trigger reached', org: 'org-e2e', key: 'key-e2e-2', trigger_limit: '90', usage_percentage: '90' },
    ]);
  });

  it('delivers each threshold once when two runtimes share Redis, for user and organisation sessions', async () => {
    const storage = { type: 'redis', url: 'redis://127.0.0.1:6379', key_prefix: prefix };
    const [a, b] = [await startRuntime(storage), await startRuntime(storage)];
    for (let used = 1; used <= 10; used++) {
      await Promise.all(
        [a, b].flatMap((r) => [r.monitor.check(session(used, [50, 75, 90]), 'key-e2e-3'), r.monitor.check(session(used, [80], 'org-only'), '')]),
      );
    }
    // close drains every queued delivery, so a duplicate would have arrived by now
    for (const r of runtimes.splice(0)) expect((await r.close()).undelivered).toBe(0);
    const user = deliveries
      .filter((d) => d.body.key === 'key-e2e-3')
      .map((d) => d.body.trigger_limit)
      .sort();
    const org = deliveries.filter((d) => d.body.org === 'org-only');
    expect(user).toEqual(['50', '75', '90']);
    expect(org.map((d) => [d.body.key, d.body.trigger_limit])).toEqual([['', '80']]);
    expect(deliveries).toHaveLength(4);
  });
});
