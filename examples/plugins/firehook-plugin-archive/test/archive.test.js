// @ts-check
/**
 * The NDJSON archive on a real Firehook runtime with real files: the plugin is named in the
 * gateway config's `plugins`, events are fired through the runtime, the files are read back.
 * Run with `npm test` (Node's test runner).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger, createRuntime, definePlugin, encodeOriginatingRequestSync, PLUGIN_CONTRACT_VERSION } from 'firehook';

const PLUGIN_ENTRY = fileURLToPath(import.meta.resolve('firehook-plugin-archive'));
const dirs = /** @type {string[]} */ ([]);
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/**
 * @param {Record<string, unknown>} handlerMeta Classic handler_meta for AuthFailure and QuotaExceeded.
 * @param {Record<string, unknown>} [gatewayExtra]
 */
async function project(handlerMeta, gatewayExtra = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'fh-archive-'));
  dirs.push(dir);
  await mkdir(join(dir, 'apps'));
  await writeFile(join(dir, 'tyk.conf'), JSON.stringify({ app_path: 'apps', plugins: [PLUGIN_ENTRY], ...gatewayExtra }));
  const handler = [{ handler_name: 'fh_ndjson_archive', handler_meta: handlerMeta }];
  const api = { api_id: 'petstore', org_id: 'acme', name: 'Petstore', event_handlers: { events: { AuthFailure: handler, QuotaExceeded: handler } } };
  await writeFile(join(dir, 'apps/petstore.json'), JSON.stringify(api));
  return dir;
}

/** Events of system type `ArchiveFileRotated`, as a second plugin sees them. */
const rotations = /** @type {Record<string, unknown>[]} */ ([]);
const recorder = definePlugin({
  name: 'test_recorder',
  contractVersion: PLUGIN_CONTRACT_VERSION,
  optionsSchema: { type: 'object' },
  create: () => ({ handle: (event) => void rotations.push({ ...event.Meta }) }),
});

/** @param {string} dir */
async function start(dir) {
  /** @type {Record<string, any>[]} */
  const lines = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  const runtime = await createRuntime({
    configFile: join(dir, 'tyk.conf'),
    logger: createLogger({ level: 'debug', destination }),
    plugins: [recorder],
    watch: false,
  });
  return { runtime, lines };
}

/** Every archived record, oldest file first. @param {string} directory */
async function archived(directory, prefix = 'events') {
  const names = (await readdir(directory)).filter((n) => n.startsWith(`${prefix}-`) && n.endsWith('.ndjson')).sort();
  names.push(`${prefix}.ndjson`);
  const records = [];
  for (const name of names) {
    const text = await readFile(join(directory, name), 'utf8').catch(() => '');
    for (const line of text.split('\n')) if (line !== '') records.push(JSON.parse(line));
  }
  return { files: names, records };
}

/** @param {number} i */
const key = (i) => `key-${String(i).padStart(8, '0')}`;
/** @param {number} i */
const meta = (i) => ({ Message: 'Auth failure', Path: '/petstore/pets', Origin: '10.0.0.1', Key: key(i) });

describe('fh_ndjson_archive', () => {
  it('appends each event as one line: Tyk fields, API context, and the originating request decoded', async () => {
    const dir = await project({ directory: 'archive', originating_request: 'both' });
    const { runtime } = await start(dir);
    const request = encodeOriginatingRequestSync({
      method: 'POST',
      url: '/petstore/pets?x=1',
      headers: [
        ['Host', 'gw.example'],
        ['Authorization', 'Bearer k'],
      ],
      body: '{"name":"rex"}',
    });
    try {
      const [report] = await runtime.fireAndWait('petstore', 'AuthFailure', { ...meta(1), OriginatingRequest: request });
      assert.equal(report?.status, 'ok');
      await runtime.fireAndWait('petstore', 'QuotaExceeded', meta(2));
      const { records } = await archived(join(dir, 'archive'));
      assert.equal(records.length, 2);
      const [first, second] = records;
      assert.deepEqual(Object.keys(first), ['time', 'api_id', 'org_id', 'Type', 'Meta', 'TimeStamp', 'request']);
      assert.equal(first.api_id, 'petstore');
      assert.equal(first.org_id, 'acme');
      assert.equal(first.Type, 'AuthFailure');
      assert.equal(first.Meta.Key, key(1));
      assert.equal(first.Meta.OriginatingRequest, request);
      assert.deepEqual(
        { ...first.request, headers: undefined },
        { method: 'POST', url: '/petstore/pets?x=1', http_version: '1.1', headers: undefined, body: '{"name":"rex"}', body_encoding: 'utf8' },
      );
      assert.deepEqual(
        first.request.headers.filter((/** @type {[string, string]} */ [n]) => n === 'Host' || n === 'Authorization'),
        [
          ['Host', 'gw.example'],
          ['Authorization', 'Bearer k'],
        ],
      );
      assert.equal(second.Type, 'QuotaExceeded');
      assert.equal('request' in second, false);
      assert.match(first.TimeStamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC$/);
    } finally {
      await runtime.close();
    }
  });

  it('rotates before a file would exceed max_bytes, keeps every line in order, and fires ArchiveFileRotated', async () => {
    const dir = await project(
      { directory: 'archive', max_bytes: 2048, originating_request: 'omit' },
      { event_handlers: { events: { ArchiveFileRotated: [{ handler_name: 'test_recorder', handler_meta: {} }] } } },
    );
    const { runtime, lines } = await start(dir);
    rotations.length = 0;
    try {
      for (let i = 0; i < 60; i++) await runtime.fireAndWait('petstore', 'AuthFailure', meta(i));
      const { files, records } = await archived(join(dir, 'archive'));
      assert.deepEqual(
        records.map((r) => r.Meta.Key),
        Array.from({ length: 60 }, (_, i) => key(i)),
      );
      assert.ok(files.length >= 3, `files: ${files.join(', ')}`);
      for (const name of files) assert.ok((await stat(join(dir, 'archive', name))).size <= 2048, name);
      await eventually(() => rotations.length >= files.length - 1, 'an ArchiveFileRotated event per rotated file');
      assert.deepEqual(
        rotations.map((r) => r.File),
        files.slice(0, -1).map((n) => join(dir, 'archive', n)),
      );
      const active = (await readFile(join(dir, 'archive/events.ndjson'), 'utf8')).split('\n').filter(Boolean).length;
      assert.equal(rotations.reduce((n, r) => n + Number(r.Lines), 0) + active, 60);
      // the custom event is declared by the plugin, so validation has nothing to say about it
      assert.equal(
        lines.some((l) => String(l.msg).includes('ArchiveFileRotated') && l.level === 40),
        false,
      );
    } finally {
      await runtime.close();
    }
  });

  it('loses no accepted event on a clean shutdown, whatever the fsync policy', async () => {
    for (const fsync of ['never', 'interval', 'always']) {
      const dir = await project({ directory: 'archive', fsync, fsync_interval: '1h', max_bytes: 64 * 1024 });
      const { runtime } = await start(dir);
      let accepted = 0;
      for (let i = 0; i < 1000; i++) accepted += runtime.fire('petstore', 'AuthFailure', meta(i));
      const report = await runtime.close();
      assert.deepEqual(report, { unfinished: 0, undelivered: 0 });
      const { records } = await archived(join(dir, 'archive'));
      assert.equal(records.length, accepted, fsync);
      assert.deepEqual(new Set(records.map((r) => r.Meta.Key)).size, 1000, fsync);
    }
  });

  it('keeps one writer across a hot reload: events fired around the swap all land once, in one file', async () => {
    const dir = await project({ directory: 'archive' });
    const { runtime } = await start(dir);
    try {
      for (let i = 0; i < 100; i++) runtime.fire('petstore', 'AuthFailure', meta(i));
      await writeFile(
        join(dir, 'apps/petstore.json'),
        JSON.stringify({
          api_id: 'petstore',
          org_id: 'acme',
          event_handlers: { events: { AuthFailure: [{ handler_name: 'archive', handler_meta: { directory: 'archive', fsync: 'always' } }] } },
        }),
      );
      const reloading = runtime.reload();
      for (let i = 100; i < 200; i++) runtime.fire('petstore', 'AuthFailure', meta(i));
      assert.equal((await reloading).ok, true);
      for (let i = 200; i < 300; i++) runtime.fire('petstore', 'AuthFailure', meta(i));
    } finally {
      await runtime.close();
    }
    const { files, records } = await archived(join(dir, 'archive'));
    assert.deepEqual(files, ['events.ndjson']);
    assert.deepEqual(
      records.map((r) => r.Meta.Key).sort(),
      Array.from({ length: 300 }, (_, i) => key(i)),
    );
  });

  it('keeps at most max_files rotated files, deleting the oldest', async () => {
    const dir = await project({ directory: 'archive', max_bytes: 1024, max_files: 2, file_prefix: 'auth' });
    const { runtime } = await start(dir);
    try {
      for (let i = 0; i < 40; i++) await runtime.fireAndWait('petstore', 'AuthFailure', meta(i));
      const names = (await readdir(join(dir, 'archive'))).sort();
      assert.equal(names.length, 3, names.join(', '));
      assert.ok(names.includes('auth.ndjson'));
      const { records } = await archived(join(dir, 'archive'), 'auth');
      assert.equal(records.at(-1)?.Meta.Key, key(39));
      assert.ok(records.length < 40);
    } finally {
      await runtime.close();
    }
  });

  it('starts a fresh line after a line torn by a crash', async () => {
    const dir = await project({ directory: 'archive' });
    await mkdir(join(dir, 'archive'));
    await writeFile(join(dir, 'archive/events.ndjson'), '{"Type":"AuthFailure","Meta":{"Key":"whole"}}\n{"Type":"AuthFai');
    const { runtime } = await start(dir);
    try {
      await runtime.fireAndWait('petstore', 'AuthFailure', meta(7));
      const lines = (await readFile(join(dir, 'archive/events.ndjson'), 'utf8')).split('\n');
      assert.equal(lines[1], '{"Type":"AuthFai');
      assert.equal(JSON.parse(lines[2] ?? '').Meta.Key, key(7));
    } finally {
      await runtime.close();
    }
  });

  it('reports invalid options and an unwritable directory at load, at the keys the user wrote', async () => {
    const dir = await project({ Directory: 'blocked/archive', FSync: 'sometimes', max_bytes: 10 });
    await writeFile(join(dir, 'blocked'), 'a file where a directory should be');
    const { runtime, lines } = await start(dir);
    try {
      const at = `${join(dir, 'apps/petstore.json')}#/event_handlers/events`;
      const problems = [...new Set(lines.filter((l) => l.code === 'FH_HANDLER_DISABLED').map((l) => l.msg))].sort();
      assert.deepEqual(problems, [
        `${at}/AuthFailure/0/handler_meta/FSync: must be one of "always", "interval", "never" (got "sometimes")`,
        `${at}/AuthFailure/0/handler_meta/max_bytes: must be >= 1024 (got 10)`,
        `${at}/QuotaExceeded/0/handler_meta/FSync: must be one of "always", "interval", "never" (got "sometimes")`,
        `${at}/QuotaExceeded/0/handler_meta/max_bytes: must be >= 1024 (got 10)`,
      ]);
      await writeFile(
        join(dir, 'apps/petstore.json'),
        JSON.stringify({
          api_id: 'petstore',
          org_id: 'acme',
          event_handlers: { events: { AuthFailure: [{ handler_name: 'fh_ndjson_archive', handler_meta: { directory: 'blocked/archive' } }] } },
        }),
      );
      const reload = await runtime.reload();
      assert.equal(reload.ok, false);
      assert.match(reload.problems[0]?.pointer ?? '', /\/AuthFailure\/0\/handler_meta\/directory$/);
      assert.match(reload.problems[0]?.message ?? '', /cannot write .*events\.ndjson/);
    } finally {
      await runtime.close();
    }
  });
});

/**
 * Poll `check` until it returns a truthy value; the deadline is far past what a loaded machine
 * needs, so the test synchronises on what it observes, not on time.
 * @param {() => unknown} check
 * @param {string} what
 */
async function eventually(check, what, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
