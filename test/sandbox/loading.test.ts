import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { event, fileName, handlerSource, logged, startSandbox, tempDir, type TestSandbox } from './helpers.ts';

let t: TestSandbox;

beforeAll(() => {
  // the default limits: on a loaded machine a tight load limit would fail ordinary loads too;
  // the test of a load that never ends brings its own
  t = startSandbox();
});

afterAll(async () => {
  await t.close();
});

describe('loading handler files', () => {
  it('keeps the previous generation serving and reports file:line:col when a reload has a syntax error', async () => {
    const path = fileName('reload');
    const first = await t.sandbox.load([{ path, source: handlerSource(`log('v1');`) }]);
    expect(first).toMatchObject({ ok: true, activated: true });
    const broken = await t.sandbox.load([
      { path, source: `var h = new TykJS.TykEventHandlers.NewEventHandler({});\nh.NewHandler(function (event) {\n  log('v2'\n});` },
    ]);
    expect(broken).toMatchObject({ ok: false, activated: false });
    expect(broken.errors[0]).toMatchObject({ code: 'FH_SANDBOX_LOAD_FAILED', file: path, line: 3, column: 7 });
    expect(broken.errors[0]!.message).toMatch(new RegExp(`^${path}:3:7: .*missing \\) after argument list`));
    const [result] = await t.sandbox.run([event(path)]);
    expect(result!.ok).toBe(true);
    expect(logged(t, path)).toEqual(['v1']);
    expect(t.sandbox.stats().current).toBe(first.generation);
  });

  it('swaps in the new generation when every file loads and disposes the old one after it drains', async () => {
    const path = fileName('swap');
    await t.sandbox.load([{ path, source: handlerSource(`var end = Date.now() + 20; while (Date.now() < end) {} log('old ' + event.Meta.n);`) }]);
    const inFlight = t.sandbox.run(Array.from({ length: 5 }, (_, n) => event(path, { n })));
    const second = await t.sandbox.load([{ path, source: handlerSource(`log('new ' + event.Meta.n);`) }]);
    expect(second.activated).toBe(true);
    const after = await t.sandbox.run([event(path, { n: 9 })]);
    expect((await inFlight).every((r) => r.ok)).toBe(true);
    expect(after[0]!.ok).toBe(true);
    const lines = logged(t, path);
    expect(lines.filter((l) => l.startsWith('old')).sort()).toEqual(['old 0', 'old 1', 'old 2', 'old 3', 'old 4']);
    expect(lines.filter((l) => l.startsWith('new'))).toEqual(['new 9']);
    await expect.poll(() => t.sandbox.stats().generations).toBe(1);
  });

  it('reports a top-level throw, a load that never ends and an unreadable file, and loads the rest', async () => {
    // its own load limit, far past what an ordinary file needs on a loaded machine; only the spinner reaches it
    const t = startSandbox({ limits: { loadTimeoutMs: 1_500 } });
    onTestFinished(() => t.close());
    const thrower = fileName('top-throw');
    const spinner = fileName('top-spin');
    const good = fileName('good');
    const missing = '/virtual/does-not-exist.js';
    const report = await t.sandbox.load(
      [
        { path: thrower, source: 'var a = 1;\n\n  null.boom;' },
        { path: spinner, source: 'while (true) {}' },
        { path: missing },
        { path: good, source: handlerSource(`log('good');`) },
      ],
      { activate: false },
    );
    expect(report.files.map((f) => f.ok)).toEqual([false, false, false, true]);
    expect(report.files[0]!.error).toMatchObject({ code: 'FH_SANDBOX_LOAD_FAILED', file: thrower, line: 3, column: 8 });
    expect(report.files[1]!.error!.message).toMatch(/longer than 1500 ms/);
    expect(report.files[2]!.error!.message).toMatch(/cannot read .*ENOENT/);
    const [result] = await t.sandbox.run([event(good)], { generation: report.generation });
    expect(result!.ok).toBe(true);
    const [failed] = await t.sandbox.run([event(thrower)], { generation: report.generation });
    expect(!failed!.ok && failed!.error.code).toBe('FH_SANDBOX_LOAD_FAILED');
    await t.sandbox.release(report.generation);
  });

  it('adds files to an existing generation and refuses the same path with other content', async () => {
    const a = fileName('into-a');
    const b = fileName('into-b');
    const report = await t.sandbox.load([{ path: a, source: handlerSource(`log('a');`) }], { activate: false });
    const added = await t.sandbox.load(
      [
        { path: b, source: handlerSource(`log('b');`) },
        { path: a, source: handlerSource(`log('a');`) },
      ],
      { into: report.generation },
    );
    expect(added).toMatchObject({ ok: true, generation: report.generation });
    const clash = await t.sandbox.load([{ path: a, source: handlerSource(`log('changed');`) }], { into: report.generation });
    expect(clash.ok).toBe(false);
    await t.sandbox.run([event(a), event(b)], { generation: report.generation });
    expect([...logged(t, a), ...logged(t, b)]).toEqual(['a', 'b']);
    await t.sandbox.release(report.generation);
  });
});

describe('contexts', () => {
  it('binds a handler by file and name so two files may both define sessionHandler', async () => {
    const one = fileName('tenant-one');
    const two = fileName('tenant-two');
    const report = await t.sandbox.load(
      [
        {
          path: one,
          source: `JSON.parse = function () { return 'hijacked'; }; Object.prototype.polluted = 'yes';\n${handlerSource(`log('one');`, 'sessionHandler')}`,
        },
        { path: two, source: handlerSource(`log('two ' + typeof ({}).polluted + ' ' + JSON.parse('"fine"'));`, 'sessionHandler') },
      ],
      { activate: false },
    );
    expect(report.ok).toBe(true);
    expect(report.warnings).toEqual([]);
    const results = await t.sandbox.run([event(one, {}, { name: 'sessionHandler' }), event(two, {}, { name: 'sessionHandler' })], {
      generation: report.generation,
    });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(logged(t, one)).toEqual(['one']);
    expect(logged(t, two)).toEqual(['two undefined fine']);
    await t.sandbox.release(report.generation);
  });

  it('gives Tyk single environment with a collision warning naming both files when the shared context is on', async () => {
    const shared = startSandbox({ sharedContext: true });
    try {
      const one = fileName('shared-one');
      const two = fileName('shared-two');
      const report = await shared.sandbox.load([
        { path: one, source: `var common = 'from one';\n${handlerSource(`log('one sees ' + common);`, 'sessionHandler')}` },
        { path: two, source: `var common = 'from two';\n${handlerSource(`log('two sees ' + common);`, 'sessionHandler')}` },
      ]);
      expect(report.ok).toBe(true);
      const names = report.warnings.map((w) => [w.code, w.handler, w.file, /from one|shared-one/.test(w.message)]);
      expect(names).toEqual([
        ['FH_SANDBOX_GLOBAL_COLLISION', 'common', two, true],
        ['FH_SANDBOX_GLOBAL_COLLISION', 'sessionHandler', two, true],
      ]);
      await shared.sandbox.run([event(one, {}, { name: 'sessionHandler' })]);
      expect(shared.logs.map((l) => l.message)).toEqual(['two sees from two']);
    } finally {
      await shared.close();
    }
  });

  it('runs tyk_js_path in every context after the bootstrap', async () => {
    const dir = await tempDir({ 'tyk.js': `function shout(s) { return String(s).toUpperCase() + '!'; }` });
    const withExtra = startSandbox({ bootstrapExtraPath: join(dir.dir, 'tyk.js') });
    try {
      const a = fileName('extra-a');
      const b = fileName('extra-b');
      const report = await withExtra.sandbox.load([
        { path: a, source: handlerSource(`log(shout('a'));`) },
        { path: b, source: handlerSource(`log(shout(event.Type));`) },
      ]);
      expect(report.ok).toBe(true);
      await withExtra.sandbox.run([event(a), event(b)]);
      expect(withExtra.logs.map((l) => l.message)).toEqual(['A!', 'AUTHFAILURE!']);
    } finally {
      await withExtra.close();
      await dir.cleanup();
    }
  });
});

describe('self-registration', () => {
  it('reports handlers built with an events list, by global name or by reference', async () => {
    const path = fileName('selfreg');
    const source = `var onAuth = new TykJS.TykEventHandlers.NewEventHandler({ events: ['AuthFailure', 'KeyExpired'], apis: ['api-1', 'api-2'] });
      onAuth.NewHandler(function (event) { log('named ' + event.Type); });
      (function () {
        var hidden = new TykJS.TykEventHandlers.NewEventHandler({ events: ['QuotaExceeded'] });
        hidden.NewHandler(function (event) { log('anonymous ' + event.Type); });
      })();
      var plain = new TykJS.TykEventHandlers.NewEventHandler({});`;
    const report = await t.sandbox.load([{ path, source }], { activate: false });
    expect(report.files[0]!.registrations).toEqual([
      { file: path, name: 'onAuth', globalName: 'onAuth', events: ['AuthFailure', 'KeyExpired'], apis: ['api-1', 'api-2'] },
      { file: path, name: '#1', globalName: '', events: ['QuotaExceeded'], apis: ['*'] },
    ]);
    expect(t.sandbox.registrations(report.generation)).toHaveLength(2);
    const results = await t.sandbox.run([event(path, {}, { name: 'onAuth' }), event(path, {}, { name: '#1', type: 'QuotaExceeded' })], {
      generation: report.generation,
    });
    expect(results.every((r) => r.ok)).toBe(true);
    expect(logged(t, path)).toEqual(['named AuthFailure', 'anonymous QuotaExceeded']);
    await t.sandbox.release(report.generation);
  });
});
