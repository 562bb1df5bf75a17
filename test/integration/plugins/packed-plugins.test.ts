/**
 * Issue 7, "done means": firehook and the example plugins packed with `npm pack`, installed into
 * a fresh project, `firehook serve` started from that installation with a config naming the
 * plugins, events fired over HTTP and the plugins' effects observed (chat messages at a real
 * 127.0.0.1 receiver, archive files on disk); then every load failure with its message.
 */
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { encodeOriginatingRequestSync } from '../../../core/index.ts';

import { ROOT } from '../../helpers/cli.ts';
import { createPackedProject, EXAMPLES, lockedRuntimePackages, PLUGIN_PACKAGES, run, writePackage, type PackedProject } from './packed-project.ts';
import { archivedRecords, classic, gatewayCase, keyEvent, oas } from './gateway-case.ts';
import { postEvents, serveProject, startProjectCli, type ProjectCli } from './project-cli.ts';
import { eventually } from '../../helpers/poll.ts';

let packed: PackedProject;
let receiver: Server;
let receiverUrl: string;
/** A Slack-compatible message as firehook-plugin-chat posts it. */
interface ChatBody {
  text: string;
  blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[];
}
const messages: { path: string; body: ChatBody }[] = [];
/** Answer the first request on these paths with 503 (once each). */
const failFirst = new Set<string>();
const running: ProjectCli[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (failFirst.delete(req.url ?? '')) return void res.writeHead(503).end('busy');
      messages.push({ path: req.url ?? '', body: JSON.parse(body) as ChatBody });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  packed = await createPackedProject();
  const project = packed.project;
  // Broken plugin packages, one per load failure.
  const plugin = (fields: string) => `export const plugin = { contractVersion: 1, optionsSchema: { type: 'object' }, ${fields} };\n`;
  await writePackage(project, 'firehook-plugin-badexport', { peerDependencies: { firehook: '^0.1.0' } }, 'export const handler = () => {};\n');
  await writePackage(
    project,
    'firehook-plugin-future',
    { version: '3.0.0', peerDependencies: { firehook: '^2.0.0' } },
    plugin("name: 'fh_future', create: () => ({ handle() {} })"),
  );
  await writePackage(
    project,
    'firehook-plugin-dup',
    { peerDependencies: { firehook: '^0.1.0' } },
    plugin("name: 'fh_dup', aliases: ['archive'], create: () => ({ handle() {} })"),
  );
  await writePackage(
    project,
    'firehook-plugin-slow',
    { peerDependencies: { firehook: '^0.1.0' } },
    plugin("name: 'fh_slow', create: () => new Promise(() => {})"),
  );
  console.info(`packed project ready: ${JSON.stringify(packed.timings)} (ms)`);
}, 240_000);

afterEach(async () => {
  for (const cli of running.splice(0)) await cli.stop('SIGKILL');
});
afterAll(async () => {
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
  if (packed) await rm(packed.root, { recursive: true, force: true });
});

describe('the packed project', () => {
  it('installs exactly the versions the root lockfile pins', async () => {
    const locked = await lockedRuntimePackages();
    for (const name of ['ioredis', 'undici', 'isolated-vm']) expect(locked[`node_modules/${name}`]?.version, name).toMatch(/^\d+\.\d+\.\d+/);
    const installed: Record<string, string | undefined> = {};
    const expected: Record<string, string | undefined> = {};
    for (const [path, entry] of Object.entries(locked)) {
      expected[path] = entry.version;
      const manifest = JSON.parse(await readFile(join(packed.project, path, 'package.json'), 'utf8').catch(() => '{}')) as { version?: string };
      installed[path] = manifest.version;
    }
    expect(installed).toEqual(expected);
  });

  it('prints no install-script warnings (isolated-vm is allowed as the README says)', () => {
    expect(packed.installOutput).not.toMatch(/install-scripts|allowScripts|EBADENGINE/);
  });

  it('loads from CommonJS with require()', async () => {
    await writeFile(
      join(packed.project, 'require-check.cjs'),
      "const fh = require('firehook');\nconst sdk = require('firehook/plugin');\nconsole.log(typeof fh.createRuntime, typeof fh.definePlugin, typeof fh.MemoryStore, typeof sdk.definePlugin, typeof sdk.createRuntime);\n",
    );
    const result = await run(process.execPath, ['--no-node-snapshot', 'require-check.cjs'], packed.project);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function function function function undefined');
    expect(result.code).toBe(0);
  });

  it.each(['nodenext', 'bundler'] as const)(
    'type-checks a strict TypeScript consumer (moduleResolution %s, skipLibCheck false)',
    async (resolution) => {
      const dir = join(packed.project, `consumer-${resolution}`);
      await mkdir(dir, { recursive: true });
      await writeFile(
        join(dir, 'gateway.ts'),
        [
          "import { createRuntime, MemoryStore, RedisStore, IngestServer, type Logger, type Runtime } from 'firehook';",
          "import { definePlugin, type EventMessage, type HandlerPlugin } from 'firehook/plugin';",
          'export const plugin: HandlerPlugin = definePlugin({ name: "fh_consumer", contractVersion: 1, optionsSchema: { type: "object" }, create: () => ({ handle(event: EventMessage) { void event.Type; } }) });',
          'export async function start(): Promise<Runtime> { const runtime = await createRuntime({ configFile: "tyk.conf" }); const logger: Logger = runtime.logger; logger.info({ generation: 1 }, "started"); return runtime; }',
          'export const stores = [MemoryStore, RedisStore, IngestServer];',
          '',
        ].join('\n'),
      );
      const module = resolution === 'nodenext' ? 'nodenext' : 'esnext';
      const compilerOptions = {
        module,
        moduleResolution: resolution,
        target: 'es2024',
        lib: ['es2024'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
      };
      await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['gateway.ts'] }));
      const result = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], dir);
      expect(result.stdout).toBe('');
      expect(result.code).toBe(0);
    },
    60_000,
  );
});

describe('the tarballs', () => {
  const list = async (tarball: string) =>
    (await run('tar', ['-tzf', tarball], packed.root)).stdout
      .split('\n')
      .filter(Boolean)
      .map((p) => p.replace(/^package\//, ''));

  it('carry a LICENSE, the repository fields and no test files', async () => {
    for (const [name, tarball] of Object.entries(packed.tarballs)) {
      const files = await list(tarball);
      expect(files, name).toContain('LICENSE');
      expect(
        files.filter((f) => /(^|\/)test\/|\.test\.[cm]?[jt]s$/.test(f)),
        name,
      ).toEqual([]);
      const manifest = JSON.parse(await readFile(join(packed.project, 'node_modules', name, 'package.json'), 'utf8')) as Record<
        string,
        { url?: string } | string | undefined
      >;
      expect(manifest.homepage, name).toMatch(/^https:\/\//);
      expect((manifest.repository as { url?: string })?.url, name).toMatch(/^git\+https:\/\/.+\.git$/);
      expect((manifest.bugs as { url?: string })?.url, name).toMatch(/^https:\/\//);
    }
  });

  it('ship every file the READMEs link to, and source maps with their sources inlined', async () => {
    for (const [name, tarball] of Object.entries(packed.tarballs)) {
      const files = new Set(await list(tarball));
      const readme = await readFile(join(packed.project, 'node_modules', name, 'README.md'), 'utf8');
      const relative = [...readme.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((href) => !/^[a-z]+:/i.test(href));
      expect(
        relative.filter((href) => !files.has(href.replace(/^\.\//, ''))),
        `${name}: README links missing from the tarball`,
      ).toEqual([]);
      for (const map of [...files].filter((f) => f.endsWith('.map'))) {
        const parsed = JSON.parse(await readFile(join(packed.project, 'node_modules', name, map), 'utf8')) as {
          sources: string[];
          sourcesContent?: (string | null)[];
        };
        expect(parsed.sourcesContent?.length, map).toBe(parsed.sources.length);
        expect(
          parsed.sourcesContent!.every((c) => typeof c === 'string' && c.length > 0),
          map,
        ).toBe(true);
      }
    }
  });
});

describe('plugin packages installed from npm pack tarballs', () => {
  it('pass their own test suites against the installed firehook', async () => {
    for (const name of PLUGIN_PACKAGES) await cp(join(EXAMPLES, name, 'test'), join(packed.project, 'plugin-tests', name), { recursive: true });
    const result = await run(process.execPath, ['--no-node-snapshot', '--test', 'plugin-tests/**/*.test.js'], packed.project);
    expect(result.stdout).toMatch(/ℹ fail 0/);
    expect(Number(/ℹ pass (\d+)/.exec(result.stdout)?.[1])).toBeGreaterThanOrEqual(15);
    expect(result.code).toBe(0);
  }, 60_000);

  it('type-check against the packed type declarations', async () => {
    for (const name of PLUGIN_PACKAGES) await cp(join(packed.project, 'node_modules', name), join(packed.project, 'typecheck', name), { recursive: true });
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2024',
        lib: ['es2024'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
        allowJs: true,
        checkJs: true,
        noEmit: true,
        strict: true,
      },
      include: ['typecheck/**/*.js'],
    };
    await writeFile(join(packed.project, 'tsconfig.json'), JSON.stringify(tsconfig));
    const result = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(packed.project, 'tsconfig.json')], packed.project);
    expect(result.stdout).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);
});

describe('firehook serve with plugin packages from the project', () => {
  it('posts chat messages and archives events, then flushes everything on SIGTERM', async () => {
    const config = await gatewayCase(
      packed.project,
      'serve',
      {
        plugins: ['firehook-plugin-archive', 'firehook-plugin-chat'],
        webhooks: { deny_private_networks: true, allow_networks: ['127.0.0.1'], retry_schedule: ['50ms', '50ms'] },
      },
      [
        classic('petstore', {
          AuthFailure: [
            { handler_name: 'fh_ndjson_archive', handler_meta: { directory: 'archive', originating_request: 'decoded', max_bytes: 65536 } },
            { handler_name: 'fh_chat_notifier', handler_meta: { url: `${receiverUrl}/hooks/petstore`, cooldown: '1m' } },
          ],
          KeyExpired: [{ handler_name: 'fh_ndjson_archive', handler_meta: { directory: 'archive', max_bytes: 65536 } }],
        }),
        oas('orders', [
          { enabled: true, trigger: 'QuotaExceeded', type: 'chat', id: 'orders-chat', url: `${receiverUrl}/hooks/orders`, title: 'Orders' },
          { enabled: true, trigger: 'QuotaExceeded', type: 'archive', id: 'orders-archive', directory: 'archive', max_bytes: 65536 },
        ]),
      ],
    );
    const { cli, url } = await serveProject(packed.project, config);
    running.push(cli);
    expect(url, cli.stderr()).toBeDefined();
    failFirst.add('/hooks/petstore');
    const request = encodeOriginatingRequestSync({
      method: 'GET',
      url: '/petstore/pets',
      headers: [
        ['Host', 'gw.example'],
        ['Authorization', 'Bearer user-token'],
      ],
    });
    const first = await postEvents(url!, [
      keyEvent('petstore', 'AuthFailure', 'first-key-0001', { OriginatingRequest: request }),
      keyEvent('petstore', 'AuthFailure', 'first-key-0001', { OriginatingRequest: request }),
      keyEvent('petstore', 'AuthFailure', 'second-key-0002'),
      keyEvent('orders', 'QuotaExceeded', 'orders-key-0003'),
    ]);
    expect(first).toEqual({ status: 202, body: { accepted: 4, unmatched: 0 } });

    // chat: the duplicate is absorbed by the cooldown, the 503 retried, nothing sent twice
    await eventually(() => messages.filter((m) => m.path.startsWith('/hooks/')).length >= 3, 'chat messages');
    const petstore = messages.filter((m) => m.path === '/hooks/petstore');
    expect(petstore.map((m) => m.body.blocks.flatMap((b) => b.fields ?? []).find((f) => f.text.startsWith('*Key*'))?.text).sort()).toEqual([
      '*Key*\n`****0001`',
      '*Key*\n`****0002`',
    ]);
    expect(petstore[0]!.body.text).toBe('Firehook: AuthFailure on Petstore (petstore): AuthFailure');
    expect(messages.filter((m) => m.path === '/hooks/orders').map((m) => m.body.blocks[0]?.text?.text)).toEqual(['Orders: QuotaExceeded']);
    expect(JSON.stringify(messages)).not.toContain('first-key-0001');
    expect(failFirst.size).toBe(0); // the 503 was served, and its message still arrived

    // archive: both APIs share one file; the originating request is decoded
    const archive = join(packed.project, 'cases/serve/archive');
    await eventually(async () => (await archivedRecords(archive)).length === 4, 'archived lines');
    const records = await archivedRecords(archive);
    expect(records.map((r) => [r.api_id, r.Type, r.Meta.Key])).toEqual(
      expect.arrayContaining([
        ['petstore', 'AuthFailure', 'first-key-0001'],
        ['petstore', 'AuthFailure', 'second-key-0002'],
        ['orders', 'QuotaExceeded', 'orders-key-0003'],
      ]),
    );
    const decoded = records.find((r) => r.request !== undefined)!;
    expect(decoded.request).toMatchObject({ method: 'GET', url: '/petstore/pets', http_version: '1.1' });
    expect(decoded.Meta.OriginatingRequest).toBeUndefined();

    // a burst, then SIGTERM right after it was accepted: every accepted event is on disk
    const burst = Array.from({ length: 1000 }, (_, i) => keyEvent('petstore', 'KeyExpired', `burst-${String(i).padStart(6, '0')}`));
    expect((await postEvents(url!, burst)).body).toEqual({ accepted: 1000, unmatched: 0 });
    expect(await cli.stop('SIGTERM')).toBe(0);
    const after = await archivedRecords(archive);
    const burstKeys = after.filter((r) => r.Type === 'KeyExpired').map((r) => r.Meta.Key);
    expect(new Set(burstKeys).size).toBe(1000);
    expect(burstKeys.length).toBe(1000);
    expect((await readdir(archive)).length).toBeGreaterThan(1); // it rotated on the way
    expect(cli.lines.find((l) => l.msg === 'stopped')).toMatchObject({ unfinished: 0 });
  }, 60_000);
});

describe('plugin load failures', () => {
  /** Start `firehook serve` with these plugins; it must refuse to start. */
  async function refused(name: string, plugins: string[]): Promise<string> {
    const config = await gatewayCase(packed.project, name, { plugins }, [
      classic('petstore', { AuthFailure: [{ handler_name: 'eh_log_handler', handler_meta: { prefix: 'x' } }] }),
    ]);
    const { cli, code } = await serveProject(packed.project, config);
    running.push(cli);
    expect(code, `started anyway; stderr: ${cli.stderr()}`).toBe(1);
    return cli.stderr();
  }

  it('refuses to start, exit 1, naming the package: missing, bad export, incompatible version, duplicate handler name', async () => {
    const [missing, badExport, incompatible, duplicate] = await Promise.all([
      refused('missing', ['firehook-plugin-archive', 'firehook-plugin-nowhere']),
      refused('bad-export', ['firehook-plugin-badexport']),
      refused('incompatible', ['firehook-plugin-future']),
      refused('duplicate', ['firehook-plugin-archive', 'firehook-plugin-dup']),
    ]);
    expect(missing).toMatch(/^FH_PLUGIN_NOT_FOUND: plugin package "firehook-plugin-nowhere" cannot be resolved from .*cases\/missing/m);
    expect(badExport).toMatch(/^FH_PLUGIN_INVALID: plugin package "firehook-plugin-badexport" exports no plugin/m);
    expect(incompatible).toMatch(
      /^FH_PLUGIN_INCOMPATIBLE: plugin package "firehook-plugin-future"@3\.0\.0 requires firehook \^2\.0\.0; this is firehook 0\.1\.0$/m,
    );
    expect(duplicate).toMatch(
      /^FH_PLUGIN_DUPLICATE: handler name "archive" is claimed by both plugin package "firehook-plugin-dup" and plugin package "firehook-plugin-archive"$/m,
    );
  }, 60_000);

  it('reports invalid plugin options as <file>#<pointer> problems in firehook validate', async () => {
    const config = await gatewayCase(packed.project, 'bad-options', { plugins: ['firehook-plugin-archive', 'firehook-plugin-chat'] }, [
      classic('petstore', { AuthFailure: [{ handler_name: 'fh_ndjson_archive', handler_meta: { Directory: 'archive', FSync: 'sometimes' } }] }),
      oas('orders', [{ enabled: true, trigger: 'QuotaExceeded', type: 'chat', url: 'gopher://chat', cooldown: '1 minute' }]),
    ]);
    const cli = startProjectCli(packed.project, ['validate', '--config', config]);
    running.push(cli);
    expect(await cli.exited).toBe(1);
    const out = cli.lines.map((l) => String(l.raw ?? '')).filter(Boolean);
    const dir = join(packed.project, 'cases/bad-options/apps');
    expect(out.sort()).toEqual([
      `${dir}/orders.json#/x-tyk-api-gateway/server/eventHandlers/0/cooldown: must be a Go duration such as "30s" or "1m30s" (got "1 minute")`,
      `${dir}/orders.json#/x-tyk-api-gateway/server/eventHandlers/0/url: must be an http or https URL (got "gopher://chat")`,
      `${dir}/petstore.json#/event_handlers/events/AuthFailure/0/handler_meta/FSync: must be one of "always", "interval", "never" (got "sometimes")`,
    ]);
  }, 30_000);

  it('keeps the last good generation running when a reload hits a plugin setup timeout', async () => {
    const archiveOnly = { AuthFailure: [{ handler_name: 'fh_ndjson_archive', handler_meta: { directory: 'archive' } }] };
    const config = await gatewayCase(
      packed.project,
      'reload',
      { plugins: ['firehook-plugin-archive', 'firehook-plugin-slow'], dispatch: { setup_timeout_ms: 300 } },
      [classic('petstore', archiveOnly)],
    );
    const { cli, url } = await serveProject(packed.project, config);
    running.push(cli);
    expect(url, cli.stderr()).toBeDefined();
    const withSlow = { AuthFailure: [...archiveOnly.AuthFailure, { handler_name: 'fh_slow', handler_meta: {} }] };
    await writeFile(join(packed.project, 'cases/reload/apps/petstore.json'), JSON.stringify(classic('petstore', withSlow)));
    const failed = await cli.waitForLine((l) => l.code === 'FH_RELOAD_FAILED');
    expect((failed.problems as string[]).join('\n')).toMatch(
      /petstore\.json#\/event_handlers\/events\/AuthFailure\/1\/handler_meta: fh_slow handler petstore:AuthFailure:1 \(plugin package "firehook-plugin-slow"\) did not finish setup within 300 ms \[FH_PLUGIN_SETUP_TIMEOUT\]/,
    );
    expect(failed.msg).toBe('reload rejected; generation 1 keeps running');
    expect(await postEvents(url!, [keyEvent('petstore', 'AuthFailure', 'after-reload-0001')])).toMatchObject({ status: 202 });
    await eventually(
      async () => (await archivedRecords(join(packed.project, 'cases/reload/archive'))).some((r) => r.Meta.Key === 'after-reload-0001'),
      'archived by generation 1',
    );
    expect(await (await fetch(`${url!}/readyz`)).json()).toMatchObject({ generation: 1 });
  }, 60_000);

  it('refuses to start when a plugin setup exceeds its timeout, naming the package', async () => {
    const config = await gatewayCase(packed.project, 'slow-start', { plugins: ['firehook-plugin-slow'], dispatch: { setup_timeout_ms: 300 } }, [
      classic('petstore', { AuthFailure: [{ handler_name: 'fh_slow', handler_meta: {} }] }),
    ]);
    const { cli, code } = await serveProject(packed.project, config);
    running.push(cli);
    expect(code).toBe(1);
    expect(cli.stderr()).toContain('firehook-plugin-slow');
  }, 30_000);
});
