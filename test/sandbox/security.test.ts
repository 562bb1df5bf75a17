/**
 * Known sandbox-escape and denial-of-service techniques, each followed by a sentinel handler in the
 * same isolate that must keep working. HTTP abuse (slow and endless responses, header injection,
 * floods, private addresses) is in http-bindings.test.ts; other tenants' keys and storage in
 * bindings.test.ts; uninterruptible native work and process crashes in process.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { event, loadHandlers, logged, runIn, startSandbox, type TestSandbox } from './helpers.ts';

let t: TestSandbox;

beforeAll(() => {
  t = startSandbox({ timeoutMs: 300, memoryLimitMb: 32 });
});

afterAll(async () => {
  await t.close();
});

/** Run `attack` then the sentinel in the same generation; returns the attack's result and its log lines. */
async function contained(attack: string) {
  const [file, sentinel] = await loadHandlers(t, [attack, `log('alive');`], 'attack');
  const [result] = await runIn(t, [event(file!)]);
  const [check] = await runIn(t, [event(sentinel!)]);
  expect(check!.ok).toBe(true);
  expect(logged(t, sentinel!)).toEqual(['alive']);
  return { result: result!, lines: logged(t, file!), code: result!.ok ? 'ok' : result!.error.code };
}

const PROBE = `var r = {}; function probe(name, f) { try { r[name] = String(f()); } catch (e) { r[name] = 'threw ' + e.name; } }`;

describe('sandbox escapes', () => {
  it('reaches no host object through constructor chains, bindings, eval or globals', async () => {
    const { result, lines } = await contained(`${PROBE}
      probe('ctor', function () { return this.constructor.constructor('return typeof process')(); });
      probe('bindingCtor', function () { return log.constructor.constructor('return typeof process + typeof require')(); });
      probe('tykCtor', function () { return TykJS.TykEventHandlers.NewEventHandler.constructor('return typeof module')(); });
      probe('eventCtor', function () { return event.constructor.constructor('return typeof Buffer')(); });
      probe('eval', function () { return (0, eval)('typeof process + typeof require + typeof global'); });
      probe('hostish', function () { return Object.getOwnPropertyNames(globalThis).filter(function (k) { return /^(ivm|Reference|Callback|ExternalCopy|Isolate|NativeModule|require|process|module|exports|Buffer|global)$/.test(k); }).join(','); });
      probe('removed', function () { return [typeof WebAssembly, typeof SharedArrayBuffer, typeof Atomics, typeof FinalizationRegistry, typeof WeakRef, typeof setTimeout, typeof ArrayBuffer.prototype.resize, typeof ArrayBuffer.prototype.transfer].join(','); });
      probe('overwrite', function () { TykStorageGet = function () { return 'mine'; }; delete globalThis.log; return typeof TykStorageGet('x') + ' ' + typeof log; });
      probe('handleCaller', function () { return String(h.Handle.caller); });
      try { import('node:fs').then(function () { log('import worked'); }, function () {}); } catch (e) { r.importThrew = e.name; }
      log(JSON.stringify(r));`);
    expect(result.ok).toBe(true);
    const r = JSON.parse(lines[0]!) as Record<string, string>;
    expect(r).toMatchObject({
      ctor: 'undefined',
      bindingCtor: 'undefinedundefined',
      tykCtor: 'undefined',
      eventCtor: 'undefined',
      eval: 'undefinedundefinedundefined',
      hostish: '',
      removed: 'undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined',
      handleCaller: 'null',
    });
    expect(r.overwrite).toMatch(/^(threw TypeError|object function)$/);
    expect(lines).not.toContain('import worked');
  });

  it('shows only isolate frames, and no bootstrap functions or receivers, to Error.prepareStackTrace', async () => {
    const { result, lines } = await contained(`
      var frames = [];
      Error.prepareStackTrace = function (err, callSites) {
        callSites.forEach(function (c) { frames.push([String(c.getFileName()), typeof c.getFunction(), typeof c.getThis(), String(c.getFunctionName())]); });
        return 'custom';
      };
      var e = new Error('probe');
      log(e.stack);
      log(JSON.stringify(frames));`);
    expect(result.ok).toBe(true);
    expect(lines[0]).toBe('custom');
    const frames = JSON.parse(lines[1]!) as string[][];
    expect(frames.length).toBeGreaterThan(1);
    for (const [file, fn, self] of frames) {
      // User code is evaluated with a sourceURL, so its own frames report no file name.
      expect(file === 'firehook:bootstrap.js' || file === 'undefined' || file!.startsWith('/virtual/attack-')).toBe(true);
      if (file === 'firehook:bootstrap.js') expect([fn, self]).toEqual(['undefined', 'undefined']);
    }
  });

  it('cannot pollute host prototypes through JSON sent to bindings or through the event', async () => {
    const { result } = await contained(`
      TykSetKeyData('k-polluter', '{"__proto__": {"hostPolluted": true}, "constructor": {"prototype": {"hostPolluted": true}}}');
      TykMakeHttpRequest('{"__proto__": {"Domain": "http://127.0.0.1:1"}, "Method": "GET"}');
      TykStorageSet('__proto__', '{"hostPolluted": true}');
      Object.prototype.hostPolluted = true;`);
    expect(result.ok).toBe(true);
    expect(({} as Record<string, unknown>).hostPolluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('hostPolluted');
    const stored = await t.sessions.get('k-polluter');
    expect(stored && Object.keys(stored)).not.toContain('constructor');
  });
});

describe('denial of service', () => {
  it.each([
    ['a Proxy returned from the handler', `return new Proxy({}, { get: function () { for (;;) {} }, getPrototypeOf: function () { for (;;) {} } });`, ['ok']],
    ['a thrown object with looping getters', `throw { get stack() { for (;;) {} }, get message() { for (;;) {} } };`, ['FH_SANDBOX_TIMEOUT']],
    [
      'a thrown Proxy with looping traps',
      `throw new Proxy({}, { get: function () { for (;;) {} }, has: function () { for (;;) {} } });`,
      ['FH_SANDBOX_TIMEOUT'],
    ],
    ['a thrown value whose getters throw', `throw { get stack() { throw new Error('no'); } };`, ['FH_SANDBOX_SCRIPT_ERROR']],
    ['a prepareStackTrace that loops', `Error.prepareStackTrace = function () { for (;;) {} }; null.x;`, ['FH_SANDBOX_TIMEOUT']],
    ['deep recursion', `(function f() { f(); })();`, ['FH_SANDBOX_SCRIPT_ERROR']],
    ['a catastrophic regular expression', `/(a+)+$/.test(new Array(40).join('a') + 'b');`, ['FH_SANDBOX_TIMEOUT']],
    ['a string doubled without end', `var s = 'x'; for (;;) s += s;`, ['FH_SANDBOX_MEMORY_LIMIT', 'FH_SANDBOX_SCRIPT_ERROR']],
    ['a huge array', `var a = new Array(5e7).fill(1.5); log(String(a.length));`, ['FH_SANDBOX_MEMORY_LIMIT', 'FH_SANDBOX_SCRIPT_ERROR', 'FH_SANDBOX_TIMEOUT']],
    ['a huge typed array', `var b = new Uint8Array(Math.pow(2, 31)); log(String(b.length));`, ['FH_SANDBOX_MEMORY_LIMIT', 'FH_SANDBOX_SCRIPT_ERROR']],
    ['a microtask loop left behind', `Promise.resolve().then(function loop() { return Promise.resolve().then(loop); });`, ['ok']],
    ['a late binding call from a promise', `Promise.resolve().then(function () { TykStorageSet('late', 'x'); });`, ['ok']],
  ])('contains %s and the next handler still runs', async (_what, attack, codes) => {
    const { code } = await contained(attack);
    expect(codes).toContain(code);
  });

  it('refuses a binding call made after the event returned', async () => {
    await contained(`Promise.resolve().then(function () { TykStorageSet('late-key', 'x'); });`);
    expect(await t.store.get('jsvm-store:org:org-a:late-key')).toBeNull();
  });

  it('caps oversized and deeply nested binding arguments', async () => {
    const { result, lines } = await contained(`${PROBE}
      var big = new Array((1 << 20) + 10).join('x');
      var nested = new Array(20000).join('[') + new Array(20000).join(']');
      probe('setKey', function () { return TykSetKeyData('k-big', big, '1'); });
      probe('http', function () { return TykMakeHttpRequest(big); });
      probe('nestedHttp', function () { return TykMakeHttpRequest(nested); });
      probe('nestedSession', function () { return TykSetKeyData('k-nested', nested); });
      probe('storageKey', function () { return TykStorageSet(big, 'x'); });
      probe('storageValue', function () { return TykStorageSet('v', new Array(70000).join('v')); });
      probe('logBig', function () { log(big); return 'logged'; });
      log(JSON.stringify(r));`);
    expect(result.ok).toBe(true);
    const r = JSON.parse(lines.at(-1)!) as Record<string, string>;
    expect(r).toMatchObject({
      setKey: 'undefined',
      http: 'undefined',
      nestedHttp: 'undefined',
      nestedSession: 'undefined',
      storageKey: 'threw RangeError',
      storageValue: 'threw RangeError',
      logBig: 'logged',
    });
    expect(lines[0]!.length).toBeLessThan(5_000);
    expect(await t.sessions.get('k-big')).toBeUndefined();
    expect(await t.sessions.get('k-nested')).toBeUndefined();
  });
});
