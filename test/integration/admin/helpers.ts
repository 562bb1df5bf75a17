/** Shared set-up for the admin integration tests: a workspace on disk, a runtime with its HTTP server, Redis clean-up. */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { captureLogger } from '../../helpers/capture-logger.ts';
import { ROOT } from '../../helpers/cli.ts';
import { IngestServer } from '../../../core/http/server.ts';
import { createRuntime, type Runtime } from '../../../core/runtime.ts';

export interface Workspace {
  dir: string;
  config: string;
  prefix: string;
  writeApi(name: string, doc: object): Promise<void>;
  cleanup(): Promise<void>;
}

/** A gateway config (Redis store under a unique prefix unless `memory`), an apps dir and optional seed files. */
export async function workspace(
  options: { gateway?: Record<string, unknown>; apis?: Record<string, object>; seeds?: unknown[]; memory?: boolean } = {},
): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-admin-'));
  const prefix = `fh-test:${randomUUID()}:`;
  await mkdir(join(dir, 'apps'));
  const gateway: Record<string, unknown> = { app_path: 'apps', template_path: join(ROOT, 'templates'), log_level: 'debug', ...options.gateway };
  if (!options.memory) gateway.storage = { type: 'redis', host: '127.0.0.1', port: 6379, key_prefix: prefix };
  if (options.seeds) {
    await writeFile(join(dir, 'global-webhooks.json'), JSON.stringify({ webhooks: options.seeds }));
    gateway.global_webhooks = { seed: ['global-webhooks.json'], poll_interval_ms: 500, ...(gateway.global_webhooks as object | undefined) };
  }
  await writeFile(join(dir, 'tyk.conf'), JSON.stringify(gateway));
  const ws: Workspace = {
    dir,
    config: join(dir, 'tyk.conf'),
    prefix,
    writeApi: (name, doc) => writeFile(join(dir, 'apps', name), JSON.stringify(doc)),
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
      if (!options.memory) await deleteKeys(prefix);
    },
  };
  for (const [name, doc] of Object.entries(options.apis ?? {})) await ws.writeApi(name, doc);
  return ws;
}

export async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379');
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}

/** An OAS API definition whose event handlers are `handlers`. */
export function oasApi(id: string, handlers: object[]): object {
  return {
    openapi: '3.0.3',
    info: { title: id, version: '1' },
    paths: {},
    'x-tyk-api-gateway': { info: { id, name: id, orgId: 'acme', state: { active: true } }, server: { eventHandlers: handlers } },
  };
}

export interface AdminHarness {
  runtime: Runtime;
  server: IngestServer;
  url: string;
  lines: Record<string, unknown>[];
  /** fetch against the server; JSON bodies get a JSON content type. */
  // oxlint-disable-next-line typescript/no-explicit-any -- answers are asserted field by field
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; json: any }>;
  close(): Promise<void>;
}

/** A runtime from `config` plus its HTTP server on 127.0.0.1:0. */
export async function startHarness(config: string, listen = '127.0.0.1:0', ingestSecret = ''): Promise<AdminHarness> {
  const { logger, lines } = captureLogger('debug');
  const runtime = await createRuntime({ configFile: config, logger });
  const server = new IngestServer(runtime, { listen, secret: ingestSecret, bodyLimit: 1024 * 1024 });
  const address = await server.start();
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
  return {
    runtime,
    server,
    url,
    lines,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = text;
      }
      return { status: res.status, headers: res.headers, json };
    },
    async close() {
      await server.close();
      await runtime.close(1_000);
    },
  };
}
