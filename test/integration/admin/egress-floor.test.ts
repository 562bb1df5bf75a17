/**
 * The gateway's `deny_private_networks: true` is a floor: the admin API and seed files refuse a
 * global webhook that asks to lower it, an API definition's request is ignored with a warning, and
 * test-fire answers a refused target with the refusal without contacting it (a receiver on
 * 127.0.0.1 sees no request). Cloud-metadata addresses are refused even on a permissive gateway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../core/errors/firehook-error.ts';
import { createRuntime } from '../../../core/runtime.ts';
import { captureLogger } from '../../helpers/capture-logger.ts';
import { runCli } from '../../helpers/cli.ts';
import { eventually } from '../../helpers/poll.ts';
import { startSink, type Sink } from '../delivery/helpers.ts';
import { oasApi, startHarness, workspace, type AdminHarness, type Workspace } from './helpers.ts';

const SECRET_BODY = JSON.stringify({
  Code: 'Success',
  AccessKeyId: 'ASIAABCDEFGHIJKLMNOP',
  SecretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  Token: 'IQoJb3JpZ2luX2VjEHQaCXVzLWVhc3QtMSJHMEUCIQ',
  note: 'x'.repeat(5000),
});

let sink: Sink;
beforeAll(async () => {
  sink = await startSink((r) =>
    r.url.startsWith('/creds')
      ? { status: 200, body: `Set-Cookie: sid=abcdef123456\nAuthorization: Bearer abcdefghijklmnop\n${SECRET_BODY}` }
      : { status: 200, body: 'ok' },
  );
});
afterAll(async () => {
  await sink.close();
});

const made: Workspace[] = [];
afterAll(async () => {
  for (const w of made) await w.cleanup();
});

describe('a gateway that denies private networks', () => {
  let ws: Workspace;
  let h: AdminHarness;
  beforeAll(async () => {
    ws = await workspace({
      memory: true,
      gateway: { webhooks: { deny_private_networks: true, allow_networks: ['10.9.0.0/16', 'hooks.internal'] } },
      apis: {
        'classic.json': {
          api_id: 'classic',
          org_id: 'acme',
          event_handlers: {
            events: {
              AuthFailure: [
                { handler_name: 'eh_web_hook_handler', handler_meta: { target_path: `${sink.url}/classic`, method: 'POST', deny_private_networks: false } },
              ],
            },
          },
        },
      },
    });
    made.push(ws);
    h = await startHarness(ws.config);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses (400) a global webhook with deny_private_networks: false, naming the field', async () => {
    const res = await h.call('POST', '/v1/admin/webhooks', { id: 'loose', url: `${sink.url}/loose`, method: 'POST', deny_private_networks: false });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('FH_GLOBAL_WEBHOOK_INVALID');
    expect(res.json.error.problems).toHaveLength(1);
    expect(res.json.error.problems[0]).toMatch(/^\/deny_private_networks: cannot be false: the gateway config denies private networks .*\[FH_EGRESS_FLOOR\]$/);
    expect((await h.call('GET', '/v1/admin/webhooks/loose')).status).toBe(404);
  });

  it('refuses (400) allow_networks entries outside the gateway list, on create and on edit', async () => {
    const res = await h.call('PUT', '/v1/admin/webhooks/wide', { url: `${sink.url}/wide`, allow_networks: ['10.9.1.0/24', '127.0.0.0/8', 'other.internal'] });
    expect(res.status).toBe(400);
    expect((res.json.error.problems as string[]).map((p) => p.split(':')[0])).toEqual(['/allow_networks/1', '/allow_networks/2']);
    const ok = await h.call('PUT', '/v1/admin/webhooks/wide', {
      url: `${sink.url}/wide`,
      deny_private_networks: true,
      allow_networks: ['10.9.1.0/24', 'hooks.internal'],
    });
    expect(ok.status).toBe(201);
    const edit = await h.call('PUT', '/v1/admin/webhooks/wide', { url: `${sink.url}/wide`, deny_private_networks: false }, { 'if-match': '"1"' });
    expect(edit.status).toBe(400);
    expect(edit.json.error.problems[0]).toMatch(/^\/deny_private_networks: /);
    expect((await h.call('GET', '/v1/admin/webhooks/wide')).json.revision).toBe(1);
  });

  it('test-fire of a webhook on 127.0.0.1 answers the policy refusal (403) and the receiver sees no request', async () => {
    expect((await h.call('POST', '/v1/admin/webhooks', { id: 'internal', url: `${sink.url}/internal`, method: 'POST', retry_schedule: [] })).status).toBe(201);
    const before = sink.received.length;
    const res = await h.call('POST', '/v1/admin/webhooks/internal/test', { type: 'AuthFailure' });
    expect(res.status).toBe(403);
    expect(res.json.error.code).toBe('FH_EGRESS_DENIED');
    expect(res.json.error.message).toContain('127.0.0.1');
    expect(res.json.error.message).toContain('loopback');
    expect(JSON.stringify(res.json)).not.toContain('"ok"');
    // nothing was queued for it: no attempt was made, so no later one can reach the receiver
    expect((await h.call('GET', '/v1/admin/webhooks/internal/attempts')).json.attempts).toEqual([]);
    expect(sink.received.slice(before)).toEqual([]);
    expect(h.lines.some((l) => l.msg === 'admin: webhook.test' && l.refused === 'loopback')).toBe(true);
  });

  it('keeps an API definition handler denied: deny_private_networks: false is ignored with a warning at its pointer', async () => {
    const warning = h.lines.find((l) => typeof l.msg === 'string' && l.msg.includes('FH_EGRESS_FLOOR'));
    expect(warning?.pointer).toBe('/event_handlers/events/AuthFailure/0/handler_meta/deny_private_networks');
    const before = sink.received.length;
    h.runtime.fire('classic', 'AuthFailure', { Message: 'x', Path: '/p', Origin: '10.0.0.1', Key: 'k' });
    await eventually(
      async () => ((await h.call('GET', '/v1/admin/deliveries/dead-letters')).json.dead_letters as { reason: string }[]).some((d) => d.reason === 'denied'),
      'the delivery refused by the egress policy',
    );
    expect(sink.received.slice(before)).toEqual([]);
  });
});

describe('a gateway that allows private networks (the default)', () => {
  let ws: Workspace;
  let h: AdminHarness;
  beforeAll(async () => {
    ws = await workspace({ memory: true });
    made.push(ws);
    h = await startHarness(ws.config);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('test-fire shows the status and a bounded body with credentials redacted', async () => {
    expect((await h.call('POST', '/v1/admin/webhooks', { id: 'creds', url: `${sink.url}/creds`, method: 'POST', retry_schedule: [] })).status).toBe(201);
    const res = await h.call('POST', '/v1/admin/webhooks/creds/test', {});
    expect(res.status).toBe(200);
    expect(res.json.response.status).toBe(200);
    const body: string = res.json.response.body;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(2048);
    expect(res.json.response.truncated).toBe(true);
    expect(body).toContain('"Code":"Success"');
    expect(body).toContain('Set-Cookie: [redacted]');
    expect(body).toContain('Authorization: [redacted]');
    for (const secret of ['sid=abcdef123456', 'abcdefghijklmnop', 'ASIAABCDEFGHIJKLMNOP', 'wJalrXUtnFEMI', 'IQoJb3JpZ2lu'])
      expect(JSON.stringify(res.json)).not.toContain(secret);
  });

  it('still refuses cloud-metadata addresses (IPv4 and IPv6) without sending anything', async () => {
    for (const [id, url] of [
      ['imds', 'http://169.254.169.254/latest/meta-data/'],
      ['imds6', 'http://[fd00:ec2::254]/latest/meta-data/'],
    ] as const) {
      expect((await h.call('POST', '/v1/admin/webhooks', { id, url })).status).toBe(201);
      const res = await h.call('POST', `/v1/admin/webhooks/${id}/test`, {});
      expect(res.status).toBe(403);
      expect(res.json.error).toMatchObject({ code: 'FH_EGRESS_DENIED' });
      expect(res.json.error.message).toContain('cloud-metadata');
      expect((await h.call('GET', `/v1/admin/webhooks/${id}/attempts`)).json.attempts).toEqual([]);
    }
  });

  it('accepts deny_private_networks: false on a global webhook (nothing to lower)', async () => {
    expect((await h.call('POST', '/v1/admin/webhooks', { id: 'free', url: `${sink.url}/free`, deny_private_networks: false })).status).toBe(201);
  });
});

describe('seed files under a denying gateway', () => {
  const seeds = [
    { id: 'fine', url: 'http://127.0.0.1:9/fine' },
    { id: 'loose', url: 'http://127.0.0.1:9/loose', deny_private_networks: false, allow_networks: ['192.168.0.0/16'] },
  ];

  it('refuse to start, naming each problem by file and pointer, and seed nothing', async () => {
    const ws = await workspace({ memory: true, seeds, gateway: { webhooks: { deny_private_networks: true } } });
    made.push(ws);
    const error = await createRuntime({ configFile: ws.config, logger: captureLogger('error').logger }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => `${p.file}#${p.pointer}`);
    expect(problems).toEqual([
      `${ws.dir}/global-webhooks.json#/webhooks/1/deny_private_networks`,
      `${ws.dir}/global-webhooks.json#/webhooks/1/allow_networks/0`,
    ]);
  });

  it('are reported by firehook validate at file#pointer', async () => {
    const ws = await workspace({
      memory: true,
      seeds,
      gateway: { webhooks: { deny_private_networks: true } },
      apis: { 'oas.json': oasApi('oas', [{ enabled: true, trigger: 'AuthFailure', type: 'webhook', id: 'fine' }]) },
    });
    made.push(ws);
    const { code, stdout } = await runCli(['validate', '--config', ws.config]);
    expect(code).not.toBe(0);
    expect(stdout).toContain(`${ws.dir}/global-webhooks.json#/webhooks/1/deny_private_networks: cannot be false`);
  });

  it('are accepted as they are when the gateway allows private networks', async () => {
    const ws = await workspace({ memory: true, seeds });
    made.push(ws);
    const runtime = await createRuntime({ configFile: ws.config, logger: captureLogger('error').logger });
    try {
      expect((await runtime.globalWebhooks.list()).map((w) => w.id)).toEqual(['fine', 'loose']);
    } finally {
      await runtime.close(1_000);
    }
  });
});
