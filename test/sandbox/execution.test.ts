import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, fileName, handlerSource, loadHandler, loadHandlers, logged, runIn, runOne, startSandbox, type TestSandbox } from './helpers.ts';

let t: TestSandbox;

beforeAll(() => {
  t = startSandbox({ timeoutMs: 300, memoryLimitMb: 32 });
});

afterAll(async () => {
  await t.close();
});

function failure(result: Awaited<ReturnType<typeof runOne>>) {
  if (result.ok) throw new Error('expected a failure');
  return result.error;
}

describe('script errors', () => {
  it('come back with the handler file, line and column when a handler throws', async () => {
    const path = fileName('thrower');
    const source = [
      'var h = new TykJS.TykEventHandlers.NewEventHandler({});',
      'h.NewHandler(function (event, context) {',
      '  var x = 1;',
      '    throw new Error("boom " + event.Meta.n);',
      '});',
    ].join('\n');
    const report = await t.sandbox.load([{ path, source }], { activate: false });
    const [result] = await t.sandbox.run([event(path, { n: 7 })], { generation: report.generation });
    const error = failure(result!);
    expect(error.code).toBe('FH_SANDBOX_SCRIPT_ERROR');
    expect(error).toMatchObject({ file: path, line: 4, column: 11 });
    expect(error.message).toBe(`Error: boom 7 (${path}:4:11)`);
  });

  it('name the thrown value when a handler throws a non-Error', async () => {
    const file = await loadHandler(t, `throw 'plain string';`);
    const error = failure(await runOne(t, event(file)));
    expect(error.code).toBe('FH_SANDBOX_SCRIPT_ERROR');
    expect(error.message).toContain('plain string');
  });

  it('stay with their own event when events in one batch fail', async () => {
    const file = await loadHandler(t, `if (event.Meta.n % 5 === 0) throw new RangeError('bad ' + event.Meta.n); log('ok ' + event.Meta.n);`);
    const results = await runIn(
      t,
      Array.from({ length: 50 }, (_, n) => event(file, { n })),
    );
    results.forEach((r, n) => {
      if (n % 5 === 0) expect(!r.ok && r.error.message.startsWith(`RangeError: bad ${n}`)).toBe(true);
      else expect(r.ok).toBe(true);
    });
    expect(logged(t, file)).toEqual(
      Array.from({ length: 50 }, (_, n) => n)
        .filter((n) => n % 5 !== 0)
        .map((n) => `ok ${n}`),
    );
  });

  it('report FH_SANDBOX_HANDLER_NOT_FOUND when the name holds no handler object', async () => {
    const file = await loadHandler(t, `log('never');`);
    const error = failure(await runOne(t, { ...event(file), name: 'missingHandler' }));
    expect(error.code).toBe('FH_SANDBOX_HANDLER_NOT_FOUND');
  });

  it('surface a rejected promise returned by an async handler as a warning without failing the batch', async () => {
    const file = await loadHandler(
      t,
      `if (event.Meta.async) return (async function () { throw new Error('async boom'); })(); if (event.Meta.stray) Promise.reject(new Error('stray')); log('ran ' + event.Meta.n);`,
    );
    const results = await runIn(t, [event(file, { n: 1 }), event(file, { n: 2, async: true }), event(file, { n: 3, stray: true }), event(file, { n: 4 })]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(logged(t, file)).toEqual(['ran 1', 'ran 3', 'ran 4']);
    expect(t.logs.some((l) => l.file === file && l.kind === 'warn' && /async boom/.test(l.message))).toBe(true);
    expect(t.warnings.some((w) => w.code === 'FH_SANDBOX_UNHANDLED_REJECTION' && /stray/.test(w.message))).toBe(true);
  });

  it('refuse host bindings outside an event when a file calls them at load time', async () => {
    const path = fileName('toplevel');
    const source = `try { TykStorageGet('x'); } catch (e) { log('refused: ' + e.message); }\n${handlerSource('')}`;
    const report = await t.sandbox.load([{ path, source }], { activate: false });
    expect(report.ok).toBe(true);
    expect(t.logs.filter((l) => l.file === path).map((l) => l.message)).toEqual(['refused: sget is only available while an event is being handled']);
  });
});

describe('time limits', () => {
  it('stop an infinite loop at the limit, fail only that event and run the rest of the batch once', async () => {
    const [looper, other] = await loadHandlers(t, [`if (event.Meta.loop) { for (;;) {} } log('done ' + event.Meta.n);`, `log('other ' + event.Meta.n);`]);
    const started = Date.now();
    const batch = [event(looper!, { n: 1 }), event(looper!, { n: 2, loop: true }), event(looper!, { n: 3 }), event(looper!, { n: 4 })];
    const [results, others] = await Promise.all([runIn(t, batch), runIn(t, [event(other!, { n: 1 })])]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'FH_SANDBOX_TIMEOUT', 'ok', 'ok']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(logged(t, looper!)).toEqual(['done 1', 'done 3', 'done 4']);
    expect(others[0]!.ok).toBe(true);
    expect(logged(t, other!)).toEqual(['other 1']);
    const error = failure(results[1]!);
    expect(error).toMatchObject({ file: looper, handler: 'h' });
  });

  it('do not count the whole batch against one event when many events each take a while', async () => {
    const file = await loadHandler(t, `var end = Date.now() + 40; while (Date.now() < end) {} log('slow ' + event.Meta.n);`);
    const results = await runIn(
      t,
      Array.from({ length: 20 }, (_, n) => event(file, { n })),
    );
    expect(results.every((r) => r.ok)).toBe(true);
    expect(logged(t, file)).toHaveLength(20);
  });

  it('stop work a handler leaves behind in microtasks and keep the events results', async () => {
    const file = await loadHandler(t, `log('ran'); if (event.Meta.spin) Promise.resolve().then(function spin() { for (;;) {} });`);
    const results = await runIn(t, [event(file), event(file, { spin: true })]);
    expect(results.map((r) => r.ok)).toEqual([true, true]);
    expect(logged(t, file)).toEqual(['ran', 'ran']);
    expect((await runOne(t, event(file))).ok).toBe(true);
  });

  it('quarantine a handler after repeated timeouts until its file changes', async () => {
    const q = startSandbox({ timeoutMs: 100 });
    try {
      const path = fileName('repeat');
      const load = async (body: string) => (await q.sandbox.load([{ path, source: handlerSource(body) }], { activate: false })).generation;
      let generation = await load(`log('entered'); for (;;) {}`);
      for (let i = 0; i < 3; i++) {
        const [r] = await q.sandbox.run([event(path)], { generation });
        expect(!r!.ok && r!.error.code).toBe('FH_SANDBOX_TIMEOUT');
      }
      expect(logged(q, path)).toHaveLength(3);
      const [blocked] = await q.sandbox.run([event(path)], { generation });
      expect(!blocked!.ok && blocked!.error.code).toBe('FH_SANDBOX_QUARANTINED');
      // refused without running: the handler did not enter again
      expect(logged(q, path)).toHaveLength(3);
      expect(q.warnings.filter((w) => w.code === 'FH_SANDBOX_QUARANTINED').map((w) => w.file)).toEqual([path]);
      generation = await load(`log('fixed');`);
      const [fixed] = await q.sandbox.run([event(path)], { generation });
      expect(fixed!.ok).toBe(true);
    } finally {
      await q.close();
    }
  });
});

describe('memory limits', () => {
  // A sandbox of their own whose time limit is far out of reach: filling 32 MB takes longer on a
  // loaded machine, and these tests must see the memory limit only, never the time limit.
  let t: TestSandbox;
  beforeAll(() => {
    t = startSandbox({ timeoutMs: 15_000, memoryLimitMb: 32 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('fail the event that blew the limit, rebuild the isolate and keep serving', async () => {
    const [hog, counter] = await loadHandlers(t, [
      `if (event.Meta.hog) { var a = []; for (;;) a.push(new Array(100000).fill(Math.random())); } log('hog ' + event.Meta.n);`,
      `var seen = (typeof seen === 'number' ? seen : 0) + 1; log('count ' + seen);`,
    ]);
    expect((await runIn(t, [event(counter!)]))[0]!.ok).toBe(true);
    const results = await runIn(t, [event(hog!, { n: 1 }), event(hog!, { n: 2, hog: true }), event(hog!, { n: 3 })]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'FH_SANDBOX_MEMORY_LIMIT', 'ok']);
    expect(logged(t, hog!)).toEqual(['hog 1', 'hog 3']);
    // Rebuilt: every file was run again, so the counter's global starts over.
    expect((await runIn(t, [event(counter!)]))[0]!.ok).toBe(true);
    expect(logged(t, counter!)).toEqual(['count 1', 'count 1']);
  });

  it('re-sends crossings that were queued behind the one that killed the isolate, without blaming them', async () => {
    const [hog, a, b] = await loadHandlers(t, [
      `var a = []; for (;;) a.push(new Array(100000).fill(1));`,
      `log('a ' + event.Meta.n);`,
      `log('b ' + event.Meta.n);`,
    ]);
    const [hogResult, aResults, bResults] = await Promise.all([
      runIn(t, [event(hog!)]),
      runIn(t, [event(a!, { n: 1 }), event(a!, { n: 2 })]),
      runIn(t, [event(b!, { n: 1 })]),
    ]);
    expect(!hogResult[0]!.ok && hogResult[0]!.error.code).toBe('FH_SANDBOX_MEMORY_LIMIT');
    expect([...aResults, ...bResults].every((r) => r.ok)).toBe(true);
    expect(logged(t, a!)).toEqual(['a 1', 'a 2']);
    expect(logged(t, b!)).toEqual(['b 1']);
    expect(t.sandbox.stats().quarantined).toEqual([]);
  });
});
