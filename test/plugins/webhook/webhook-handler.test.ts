import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateChecksum,
  ConfigError,
  formatGoTime,
  webhookChecksum,
  type EventMessage,
  type EventMeta,
  type Handler,
  type HandlerSource,
} from '../../../core/index.ts';
import { createWebhookPlugin, normalizeWebhookOptions, type WebhookOptions } from '../../../plugins/webhook/index.ts';
import { gatewayConfig, handlerContext, type TestContext } from './webhook-context.ts';

const NOW = Date.UTC(2026, 0, 15, 17, 21, 15, 111);
const META = { Message: 'Key not authorised', OriginatingRequest: '', Path: '/get', Origin: '127.0.0.1', Key: 'abc123' };

function event(type: string, meta: EventMeta = META): EventMessage {
  return { Type: type, Meta: meta, TimeStamp: formatGoTime(NOW), apiId: 'api1', orgId: 'org1', time: NOW };
}

async function build(meta: Record<string, unknown>, ctx: TestContext, source?: HandlerSource): Promise<Handler> {
  const plugin = createWebhookPlugin();
  const options = plugin.normalize!(meta, source ?? ctx.source, ctx.gateway) as unknown as WebhookOptions;
  return plugin.create(options, ctx);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fh-hook-tpl-'));
  await writeFile(join(dir, 'custom.xml'), '<event type="{{.Type}}">{{.Meta.Message}}</event>');
  await writeFile(join(dir, 'custom.txt'), '{{.Type}}: {{.Meta.Message}}');
  await writeFile(join(dir, 'broken.json'), '{\n  "a": "{{ if .Type }}"\n}');
});

describe('eh_web_hook_handler', () => {
  it('is registered as eh_web_hook_handler with the OAS alias webhook', () => {
    const plugin = createWebhookPlugin();
    expect(plugin.name).toBe('eh_web_hook_handler');
    expect(plugin.aliases).toEqual(['webhook']);
  });

  it('renders the default template and submits a POST with JSON content type and Tyk headers', async () => {
    const ctx = handlerContext(await gatewayConfig());
    const handler = await build({ method: 'post', target_path: 'http://127.0.0.1:9999/hook', header_map: { 'x-tyk-secret': 's3cret' } }, ctx);
    expect(await handler.handle(event('AuthFailure'))).toMatchObject({ status: 'queued' });
    const [request] = ctx.recorder.requests;
    expect(request).toMatchObject({
      url: 'http://127.0.0.1:9999/hook',
      method: 'POST',
      origin: { apiId: 'api1', eventType: 'AuthFailure', handler: 'api1:AuthFailure:0', plugin: 'eh_web_hook_handler' },
    });
    expect(request!.headers).toEqual({ 'User-Agent': 'Tyk-Hookshot', 'X-Tyk-Secret': 's3cret', 'Content-Type': 'application/json' });
    expect(JSON.parse(request!.body!)).toEqual({ event: 'AuthFailure', message: 'Key not authorised', path: '/get', origin: '127.0.0.1', key: 'abc123' });
    expect(request!.cooldown).toBeUndefined();
  });

  it('keeps header names as written when ignore_canonical_mime_header_key is set, and a Content-Type from header_map', async () => {
    const ctx = handlerContext(await gatewayConfig({ ignore_canonical_mime_header_key: true }));
    const handler = await build(
      { target_path: 'http://h/x', method: 'POST', header_map: { 'x-lower': '1', 'content-type': 'application/vnd.custom+json' } },
      ctx,
    );
    await handler.handle(event('AuthFailure'));
    expect(ctx.recorder.requests[0]!.headers).toEqual({ 'User-Agent': 'Tyk-Hookshot', 'x-lower': '1', 'content-type': 'application/vnd.custom+json' });
  });

  it('claims webhook.cache.<Tyk checksum> for event_timeout seconds and reports duplicates as suppressed', async () => {
    const ctx = handlerContext(await gatewayConfig());
    const handler = await build({ target_path: 'http://127.0.0.1:9999/hook', method: 'POST', event_timeout: 10 }, ctx);
    expect(await handler.handle(event('AuthFailure'))).toMatchObject({ status: 'queued' });
    expect(await handler.handle(event('AuthFailure'))).toMatchObject({ status: 'suppressed' });
    const [first] = ctx.recorder.requests;
    const sum = webhookChecksum({ method: 'POST', url: 'http://127.0.0.1:9999/hook', body: first!.body! });
    expect(first!.cooldown).toEqual({ key: `webhook.cache.${sum}`, ttlMs: 10_000 });
  });

  it('sends no body for GET but checksums the rendered body', async () => {
    const ctx = handlerContext(await gatewayConfig());
    const handler = await build({ target_path: 'http://h/x?a=1', method: '', event_timeout: 1 }, ctx);
    await handler.handle(event('AuthFailure'));
    const [request] = ctx.recorder.requests;
    expect(request!.method).toBe('GET');
    expect(request!.body).toBeUndefined();
    const rendered = (await ctx.templates.load(join(ctx.gateway.template_path, 'default_webhook.json'))).render({
      Type: 'AuthFailure',
      Meta: META,
      TimeStamp: formatGoTime(NOW),
    });
    expect(request!.cooldown!.key).toBe(`webhook.cache.${webhookChecksum({ method: 'GET', url: 'http://h/x?a=1', body: rendered })}`);
  });

  it('uses the certificate checksum for certificate events', async () => {
    const ctx = handlerContext(await gatewayConfig());
    const handler = await build({ target_path: 'http://h/x', method: 'POST', event_timeout: 60 }, ctx);
    const meta = {
      Message: 'expiring',
      OriginatingRequest: '',
      CertID: 'c1',
      CertName: 'n',
      ExpiresAt: '2026-02-01T00:00:00Z',
      DaysRemaining: 3,
      APIID: 'api1',
      CertRole: 'server',
    };
    await handler.handle(event('CertificateExpiringSoon', meta));
    await handler.handle(event('CertificateExpiringSoon', { ...meta, DaysRemaining: 2 }));
    const [a, b] = ctx.recorder.requests;
    expect(a!.cooldown!.key).toBe(
      `webhook.cache.${certificateChecksum({ type: 'CertificateExpiringSoon', certId: 'c1', certName: 'n', expiry: '2026-02-01T00:00:00Z', apiId: 'api1' })}`,
    );
    expect(b!.cooldown!.key).toBe(a!.cooldown!.key);
  });

  it('sets the content type from the template format (.xml, other text)', async () => {
    const ctx = handlerContext(await gatewayConfig());
    await (
      await build({ target_path: 'http://h/x', method: 'PUT', template_path: join(dir, 'custom.xml') }, ctx)
    ).handle(event('AuthFailure', { ...META, Message: 'a<b & "c"' }));
    await (
      await build({ target_path: 'http://h/x', method: 'PUT', template_path: join(dir, 'custom.txt') }, ctx)
    ).handle(event('AuthFailure', { ...META, Message: 'a<b' }));
    const [xml, txt] = ctx.recorder.requests;
    expect(xml!.headers['Content-Type']).toBe('application/xml');
    expect(xml!.body).toBe('<event type="AuthFailure">a&lt;b &amp; &quot;c&quot;</event>');
    expect(txt!.headers['Content-Type']).toBe('text/plain; charset=utf-8');
    expect(txt!.body).toBe('AuthFailure: a<b');
  });

  it('falls back to the default template with a warning when the custom one is missing', async () => {
    const ctx = handlerContext(await gatewayConfig());
    const handler = await build({ target_path: 'http://h/x', method: 'POST', template_path: join(dir, 'missing.json') }, ctx);
    expect(ctx.warnings).toHaveLength(1);
    expect(ctx.warnings[0]!.pointer).toBe('/template_path');
    expect(ctx.warnings[0]!.message).toContain('default_webhook.json');
    await handler.handle(event('AuthFailure'));
    expect(JSON.parse(ctx.recorder.requests[0]!.body!)).toMatchObject({ event: 'AuthFailure' });
  });

  it('refuses a custom template that does not compile, naming file, line and code at the template pointer', async () => {
    const ctx = handlerContext(await gatewayConfig());
    const error = await build({ target_path: 'http://h/x', template_path: join(dir, 'broken.json') }, ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    const [problem] = (error as ConfigError).problems;
    expect(problem!.pointer).toBe(`${ctx.source.pointer}/template_path`);
    expect(problem!.message).toContain(`${join(dir, 'broken.json')}:2:`);
    expect(problem!.message).toContain('FH_TEMPLATE_INVALID');
  });

  it('reports an OAS bodyTemplate fallback at /bodyTemplate', async () => {
    const ctx = handlerContext(await gatewayConfig(), { source: { format: 'oas', pointer: '/x-tyk-api-gateway/server/eventHandlers/0' } });
    await build({ enabled: true, url: 'http://h/x', bodyTemplate: join(dir, 'nope.json') }, ctx);
    expect(ctx.warnings.map((w) => w.pointer)).toEqual(['/bodyTemplate']);
  });

  it('resolves delivery options from handler values over gateway webhooks defaults; the private-network floor holds', async () => {
    const ctx = handlerContext(
      await gatewayConfig({ webhooks: { timeout: '10s', retry_schedule: ['1s'], deny_private_networks: true, allow_networks: ['10.0.0.0/8'] } }),
    );
    await (await build({ target_path: 'http://h/x', method: 'POST' }, ctx)).handle(event('AuthFailure'));
    await (
      await build(
        {
          target_path: 'http://h/x',
          method: 'POST',
          timeout: '2s',
          retry_schedule: [],
          deny_private_networks: false,
          allow_networks: ['10.1.0.0/16', '192.168.0.0/16'],
          signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
        },
        ctx,
      )
    ).handle(event('AuthFailure'));
    const [defaults, own] = ctx.recorder.requests;
    expect(defaults!.options).toEqual({
      timeoutMs: 10_000,
      retryScheduleMs: [1000],
      denyPrivateNetworks: true,
      allowNetworks: ['10.0.0.0/8'],
      metadataAllowNetworks: ['10.0.0.0/8'],
    });
    // deny_private_networks: false and the entry outside the gateway's list are ignored, with a warning each
    expect(own!.options).toEqual({
      timeoutMs: 2000,
      retryScheduleMs: [],
      denyPrivateNetworks: true,
      allowNetworks: ['10.0.0.0/8'],
      metadataAllowNetworks: ['10.0.0.0/8'],
      signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
    });
    const floor = ctx.warnings.filter((w) => w.message.includes('FH_EGRESS_FLOOR'));
    expect(floor.map((w) => w.pointer)).toEqual(['/deny_private_networks', '/allow_networks/1']);
    expect(floor[0]!.message).toContain('ignored, private networks stay denied');
  });

  it('lets a handler tighten a gateway that allows private networks, with its own exceptions', async () => {
    const ctx = handlerContext(await gatewayConfig({ webhooks: { allow_networks: ['10.0.0.0/8'] } }));
    await (
      await build({ target_path: 'http://h/x', method: 'POST', deny_private_networks: true, allow_networks: ['hooks.internal'] }, ctx)
    ).handle(event('AuthFailure'));
    expect(ctx.recorder.requests[0]!.options).toMatchObject({
      denyPrivateNetworks: true,
      allowNetworks: ['10.0.0.0/8', 'hooks.internal'],
      metadataAllowNetworks: ['10.0.0.0/8'],
    });
    expect(ctx.warnings.filter((w) => w.message.includes('FH_EGRESS_FLOOR'))).toEqual([]);
  });

  it('uses a 30 s timeout when nothing sets one', async () => {
    const ctx = handlerContext(await gatewayConfig());
    await (await build({ target_path: 'http://h/x', method: 'POST' }, ctx)).handle(event('AuthFailure'));
    expect(ctx.recorder.requests[0]!.options.timeoutMs).toBe(30_000);
  });

  it("renders with Tyk's escaping when tyk_compat_escaping is on (gateway default or handler)", async () => {
    const ctx = handlerContext(await gatewayConfig({ webhooks: { tyk_compat_escaping: true } }));
    await (await build({ target_path: 'http://h/x', method: 'POST' }, ctx)).handle(event('AuthFailure', { ...META, Message: 'a "b" +1' }));
    await (
      await build({ target_path: 'http://h/x', method: 'POST', tyk_compat_escaping: false }, ctx)
    ).handle(event('AuthFailure', { ...META, Message: 'a "b" +1' }));
    expect(ctx.recorder.requests[0]!.body).toContain('"message": "a &#34;b&#34; &#43;1"');
    expect(JSON.parse(ctx.recorder.requests[1]!.body!).message).toBe('a "b" +1');
  });

  it('skips events when built disabled', async () => {
    const ctx = handlerContext(await gatewayConfig());
    const handler = await createWebhookPlugin().create(normalizeWebhookOptions({ target_path: 'http://h/x', disabled: true }, ctx.source), ctx);
    expect(await handler.handle(event('AuthFailure'))).toMatchObject({ status: 'skipped' });
    expect(ctx.recorder.requests).toHaveLength(0);
  });
});
