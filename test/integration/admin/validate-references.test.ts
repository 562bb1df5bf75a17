import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.ts';
import { oasApi, workspace, type Workspace } from './helpers.ts';

const made: Workspace[] = [];
afterAll(async () => {
  for (const w of made) await w.cleanup();
});

async function withReferences(memory: boolean): Promise<Workspace> {
  const ws = await workspace({
    memory,
    seeds: [{ id: 'known', url: 'http://127.0.0.1:9/known', method: 'POST' }],
    apis: {
      'oas.json': oasApi('oas', [
        { enabled: true, trigger: 'AuthFailure', type: 'webhook', id: 'known', cooldownPeriod: '5s' },
        { enabled: true, trigger: 'KeyExpired', type: 'webhook', id: 'missing' },
      ]),
      'classic.json': {
        api_id: 'classic',
        event_handlers: {
          events: {
            AuthFailure: [
              { handler_name: 'eh_web_hook_handler', handler_meta: { id: 'also-missing' } },
              { handler_name: 'eh_web_hook_handler', handler_meta: { id: 'local-with-url', target_path: 'http://127.0.0.1:9/local' } },
            ],
          },
        },
      },
    },
  });
  made.push(ws);
  return ws;
}

describe('firehook validate with global webhook references', () => {
  it('resolves known ids and reports each unknown one at its id pointer', async () => {
    const ws = await withReferences(true);
    const { code, stdout } = await runCli(['validate', '--config', ws.config]);
    expect(code).toBe(1);
    const lines = stdout
      .trim()
      .split('\n')
      .filter((l) => !l.includes(': warning: '))
      .sort();
    expect(lines).toEqual([
      `${ws.dir}/apps/classic.json#/event_handlers/events/AuthFailure/0/handler_meta/id: unknown global webhook id "also-missing" [FH_GLOBAL_WEBHOOK_UNKNOWN]`,
      `${ws.dir}/apps/oas.json#/x-tyk-api-gateway/server/eventHandlers/1/id: unknown global webhook id "missing" [FH_GLOBAL_WEBHOOK_UNKNOWN]`,
    ]);
  });

  it('reports unknown ids as warnings when the registry lives in Redis, which validate does not read', async () => {
    const ws = await withReferences(false);
    const { code, stdout } = await runCli(['validate', '--config', ws.config]);
    expect(code).toBe(0);
    expect(stdout).toContain('oas.json#/x-tyk-api-gateway/server/eventHandlers/1/id: warning: unknown global webhook id "missing" in the seed files');
  });

  it('reports problems in the seed files with their pointers when the runtime starts', async () => {
    const ws = await workspace({
      memory: true,
      seeds: [
        { id: 'ok', url: 'http://127.0.0.1:9/x' },
        { id: 'ok', url: 'nope' },
      ],
    });
    made.push(ws);
    const { code, stderr } = await runCli(['fire', '--event', 'AuthFailure', '--config', ws.config]);
    expect(code).not.toBe(0);
    expect(stderr).toContain(`${ws.dir}/global-webhooks.json#/webhooks/1/url: must be an absolute http:// or https:// URL`);
  });
});
