import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors/firehook-error.ts';
import type { Handler } from '../../../core/plugin.ts';
import { createDynamicPlugin, ScriptError, SHARED_SANDBOX_KEY } from '../../../plugins/dynamic/index.ts';
import type { SharedSandbox } from '../../../plugins/dynamic/shared-sandbox.ts';
import { storageKey } from '../../../sandbox/index.ts';
import { jsLogs, message, pluginWorld, type PluginWorld } from './helpers.ts';

const HANDLER = `var h = new TykJS.TykEventHandlers.NewEventHandler({});\nh.NewHandler(function (event, context) { log(event.EventType + ' ' + context.APIID + ' ' + context.OrgID); if (event.Meta.fail) throw new Error('failed on purpose'); });\n`;

let world: PluginWorld | undefined;

afterEach(async () => {
  await world?.close();
  world = undefined;
});

async function problemOf(promise: unknown): Promise<{ code: string; pointer?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConfigError) return { code: error.code, pointer: error.problems[0]!.pointer, message: error.problems[0]!.message };
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a failure');
}

describe('eh_dynamic_handler', () => {
  it('maps Classic keys case-insensitively and OAS functionName to name', () => {
    const plugin = createDynamicPlugin();
    expect(plugin.name).toBe('eh_dynamic_handler');
    expect(plugin.aliases).toEqual(['custom']);
    expect(plugin.normalize!({ Name: 'sessionHandler', PATH: 'x.js', Disabled: false }, { file: 'a', pointer: '', format: 'classic' }, {} as never)).toEqual({
      name: 'sessionHandler',
      path: 'x.js',
      disabled: false,
    });
    expect(
      plugin.normalize!(
        { functionName: 'fn', path: 'y.js', name: 'My handler', id: 'h1', enabled: true, trigger: 'AuthFailure', type: 'custom' },
        { file: 'a', pointer: '', format: 'oas' },
        {} as never,
      ),
    ).toEqual({ name: 'fn', path: 'y.js', id: 'h1' });
  });

  it('runs a handler file found in event_handlers_path and reports script errors with file:line:col', async () => {
    world = await pluginWorld();
    const path = await world.write('my_handler.js', HANDLER);
    const plugin = createDynamicPlugin();
    const handler = await plugin.create({ name: 'h', path: 'my_handler.js' }, world.context());
    expect(await handler.handle(message('AuthFailure'))).toEqual({ status: 'ok' });
    expect(jsLogs(world)).toEqual(['AuthFailure api-a org-a']);
    const line = world.lines.find((l) => l.type === 'log-msg')!;
    expect(line).toMatchObject({ prefix: 'jsvm', api_id: 'api-a', handler: 'api-a:AuthFailure:0', file: path, event: 'AuthFailure', level: 30 });
    const error = await problemOf(Promise.resolve(handler.handle(message('AuthFailure', { fail: true }))));
    expect(error.code).toBe('FH_SANDBOX_SCRIPT_ERROR');
    const column = HANDLER.split('\n')[1]!.indexOf('new Error') + 1;
    expect(error.message).toBe(`Error: failed on purpose (${path}:2:${column})`);
    await plugin.dispose!();
  });

  it('reports configuration problems with their JSON pointers', async () => {
    world = await pluginWorld();
    await world.write('broken.js', 'var h = ;');
    await world.write('other.js', 'var notAHandler = 1;');
    const plugin = createDynamicPlugin();
    const base = '/event_handlers/events/AuthFailure/0/handler_meta';
    expect(await problemOf(plugin.create({ name: 'h' }, world.context()))).toMatchObject({ code: 'FH_CONFIG_INVALID', pointer: `${base}/path` });
    expect(await problemOf(plugin.create({ path: 'x.js' }, world.context()))).toMatchObject({ pointer: `${base}/name` });
    expect(await problemOf(plugin.create({ path: 'x.js' }, world.context({ format: 'oas' })))).toMatchObject({
      pointer: '/x-tyk-api-gateway/server/eventHandlers/0/functionName',
    });
    expect(await problemOf(plugin.create({ name: 'h', path: 'handler.json' }, world.context()))).toMatchObject({
      pointer: `${base}/path`,
      message: expect.stringContaining('only .js files'),
    });
    expect(await problemOf(plugin.create({ name: 'h', path: 'missing.js' }, world.context()))).toMatchObject({
      pointer: `${base}/path`,
      message: expect.stringMatching(/handler file "missing.js" not found \(looked at .*handlers\/missing.js/),
    });
    const syntax = await problemOf(plugin.create({ name: 'h', path: 'broken.js' }, world.context()));
    expect(syntax.code).toBe('FH_SANDBOX_LOAD_FAILED');
    expect(syntax.message).toMatch(/handlers\/broken\.js:1:9: /);
    expect(await problemOf(plugin.create({ name: 'sessionHandler', path: 'other.js' }, world.context()))).toMatchObject({
      pointer: `${base}/name`,
      message: expect.stringContaining('defines no global "sessionHandler"'),
    });
    await plugin.dispose!();
  });

  it('refuses to build when enable_jsvm is false', async () => {
    world = await pluginWorld({ enable_jsvm: false });
    await world.write('a.js', HANDLER);
    expect(await problemOf(createDynamicPlugin().create({ name: 'h', path: 'a.js' }, world.context()))).toMatchObject({
      message: expect.stringContaining('enable_jsvm'),
    });
  });

  it('discovers self-registering files and skips files that cannot register', async () => {
    world = await pluginWorld();
    const reg = await world.write(
      'auto.js',
      `var onAuth = new TykJS.TykEventHandlers.NewEventHandler({ "events": ["AuthFailure"], "apis": ["*"] });\nonAuth.NewHandler(function (event, context) { log('auto ' + event.Type + ' ' + context.APIID); });\nvar narrow = new TykJS.TykEventHandlers.NewEventHandler({ events: ['KeyExpired'], apis: ['api-b'] });\nnarrow.NewHandler(function () {});`,
    );
    await world.write('plain.js', HANDLER);
    await world.write('notes.txt', 'events: []');
    const plugin = createDynamicPlugin();
    const found = await plugin.discover!(world.discoverContext());
    expect(found).toEqual([
      { events: ['AuthFailure'], apis: '*', meta: { name: 'onAuth', path: reg }, file: reg },
      { events: ['AuthFailure'], apis: '*', system: true, meta: { name: 'onAuth', path: reg }, file: reg },
      { events: ['KeyExpired'], apis: ['api-b'], meta: { name: 'narrow', path: reg }, file: reg },
    ]);
    const handler = await plugin.create(found[0]!.meta as { name: string; path: string }, world.context({ api: null, format: 'gateway' }));
    await handler.handle(message('AuthFailure', {}, { apiId: 'api-z', orgId: 'org-z' }));
    expect(jsLogs(world)).toEqual(['auto AuthFailure api-z']);
    const sandbox = world.shared.getOrCreate<SharedSandbox>(SHARED_SANDBOX_KEY, () => undefined as never).sandbox;
    expect(sandbox.stats().generations).toBe(1);
    await plugin.dispose!();
    expect(sandbox.stats().generations).toBe(0);
  });

  it('fails discovery when a self-registering file does not load', async () => {
    world = await pluginWorld();
    await world.write('bad.js', `var x = new TykJS.TykEventHandlers.NewEventHandler({ events: ['AuthFailure'] });\nx.NewHandler(function ( {});`);
    const plugin = createDynamicPlugin();
    const error = await problemOf(plugin.discover!(world.discoverContext()));
    expect(error.code).toBe('FH_SANDBOX_LOAD_FAILED');
    expect(error.message).toMatch(/handlers\/bad\.js:2:\d+: /);
    await plugin.dispose!();
  });

  it('never starts the sandbox when no file registers itself and no handler is configured', async () => {
    world = await pluginWorld();
    await world.write('plain.js', HANDLER);
    const plugin = createDynamicPlugin();
    expect(await plugin.discover!(world.discoverContext())).toEqual([]);
    let created = false;
    world.shared.getOrCreate(SHARED_SANDBOX_KEY, () => ((created = true), undefined as never));
    expect(created).toBe(true);
  });
});

describe('sample handlers', () => {
  let server: Server | undefined;

  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  });

  /** Build a handler from the sample file in the repository (`event_handlers/<name>`, resolved against the working directory). */
  async function sample(name: string, functionName: string): Promise<Handler> {
    world ??= await pluginWorld();
    return createDynamicPlugin().create({ name: functionName, path: `event_handlers/${name}` }, world.context());
  }

  it('event_logger.js logs the event with an obfuscated key', async () => {
    const handler = await sample('event_logger.js', 'eventLogger');
    await handler.handle(message('AuthFailure', { Path: '/p', Origin: '10.0.0.1', Key: 'secret-key-1234' }));
    const [line] = jsLogs(world!);
    expect(line).toMatch(/^\[event_logger\] AuthFailure api=api-a org=org-a path=\/p origin=10\.0\.0\.1 key=\*\*\*\*1234 at=\d{4}-/);
    expect(line).not.toContain('secret-key');
  });

  it('session_editor.js extends an expired key of its own organisation and leaves others alone', async () => {
    const handler = await sample('session_editor.js', 'sessionEditor');
    await world!.sessions.write('own-key', { org_id: 'org-a', quota_max: 10, quota_remaining: 2, expires: 1 });
    await world!.sessions.write('their-key', { org_id: 'org-b', expires: 1 });
    await handler.handle(message('KeyExpired', { Key: 'own-key' }));
    await handler.handle(message('KeyExpired', { Key: 'their-key' }));
    const own = await world!.sessions.get('own-key');
    expect(own!.expires).toBeGreaterThan(Date.now() / 1000 + 3000);
    expect(own).toMatchObject({ quota_remaining: 2, meta_data: { last_event: 'KeyExpired' } });
    expect(await world!.sessions.get('their-key')).toEqual({ org_id: 'org-b', expires: 1 });
    expect(jsLogs(world!)).toEqual(['[session_editor] updated the session after KeyExpired', '[session_editor] no session for this key: Key not found']);
  });

  it('http_notifier.js posts a notice to the URL kept in handler storage', async () => {
    const bodies: string[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(`${req.method} ${req.url} ${body}`);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    world = await pluginWorld();
    await world.store.set(storageKey('notify_url', { kind: 'org', orgId: 'org-a' }), `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const handler = await sample('http_notifier.js', 'httpNotifier');
    await handler.handle(message('HostDown', { Message: 'host is down' }));
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatch(/^POST \/tyk-events \{"event":"HostDown","api_id":"api-a","org_id":"org-a","message":"host is down","at":"/);
    expect(jsLogs(world)).toEqual([expect.stringMatching(/^\[http_notifier\] HostDown -> http:\/\/127\.0\.0\.1:\d+ answered 204$/)]);
  });

  it('http_notifier.js is refused a private address that is not allow-listed', async () => {
    world = await pluginWorld({ webhooks: { allow_networks: [] } });
    await world.store.set(storageKey('notify_url', { kind: 'org', orgId: 'org-a' }), 'http://127.0.0.1:9');
    const handler = await sample('http_notifier.js', 'httpNotifier');
    await handler.handle(message('HostDown'));
    expect(jsLogs(world)).toEqual(['[http_notifier] the notice for HostDown could not be sent']);
    expect(world.lines.some((l) => /refused/.test(String(l.msg)))).toBe(true);
  });
});

describe('ScriptError', () => {
  it('keeps the sandbox code, file, line and column', async () => {
    const { SandboxError } = await import('../../../sandbox/index.ts');
    const error = new ScriptError(new SandboxError('FH_SANDBOX_TIMEOUT', 'slow', { file: '/a.js', line: 3, column: 4, handler: 'h' }));
    expect(error).toMatchObject({ code: 'FH_SANDBOX_TIMEOUT', file: '/a.js', line: 3, column: 4, handler: 'h', message: 'slow' });
  });
});
