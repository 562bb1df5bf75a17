import { afterEach, describe, expect, it } from 'vitest';
import { classicApi, jsHandler, jsLines, startJsRuntime, type JsRuntime } from './helpers.ts';

let js: JsRuntime | undefined;

afterEach(async () => {
  await js?.close();
  js = undefined;
});

const LOGGER = (tag: string) =>
  `var tagged = new TykJS.TykEventHandlers.NewEventHandler({});\ntagged.NewHandler(function (event, context) { log('${tag} ' + event.EventType + ' ' + context.APIID + ' ' + context.OrgID); });\n`;

describe('JS handlers in the runtime', () => {
  it('runs Classic, OAS, gateway-level and self-registered handlers for fired events', async () => {
    js = await startJsRuntime({
      apis: [
        classicApi('api-1', 'org-1', { AuthFailure: [jsHandler('eventLogger', 'event_handlers/event_logger.js'), jsHandler('tagged', 'one.js')] }),
        {
          openapi: '3.0.3',
          info: { title: 'oas', version: '1' },
          paths: {},
          'x-tyk-api-gateway': {
            info: { id: 'api-2', orgId: 'org-2', name: 'oas' },
            server: { eventHandlers: [{ enabled: true, trigger: 'AuthFailure', type: 'custom', functionName: 'tagged', path: 'two.js' }] },
          },
        },
      ],
      handlers: {
        'one.js': LOGGER('one'),
        'two.js': LOGGER('two'),
        'auto.js': `var auto = new TykJS.TykEventHandlers.NewEventHandler({ "events": ["AuthFailure", "TokenCreated"], "apis": ["*"] });\nauto.NewHandler(function (event, context) { log('auto ' + event.EventType + ' ' + context.APIID); });\n`,
        'system.js': LOGGER('system'),
      },
      gateway: { event_handlers: { events: { TokenDeleted: [jsHandler('tagged', 'system.js')] } } },
    });
    const reports1 = await js.runtime.fireAndWait('api-1', 'AuthFailure', { Key: 'abcd1234' });
    const reports2 = await js.runtime.fireAndWait('api-2', 'AuthFailure', {});
    const system = await js.runtime.fireAndWait(undefined, 'TokenCreated', { Org: 'org-1', Key: 'k' });
    const deleted = await js.runtime.fireAndWait(undefined, 'TokenDeleted', { Org: 'org-1', Key: 'k' });
    for (const r of [...reports1, ...reports2, ...system, ...deleted]) expect(r).toMatchObject({ plugin: 'eh_dynamic_handler', status: 'ok' });
    expect(reports1).toHaveLength(3);
    expect(reports2).toHaveLength(2);
    expect(system).toHaveLength(1);
    const lines = jsLines(js.lines);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\[event_logger\] AuthFailure api=api-1 org=org-1 .*key=\*\*\*\*1234/),
        'one AuthFailure api-1 org-1',
        'auto AuthFailure api-1',
        'two AuthFailure api-2 org-2',
        'auto AuthFailure api-2',
        'auto TokenCreated ',
        'system TokenDeleted  ',
      ]),
    );
  });

  it('reports a failing handler with its code and location while the other handlers succeed', async () => {
    js = await startJsRuntime({
      apis: [classicApi('api-1', 'org-1', { QuotaExceeded: [jsHandler('bad', 'bad.js'), jsHandler('tagged', 'one.js')] })],
      handlers: {
        'bad.js': `var bad = new TykJS.TykEventHandlers.NewEventHandler({});\nbad.NewHandler(function () {\n  undefinedFunction();\n});\n`,
        'one.js': LOGGER('one'),
      },
    });
    const reports = await js.runtime.fireAndWait('api-1', 'QuotaExceeded', {});
    expect(reports.map((r) => r.status).sort()).toEqual(['failed', 'ok']);
    const failed = reports.find((r) => r.status === 'failed')!;
    expect(failed.code).toBe('FH_SANDBOX_SCRIPT_ERROR');
    expect(failed.detail).toMatch(/ReferenceError: undefinedFunction is not defined \(.*handlers\/bad\.js:3:3\)/);
  });

  it('refuses a reload whose handler file has a syntax error and keeps the previous handlers running', async () => {
    js = await startJsRuntime({ apis: [classicApi('api-1', 'org-1', { AuthFailure: [jsHandler('tagged', 'one.js')] })], handlers: { 'one.js': LOGGER('v1') } });
    await js.writeHandler('one.js', 'var tagged = new TykJS.TykEventHandlers.NewEventHandler({});\ntagged.NewHandler(function (event) {\n  log("v2"\n});\n');
    const result = await js.runtime.reload();
    expect(result.ok).toBe(false);
    expect(result.problems.map((p) => p.message).join('\n')).toMatch(/handlers\/one\.js:3:7: .*\[FH_SANDBOX_LOAD_FAILED\]/);
    await js.runtime.fireAndWait('api-1', 'AuthFailure', {});
    expect(jsLines(js.lines)).toEqual(['v1 AuthFailure api-1 org-1']);
  });
});
