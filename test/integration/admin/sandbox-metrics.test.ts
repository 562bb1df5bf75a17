import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.ts';
import { startHarness, workspace, type AdminHarness, type Workspace } from './helpers.ts';

let ws: Workspace;
let h: AdminHarness;

beforeAll(async () => {
  ws = await workspace({ memory: true, gateway: { enable_jsvm: true, jsvm_timeout: 0.3, event_handlers_path: 'handlers' } });
  await writeFile(join(ws.dir, 'spin.js'), 'var spin = new TykJS.TykEventHandlers.NewEventHandler({});\nspin.NewHandler(function () { for (;;) {} });\n');
  await ws.writeApi('js.json', {
    api_id: 'js',
    org_id: 'acme',
    event_handlers: {
      events: {
        AuthFailure: [{ handler_name: 'eh_dynamic_handler', handler_meta: { name: 'eventLogger', path: join(ROOT, 'event_handlers/event_logger.js') } }],
        KeyExpired: [{ handler_name: 'eh_dynamic_handler', handler_meta: { name: 'spin', path: join(ws.dir, 'spin.js') } }],
      },
    },
  });
  h = await startHarness(ws.config);
}, 30_000);
afterAll(async () => {
  await h?.close();
  await ws?.cleanup();
});

describe('metrics of JS handlers', () => {
  it('counts sandbox invocations, handler outcomes and jsvm_timeout stops', async () => {
    const [ok] = await h.runtime.fireAndWait('js', 'AuthFailure', { Message: 'm', Path: '/p', Origin: '1.2.3.4', Key: 'k-1234' });
    expect(ok?.status).toBe('ok');
    const [stopped] = await h.runtime.fireAndWait('js', 'KeyExpired', { Message: 'm', Path: '/p', Origin: '1.2.3.4', Key: 'k-1234' });
    expect(stopped?.code).toBe('FH_SANDBOX_TIMEOUT');
    const body = await (await fetch(`${h.url}/metrics`)).text();
    expect(body).toMatch(/firehook_sandbox_total\{kind="invocations"\} [2-9]/);
    expect(body).toMatch(/firehook_sandbox_total\{kind="generations"\} [1-9]/);
    expect(body).toContain('firehook_handler_outcomes_total{plugin="eh_dynamic_handler",api_id="js",event="AuthFailure",status="ok"} 1');
    expect(body).toContain('firehook_handler_outcomes_total{plugin="eh_dynamic_handler",api_id="js",event="KeyExpired",status="failed"} 1');
    expect(body).toContain('firehook_sandbox_timeouts_total 1');
  });
});
