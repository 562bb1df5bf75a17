import { afterEach, describe, expect, it } from 'vitest';
import type { HandlerReport } from '../../../core/dispatch/handler-slot.ts';
import type { SharedScope } from '../../../core/plugin.ts';
import { SHARED_SANDBOX_KEY } from '../../../plugins/dynamic/index.ts';
import type { SharedSandbox } from '../../../plugins/dynamic/shared-sandbox.ts';
import { storageKey } from '../../../sandbox/index.ts';
import { classicApi, jsHandler, startJsRuntime, type JsRuntime } from './helpers.ts';
import { eventually } from '../../helpers/poll.ts';

let js: JsRuntime | undefined;

afterEach(async () => {
  await js?.close();
  js = undefined;
});

const version = (v: number) =>
  `// version ${v}\nvar counter = new TykJS.TykEventHandlers.NewEventHandler({});\ncounter.NewHandler(function (event, context) {\n  TykStorageIncr('seen');\n  TykStorageSet('version', '${v}');\n});\n`;

describe('hot reload of JS handlers', () => {
  it('loses no event across 100 reloads under a steady load', async () => {
    js = await startJsRuntime({
      apis: [classicApi('api-1', 'org-1', { AuthFailure: [jsHandler('counter', 'counter.js')] })],
      handlers: { 'counter.js': version(0) },
    });
    const runtime = js.runtime;
    // A closed loop: ten events in flight at a time, the next ten once they are handled, so the
    // load keeps pace with the machine. Every reload waits until a batch has completed since the
    // previous one, so each of the 100 reloads happens with events going through.
    const reports: HandlerReport[] = [];
    let firing = true;
    let batches = 0;
    const load = (async () => {
      while (firing) {
        const batch = Array.from({ length: 10 }, () => runtime.fireAndWait('api-1', 'AuthFailure', { Key: `k${reports.length}` }));
        reports.push(...(await Promise.all(batch)).flat());
        batches++;
      }
    })();
    for (let v = 1; v <= 100; v++) {
      const before = batches;
      await js.writeHandler('counter.js', version(v));
      const result = await runtime.reload();
      expect(result.ok, result.problems.map((p) => p.message).join('\n')).toBe(true);
      await eventually(() => batches > before, `a batch of events handled around reload ${v}`);
    }
    firing = false;
    await load;
    const statuses = new Map<string, number>();
    for (const r of reports) statuses.set(`${r.status}${r.code ? ` ${r.code}` : ''}`, (statuses.get(`${r.status}${r.code ? ` ${r.code}` : ''}`) ?? 0) + 1);
    expect(Object.fromEntries(statuses)).toEqual({ ok: reports.length });
    expect(reports.length).toBeGreaterThanOrEqual(1_000);
    const key = (k: string) => storageKey(k, { kind: 'org', orgId: 'org-1' });
    expect(await runtime.store.get(key('seen'))).toBe(String(reports.length));
    await runtime.fireAndWait('api-1', 'AuthFailure', {});
    expect(await runtime.store.get(key('version'))).toBe('100');
    // Old isolate generations were disposed once drained: nothing leaks across reloads.
    const shared = (runtime as unknown as { services: { shared: SharedScope } }).services.shared;
    const sandbox = shared.getOrCreate<SharedSandbox>(SHARED_SANDBOX_KEY, () => undefined as never).sandbox;
    await expect.poll(() => sandbox.stats().generations).toBe(1);
    expect(sandbox.stats().restarts).toBe(0);
  }, 240_000); // a hang detector, not a budget: 100 rebuilds of the isolate's contexts take ~12 s on two free cores

  it('activates a saved handler file through the watcher', async () => {
    js = await startJsRuntime({
      apis: [classicApi('api-1', 'org-1', { AuthFailure: [jsHandler('counter', 'counter.js')] })],
      handlers: { 'counter.js': version(1) },
      watch: true,
    });
    const key = storageKey('version', { kind: 'org', orgId: 'org-1' });
    await js.runtime.fireAndWait('api-1', 'AuthFailure', {});
    expect(await js.runtime.store.get(key)).toBe('1');
    await js.writeHandler('counter.js', version(2));
    await expect
      .poll(
        async () => {
          await js!.runtime.fireAndWait('api-1', 'AuthFailure', {});
          return js!.runtime.store.get(key);
        },
        { interval: 20 },
      )
      .toBe('2');
  });
});
