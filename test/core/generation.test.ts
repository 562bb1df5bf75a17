import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadApiDefinitions } from '../../core/config/load-api-definitions.ts';
import { loadGatewayConfig } from '../../core/config/load-gateway-config.ts';
import { Dispatcher } from '../../core/dispatch/dispatcher.ts';
import { formatProblem } from '../../core/errors/firehook-error.ts';
import { buildGeneration, disposeGeneration } from '../../core/generation.ts';
import { definePlugin, PLUGIN_CONTRACT_VERSION, type PluginExport } from '../../core/plugin.ts';
import { createLogPlugin } from '../../plugins/log/log-plugin.ts';
import { captureLogger } from '../helpers/capture-logger.ts';
import { unitServices } from '../helpers/fake-services.ts';
import { eventually } from '../helpers/poll.ts';

const fixtures = join(import.meta.dirname, '../fixtures');

async function build(files: string[], plugins: PluginExport[] = [createLogPlugin]) {
  const { config } = await loadGatewayConfig(undefined);
  const { apis } = await loadApiDefinitions(files);
  const { logger, lines } = captureLogger();
  const result = await buildGeneration({ number: 1, gateway: config!, apis, plugins, services: unitServices(logger) });
  return { ...result, lines, logger };
}

describe('buildGeneration', () => {
  it('builds handlers for Classic, OAS and Operator definitions and skips disabled ones', async () => {
    const { generation, problems } = await build([join(fixtures, 'apis/classic.json'), join(fixtures, 'apis/oas.json'), join(fixtures, 'apis/operator.yaml')]);
    expect(problems).toEqual([]);
    expect(generation!.slots.map((s) => `${s.info.apiId}:${s.info.event}:${s.info.handler}`)).toEqual([
      'classic-api:AuthFailure:classic-api:AuthFailure:0',
      'classic-api:KeyExpired:classic-api:KeyExpired:0',
      'oas-api:RatelimitExceeded:rl-log',
      `${Buffer.from('gateways/webhook-handler').toString('base64url')}:AuthFailure:${Buffer.from('gateways/webhook-handler').toString('base64url')}:AuthFailure:0`,
    ]);
  });

  it('disables only the bad handlers of an API, each reported at its pointer with a code', async () => {
    const { generation, problems } = await build([join(fixtures, 'broken/bad-handlers.json')]);
    const lines = problems.map(formatProblem).map((l) => l.slice(l.indexOf('#')));
    expect(lines).toEqual([
      '#/event_handlers/events/AuthFailure/0/handler_meta/prefix: must be string (got 42)',
      expect.stringMatching(
        /^#\/event_handlers\/events\/AuthFailure\/1\/handler_name: unknown handler "eh_no_such_handler"; known handlers: eh_log_handler, log \[FH_PLUGIN_NOT_FOUND\]$/,
      ),
      expect.stringMatching(/^#\/event_handlers\/events\/AuthFailure\/2\/handler_name: cp_dynamic_handler: .*\[FH_HANDLER_UNSUPPORTED\]$/),
      '#/event_handlers/events/AuthFailure/3/handler_meta/disabled: must be boolean (got "true")',
    ]);
    expect(generation!.slots).toHaveLength(1);
    expect(generation!.routes.lookup('bad-handlers', 'AuthFailure')).toHaveLength(1);
  });

  it('warns about misspelt event names without rejecting custom ones', async () => {
    const { config } = await loadGatewayConfig(undefined);
    const { logger } = captureLogger();
    const api = {
      apiId: 'a',
      orgId: '',
      name: 'a',
      format: 'classic' as const,
      file: 'a.json',
      raw: {},
      handlers: [
        {
          event: 'RateLimitExceeded',
          handlerName: 'eh_log_handler',
          meta: {},
          format: 'classic' as const,
          file: 'a.json',
          pointer: '/event_handlers/events/RateLimitExceeded/0',
          metaPointer: '/x',
        },
        {
          event: 'MyCustomEvent',
          handlerName: 'eh_log_handler',
          meta: {},
          format: 'classic' as const,
          file: 'a.json',
          pointer: '/event_handlers/events/MyCustomEvent/0',
          metaPointer: '/y',
        },
      ],
    };
    const { problems, generation } = await buildGeneration({
      number: 1,
      gateway: config!,
      apis: [api],
      plugins: [createLogPlugin],
      services: unitServices(logger),
    });
    expect(problems.map((p) => [p.severity, p.message])).toEqual([
      ['warning', 'event "RateLimitExceeded" is not a built-in Tyk event; did you mean "RatelimitExceeded"?'],
      ['warning', 'event "MyCustomEvent" is not a built-in Tyk event (custom event names are allowed)'],
    ]);
    expect(generation!.slots).toHaveLength(2);
  });

  it('builds no generation when a plugin setup exceeds the timeout (FH_PLUGIN_SETUP_TIMEOUT)', async () => {
    const slow = definePlugin({
      name: 'eh_slow',
      contractVersion: PLUGIN_CONTRACT_VERSION,
      optionsSchema: { type: 'object' },
      create: () => new Promise(() => {}),
    });
    const { config } = await loadGatewayConfig(undefined);
    const gateway = { ...config!, dispatch: { ...config!.dispatch, setup_timeout_ms: 50 } };
    const { logger } = captureLogger();
    const api = {
      apiId: 'a',
      orgId: '',
      name: 'a',
      format: 'classic' as const,
      file: 'a.json',
      raw: {},
      handlers: [
        { event: 'AuthFailure', handlerName: 'eh_slow', meta: {}, format: 'classic' as const, file: 'a.json', pointer: '/p', metaPointer: '/p/handler_meta' },
      ],
    };
    const { problems, generation } = await buildGeneration({
      number: 1,
      gateway,
      apis: [api],
      plugins: [slow as PluginExport],
      services: unitServices(logger),
    });
    expect(problems[0]).toMatchObject({ code: 'FH_PLUGIN_SETUP_TIMEOUT', pointer: '/p/handler_meta' });
    expect(generation).toBeUndefined();
  });

  it('refuses plugins that break the contract or claim the same name', async () => {
    const bad = { name: 'eh_bad', contractVersion: 99, optionsSchema: {}, create: () => ({ handle() {} }) };
    const { generation, problems } = await build([], [createLogPlugin, bad as unknown as PluginExport]);
    expect(generation).toBeUndefined();
    expect(problems[0]!.message).toMatch(/contractVersion must be 1.*FH_PLUGIN_INVALID/);
    const twice = await build([], [createLogPlugin, createLogPlugin]);
    expect(twice.problems[0]!.message).toMatch(/FH_PLUGIN_DUPLICATE/);
  });
});

describe('Dispatcher with the log handler', () => {
  it('logs <prefix>:<Type> at warn with structured fields and an obfuscated key', async () => {
    const { generation, lines, logger } = await build([join(fixtures, 'apis/classic.json')]);
    const dispatcher = new Dispatcher(logger);
    dispatcher.use(generation!);
    const reports = await dispatcher.fireAndWait('classic-api', 'AuthFailure', {
      Message: 'Auth failure',
      Path: '/classic/x',
      Origin: '10.0.0.1',
      Key: 'secret-key-1234',
    });
    expect(reports).toEqual([{ handler: 'classic-api:AuthFailure:0', plugin: 'eh_log_handler', status: 'ok' }]);
    const line = await eventually(() => lines.find((l) => l.msg === 'AuthFailureEvent:AuthFailure'));
    expect(line).toMatchObject({
      level: 40,
      event: 'AuthFailure',
      api_id: 'classic-api',
      org_id: 'org-1',
      path: '/classic/x',
      origin: '10.0.0.1',
      key: '****1234',
      plugin: 'eh_log_handler',
    });
    expect(JSON.stringify(lines)).not.toContain('secret-key-1234');
  });

  it('counts unmatched events and queues nothing for them', async () => {
    const { generation, logger } = await build([join(fixtures, 'apis/classic.json')]);
    const dispatcher = new Dispatcher(logger);
    dispatcher.use(generation!);
    expect(dispatcher.fire('classic-api', 'HostDown', {})).toBe(0);
    expect(dispatcher.fire('other-api', 'AuthFailure', {})).toBe(0);
    expect(dispatcher.counters).toMatchObject({ fired: 2, unmatched: 2, matched: 0 });
  });

  it('drains queued events before disposing a generation', async () => {
    const { generation, lines, logger } = await build([join(fixtures, 'apis/classic.json')]);
    const dispatcher = new Dispatcher(logger);
    dispatcher.use(generation!);
    for (let i = 0; i < 100; i++) dispatcher.fire('classic-api', 'KeyExpired', { Key: `k${i}` });
    const { unfinished } = await disposeGeneration(generation!, 5_000);
    expect(unfinished).toBe(0);
    expect(lines.filter((l) => l.msg === 'KeyExpiredEvent:KeyExpired')).toHaveLength(100);
  });
});
