import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin, PLUGIN_CONTRACT_VERSION } from '../../core/plugin.ts';
import { createRuntime, type Runtime } from '../../core/runtime.ts';
import type { EventMessage } from '../../core/event.ts';
import { captureLogger } from '../helpers/capture-logger.ts';
import { eventually } from '../helpers/poll.ts';

const open: Runtime[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close(1_000);
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function recorder() {
  const seen: EventMessage[] = [];
  const plugin = definePlugin<{ tag?: string }>({
    name: 'eh_record',
    contractVersion: PLUGIN_CONTRACT_VERSION,
    optionsSchema: { type: 'object', properties: { tag: { type: 'string' } } },
    create: (options) => ({ handle: (e) => void seen.push({ ...e, Type: `${options.tag ?? ''}${e.Type}` }) }),
  });
  return { plugin, seen };
}

async function workspace(api: object, gateway: object = {}): Promise<{ dir: string; config: string; apiFile: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-rt-'));
  dirs.push(dir);
  await mkdir(join(dir, 'apps'));
  const apiFile = join(dir, 'apps/api.json');
  await writeFile(apiFile, JSON.stringify(api));
  const config = join(dir, 'gw.json');
  await writeFile(config, JSON.stringify({ app_path: 'apps', ...gateway }));
  return { dir, config, apiFile };
}

const api = (tag: string) => ({
  api_id: 'a1',
  org_id: 'o1',
  event_handlers: { events: { AuthFailure: [{ handler_name: 'eh_record', handler_meta: { tag } }] } },
});

describe('Runtime', () => {
  it('delivers fired events with Tyk timestamps and the API context', async () => {
    const { plugin, seen } = recorder();
    const { config } = await workspace(api('v1:'));
    const runtime = await createRuntime({ configFile: config, plugins: [plugin as never], logger: captureLogger().logger });
    open.push(runtime);
    expect(runtime.fire('a1', 'AuthFailure', { Key: 'k', Path: '/x', Origin: 'o' })).toBe(1);
    await eventually(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ Type: 'v1:AuthFailure', apiId: 'a1', orgId: 'o1', Meta: { Message: '', OriginatingRequest: '', Key: 'k' } });
    expect(seen[0]!.TimeStamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);
  });

  it('hot-reloads on file change, swaps atomically and keeps the last good generation on error', async () => {
    const { plugin, seen } = recorder();
    const { config, apiFile } = await workspace(api('v1:'));
    const { logger, lines } = captureLogger();
    const runtime = await createRuntime({ configFile: config, plugins: [plugin as never], logger, watch: true, watchDebounceMs: 10 });
    open.push(runtime);
    const reloaded = new Promise((r) => runtime.once('reload', r));
    await writeFile(apiFile, JSON.stringify(api('v2:')));
    await reloaded;
    expect(runtime.generation().number).toBe(2);
    runtime.fire('a1', 'AuthFailure', {});
    await eventually(() => seen.some((e) => e.Type === 'v2:AuthFailure'));

    const failed = new Promise<{ problems: { pointer: string }[] }>((r) => runtime.once('reload-failed', r));
    await writeFile(
      apiFile,
      JSON.stringify({ ...api('v3:'), event_handlers: { events: { AuthFailure: [{ handler_name: 'eh_record', handler_meta: { tag: 3 } }] } } }),
    );
    const result = await failed;
    expect(result.problems[0]!.pointer).toBe('/event_handlers/events/AuthFailure/0/handler_meta/tag');
    expect(lines.some((l) => l.code === 'FH_RELOAD_FAILED')).toBe(true);
    runtime.fire('a1', 'AuthFailure', {});
    await eventually(() => seen.filter((e) => e.Type === 'v2:AuthFailure').length === 2);
    expect(runtime.generation().number).toBe(2);
  });

  it('finishes events queued on the old generation after a swap', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const done: string[] = [];
    const slow = definePlugin<{ tag: string }>({
      name: 'eh_record',
      contractVersion: PLUGIN_CONTRACT_VERSION,
      optionsSchema: { type: 'object' },
      create: (o) => ({
        handle: async () => {
          await gate;
          done.push(o.tag);
        },
      }),
    });
    const { config, apiFile } = await workspace(api('old'));
    const runtime = await createRuntime({ configFile: config, plugins: [slow as never], logger: captureLogger().logger });
    open.push(runtime);
    for (let i = 0; i < 20; i++) runtime.fire('a1', 'AuthFailure', {});
    await writeFile(apiFile, JSON.stringify(api('new')));
    expect((await runtime.reload()).ok).toBe(true);
    runtime.fire('a1', 'AuthFailure', {});
    release();
    await eventually(() => done.length === 21);
    expect(done.filter((t) => t === 'old')).toHaveLength(20);
    expect(done.filter((t) => t === 'new')).toHaveLength(1);
  });

  it('reports unfinished work when close reaches its deadline', async () => {
    const stuck = definePlugin({
      name: 'eh_record',
      contractVersion: PLUGIN_CONTRACT_VERSION,
      optionsSchema: { type: 'object' },
      create: () => ({ handle: () => new Promise(() => {}) }),
    });
    const { config } = await workspace(api('x'));
    const { logger, lines } = captureLogger();
    const runtime = await createRuntime({ configFile: config, plugins: [stuck as never], logger });
    for (let i = 0; i < 3; i++) runtime.fire('a1', 'AuthFailure', {});
    const report = await runtime.close(100);
    expect(report.unfinished).toBe(3);
    expect(lines.some((l) => l.code === 'FH_SHUTDOWN_INCOMPLETE')).toBe(true);
    expect(runtime.fire('a1', 'AuthFailure', {})).toBe(0);
    expect(runtime.stats().dispatch.rejected).toBe(1);
    expect(await runtime.close()).toBe(report);
  });

  it('keeps running when Redis is unreachable, reporting not ready', async () => {
    const { plugin, seen } = recorder();
    const { config } = await workspace(api('r:'), { storage: { type: 'redis', host: '127.0.0.1', port: 1 } });
    const runtime = await createRuntime({ configFile: config, plugins: [plugin as never], logger: captureLogger().logger });
    open.push(runtime);
    expect(await runtime.ready()).toBe(false);
    runtime.fire('a1', 'AuthFailure', {});
    await eventually(() => seen.length === 1);
    await expect(runtime.store.get('k')).rejects.toMatchObject({ code: 'FH_STORE_UNAVAILABLE' });
  });

  it('on reload, keeps a bad webhooks section out and says which delivery settings wait for a restart', async () => {
    const { plugin } = recorder();
    const { config } = await workspace(api('w:'), { webhooks: { timeout: '5s' } });
    const { logger, lines } = captureLogger();
    const runtime = await createRuntime({ configFile: config, plugins: [plugin as never], logger });
    open.push(runtime);
    await writeFile(config, JSON.stringify({ app_path: 'apps', webhooks: { timeout: '-1s' } }));
    const bad = await runtime.reload();
    expect(bad.ok).toBe(false);
    expect(runtime.config.webhooks.timeout).toBe('5s');
    await writeFile(config, JSON.stringify({ app_path: 'apps', webhooks: { timeout: '10s', breaker: { open: '5s' }, claim_idle: '10s' } }));
    expect((await runtime.reload()).ok).toBe(true);
    expect(runtime.config.webhooks.timeout).toBe('10s');
    const restartOnly = lines.filter((l) => String(l.msg).includes('takes effect on restart')).map((l) => l.key);
    expect(restartOnly.sort()).toEqual(['webhooks.breaker', 'webhooks.claim_idle']);
  });

  it('refuses to start on an invalid API definition file', async () => {
    const { config } = await workspace({ api_id: '' });
    await expect(createRuntime({ configFile: config, logger: captureLogger().logger })).rejects.toMatchObject({ code: 'FH_CONFIG_INVALID' });
  });
});
