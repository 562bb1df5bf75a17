import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../../helpers/cli.ts';

const broken = join(ROOT, 'test/fixtures/broken');
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('firehook validate', () => {
  it('exits 0 on the bundled examples', async () => {
    const { code, stderr } = await runCli(['validate']);
    expect(stderr).toContain('valid');
    expect(code).toBe(0);
  });

  it('prints one file#pointer line per problem for a broken set and exits 1', async () => {
    const { code, stdout } = await runCli([
      'validate',
      join(broken, 'no-api-id.json'),
      join(broken, 'bad-handlers.json'),
      join(broken, 'bad-yaml.yaml'),
      join(broken, 'oas-bad.json'),
    ]);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `${join(broken, 'no-api-id.json')}#: missing required key "api_id"`,
        `${join(broken, 'no-api-id.json')}#/event_handlers/events/AuthFailure: must be array (got "not-a-list")`,
        `${join(broken, 'bad-handlers.json')}#/event_handlers/events/AuthFailure/0/handler_meta/prefix: must be string (got 42)`,
        expect.stringMatching(/bad-handlers\.json#\/event_handlers\/events\/AuthFailure\/1\/handler_name: unknown handler "eh_no_such_handler"/),
        expect.stringMatching(/bad-handlers\.json#\/event_handlers\/events\/AuthFailure\/2\/handler_name: cp_dynamic_handler: .*FH_HANDLER_UNSUPPORTED/),
        `${join(broken, 'bad-handlers.json')}#/event_handlers/events/AuthFailure/3/handler_meta/disabled: must be boolean (got "true")`,
        expect.stringMatching(/bad-yaml\.yaml#: invalid YAML: line \d+, column \d+/),
        `${join(broken, 'oas-bad.json')}#/x-tyk-api-gateway/info: missing required key "id"`,
        `${join(broken, 'oas-bad.json')}#/x-tyk-api-gateway/server/eventHandlers/0: missing required key "trigger"`,
      ]),
    );
    expect(lines).toHaveLength(9);
  });

  it('warns, without failing, about webhook targets on private addresses while deny_private_networks is off', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fh-validate-'));
    dirs.push(dir);
    const hook = (target: string, extra: object = {}) => ({
      handler_name: 'eh_web_hook_handler',
      handler_meta: { method: 'POST', target_path: target, ...extra },
    });
    await writeFile(
      join(dir, 'api.json'),
      JSON.stringify({
        api_id: 'p',
        event_handlers: {
          events: {
            AuthFailure: [
              hook('http://127.0.0.1:9/h'),
              hook('http://10.1.2.3/h'),
              hook('https://hooks.example.com/h'),
              hook('http://127.0.0.1:9/h', { deny_private_networks: true }),
            ],
          },
        },
      }),
    );
    const { code, stdout } = await runCli(['validate', join(dir, 'api.json')]);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual([
      `${join(dir, 'api.json')}#/event_handlers/events/AuthFailure/0/handler_meta/target_path: warning: the target is a loopback address; set deny_private_networks: true to refuse private targets (off by default, as in Tyk)`,
      `${join(dir, 'api.json')}#/event_handlers/events/AuthFailure/1/handler_meta/target_path: warning: the target is a private address; set deny_private_networks: true to refuse private targets (off by default, as in Tyk)`,
    ]);
  });

  it('validates the gateway config given with --config', async () => {
    const { code, stdout } = await runCli(['validate', '--config', join(broken, 'gateway-bad.json')]);
    expect(code).toBe(1);
    expect(stdout).toContain(`${join(broken, 'gateway-bad.json')}#/storage/port: must be integer (got "6379")`);
  });
});

describe('firehook fire', () => {
  it('fires one event and prints what each handler did', async () => {
    const { code, stdout } = await runCli(['fire', '--api', 'petstore', '--event', 'AuthFailure', '--meta', '{"Key":"abc12345","Path":"/p"}']);
    expect(stdout.trim()).toBe('petstore:AuthFailure:0 (eh_log_handler): ok');
    expect(code).toBe(0);
  });

  it('says so when no handler matches', async () => {
    const { code, stdout } = await runCli(['fire', '--api', 'petstore', '--event', 'HostUp']);
    expect(stdout).toContain('no handler is registered for HostUp on API petstore');
    expect(code).toBe(0);
  });

  it('rejects --meta that is not a JSON object', async () => {
    const { code, stderr } = await runCli(['fire', '--event', 'AuthFailure', '--meta', '[1]']);
    expect(code).toBe(2);
    expect(stderr).toContain('--meta must be a JSON object');
  });

  it('fires a system event to the gateway-level handlers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fh-fire-'));
    dirs.push(dir);
    await writeFile(
      join(dir, 'tyk.conf'),
      JSON.stringify({ app_path: 'apps', event_handlers: { events: { AuthFailure: [{ handler_name: 'eh_log_handler', handler_meta: { prefix: 'sys' } }] } } }),
    );
    const ok = await runCli(['fire', '--config', join(dir, 'tyk.conf'), '--event', 'AuthFailure']);
    expect(ok.stdout.trim()).toBe('system:AuthFailure:0 (eh_log_handler): ok');
  });
});
