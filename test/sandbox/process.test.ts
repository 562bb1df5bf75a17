/**
 * The supervised child process: work the per-call timeout cannot interrupt, a process that dies
 * under a batch, and values that would pin the isolate thread. The process is replaced, every
 * generation rebuilt, and the events queued behind the failure still run.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { event, loadHandlers, logged, runIn, startSandbox, type TestSandbox } from './helpers.ts';

let t: TestSandbox | undefined;

afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('sandbox process supervision', () => {
  it('replaces the process when a handler is stuck in uninterruptible native work and runs the rest of the batch', async () => {
    t = startSandbox({ timeoutMs: 200, memoryLimitMb: 128, limits: { graceMs: 300 } });
    const [native, counter] = await loadHandlers(t, [
      `if (event.Meta.bigint) { var x = 7n ** 90000000n; } log('native ' + event.Meta.n);`,
      `var seen = (typeof seen === 'number' ? seen : 0) + 1; log('count ' + seen);`,
    ]);
    await runIn(t, [event(counter!)]);
    const firstPid = t.sandbox.stats().pid;
    // 7n ** 90000000n would run for minutes: getting the batch back at all means the process was replaced
    const results = await runIn(t, [event(native!, { n: 1 }), event(native!, { n: 2, bigint: true }), event(native!, { n: 3 })]);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'FH_SANDBOX_TIMEOUT', 'ok']);
    expect(logged(t, native!)).toEqual(['native 1', 'native 3']);
    const stats = t.sandbox.stats();
    expect(stats.restarts).toBe(1);
    expect(stats.pid).not.toBe(firstPid);
    expect(t.warnings.some((w) => w.code === 'FH_SANDBOX_RESTARTED')).toBe(true);
    // Every file was run again in the new process: the counter's global starts over.
    await runIn(t, [event(counter!)]);
    expect(logged(t, counter!)).toEqual(['count 1', 'count 1']);
  });

  it('fails the events in flight with FH_SANDBOX_CRASHED when the process dies, then serves again', async () => {
    t = startSandbox({ timeoutMs: 2_000 });
    const [slow] = await loadHandlers(t, [`var end = Date.now() + 300; while (Date.now() < end) {} log('slow ' + event.Meta.n);`]);
    const inFlight = runIn(t, [event(slow!, { n: 1 }), event(slow!, { n: 2 })]);
    await expect.poll(() => t!.logs.length).toBeGreaterThan(0);
    process.kill(t.sandbox.stats().pid!, 'SIGKILL');
    const results = await inFlight;
    expect(results.some((r) => !r.ok && r.error.code === 'FH_SANDBOX_CRASHED')).toBe(true);
    const again = await runIn(t, [event(slow!, { n: 3 })]);
    expect(again[0]!.ok).toBe(true);
    expect(t.sandbox.stats().restarts).toBe(1);
  });

  it('contains a rejection whose value would pin the isolate thread after the batch', async () => {
    t = startSandbox({ timeoutMs: 200, limits: { graceMs: 300 } });
    const [pinner, sentinel] = await loadHandlers(t, [
      `Promise.reject({ get message() { for (;;) {} }, get stack() { for (;;) {} } }); log('returned');`,
      `log('alive');`,
    ]);
    const [result] = await runIn(t, [event(pinner!)]);
    expect(result!.ok).toBe(true);
    expect(logged(t, pinner!)).toEqual(['returned']);
    const [check] = await runIn(t, [event(sentinel!)]);
    expect(check!.ok).toBe(true);
    expect(t.sandbox.stats().restarts).toBe(1);
  });

  it('runs the child under the permission model with its own heap ceiling', async () => {
    t = startSandbox();
    const [file] = await loadHandlers(t, [`log('x');`]);
    await runIn(t, [event(file!)]);
    const cmdline = (await readFile(`/proc/${t.sandbox.stats().pid}/cmdline`, 'utf8')).split('\0');
    expect(cmdline).toEqual(expect.arrayContaining(['--no-node-snapshot', '--permission', '--allow-addons', '--max-old-space-size=512']));
    expect(cmdline.some((a) => a.startsWith('--allow-fs-write') || a.startsWith('--allow-child-process') || a.startsWith('--allow-worker'))).toBe(false);
  });
});
