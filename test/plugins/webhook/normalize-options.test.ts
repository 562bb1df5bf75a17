import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ConfigError, type ConfigProblem, type HandlerSource } from '../../../core/index.ts';
import { normalizeWebhookOptions, webhookOptionsSchema } from '../../../plugins/webhook/index.ts';

const CLASSIC: HandlerSource = { file: '/apps/a.json', pointer: '/event_handlers/events/AuthFailure/0/handler_meta', format: 'classic' };
const OAS: HandlerSource = { file: '/apps/o.json', pointer: '/x-tyk-api-gateway/server/eventHandlers/0', format: 'oas' };

function problems(meta: Record<string, unknown>, source = CLASSIC): ConfigProblem[] {
  try {
    normalizeWebhookOptions(meta, source);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

function pointers(meta: Record<string, unknown>, source = CLASSIC): string[] {
  return problems(meta, source).map((p) => p.pointer.slice(source.pointer.length));
}

describe('normalizeWebhookOptions (Classic)', () => {
  it('maps handler_meta keys case-insensitively and ignores unknown keys', () => {
    const options = normalizeWebhookOptions(
      {
        Method: 'post',
        Target_Path: 'http://127.0.0.1:9999/hook',
        TEMPLATE_PATH: 'x.json',
        header_map: { 'x-a': '1' },
        Event_Timeout: 10,
        name: 'n',
        id: 'i',
        disabled: false,
        something_else: [1],
      },
      CLASSIC,
    );
    expect(options).toEqual({
      method: 'POST',
      target_path: 'http://127.0.0.1:9999/hook',
      template_path: 'x.json',
      header_map: { 'x-a': '1' },
      event_timeout: 10,
      name: 'n',
      id: 'i',
      disabled: false,
    });
  });

  it('defaults an empty or missing method to GET and fills the other defaults', () => {
    expect(normalizeWebhookOptions({ target_path: 'https://h/x', method: '' }, CLASSIC)).toEqual({
      method: 'GET',
      target_path: 'https://h/x',
      template_path: '',
      header_map: {},
      event_timeout: 0,
      disabled: false,
    });
    expect(normalizeWebhookOptions({ target_path: 'https://h/x' }, CLASSIC).method).toBe('GET');
  });

  it('keeps Firehook delivery options given on the same object', () => {
    const options = normalizeWebhookOptions(
      {
        target_path: 'https://h',
        timeout: '5s',
        retry_schedule: [],
        signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', previous_secrets: ['whsec_aGVsbG8='] },
        deny_private_networks: true,
        allow_networks: ['10.0.0.0/8'],
        tyk_compat_escaping: true,
      },
      CLASSIC,
    );
    expect(options).toMatchObject({
      timeout: '5s',
      retry_schedule: [],
      signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      deny_private_networks: true,
      allow_networks: ['10.0.0.0/8'],
      tyk_compat_escaping: true,
    });
  });

  it('reports wrong types at the key as written, all together', () => {
    const found = problems({ target_path: 'http://h/x', Event_Timeout: '10', disabled: 'true', method: 123, header_map: { ok: 1 } });
    expect(found.map((p) => p.pointer.slice(CLASSIC.pointer.length)).sort()).toEqual(['/Event_Timeout', '/disabled', '/header_map/ok', '/method'].sort());
    expect(found.every((p) => p.file === CLASSIC.file && p.severity === 'error')).toBe(true);
    expect(found.find((p) => p.pointer.endsWith('/Event_Timeout'))!.message).toContain('"10"');
  });

  it('rejects methods outside GET PUT POST PATCH DELETE', () => {
    expect(pointers({ target_path: 'http://h', method: 'head' })).toEqual(['/method']);
    expect(pointers({ target_path: 'http://h', method: 'OPTIONS' })).toEqual(['/method']);
    for (const method of ['get', 'put', 'post', 'patch', 'delete']) expect(pointers({ target_path: 'http://h', method })).toEqual([]);
  });

  it('rejects missing, relative, non-http and malformed URLs', () => {
    expect(problems({ method: 'POST' })).toMatchObject([{ pointer: CLASSIC.pointer, message: 'missing required key "target_path"' }]);
    for (const url of ['/relative', 'ftp://h/x', 'http://', 'http://h:port/', 'not a url', 'http://h/a b'])
      expect(pointers({ target_path: url }), url).toEqual(['/target_path']);
  });

  it('rejects a negative event_timeout, bad header names and values with CR/LF', () => {
    expect(pointers({ target_path: 'http://h', event_timeout: -1 })).toEqual(['/event_timeout']);
    expect(pointers({ target_path: 'http://h', event_timeout: 1.5 })).toEqual(['/event_timeout']);
    expect(pointers({ target_path: 'http://h', header_map: { 'bad name': 'x' } })).toEqual(['/header_map/bad name']);
    expect(pointers({ target_path: 'http://h', header_map: { ok: 'a\r\nInjected: 1' } })).toEqual(['/header_map/ok']);
  });

  it('rejects header values undici cannot send (above Latin-1, control characters) and keeps Latin-1 ones', () => {
    expect(pointers({ target_path: 'http://h', header_map: { 'X-Price': '10 €' } })).toEqual(['/header_map/X-Price']);
    expect(pointers({ target_path: 'http://h', header_map: { 'X-Bell': 'a\u0007b' } })).toEqual(['/header_map/X-Bell']);
    expect(problems({ target_path: 'http://h', header_map: { 'X-Price': '10 €' } })[0]!.message).toMatch(/Latin-1/);
    expect(pointers({ target_path: 'http://h', header_map: { 'X-Name': 'Ren\u00e9e\tM\u00fcller' } })).toEqual([]);
    expect(pointers({ url: 'http://h', enabled: true, headers: [{ name: 'X-A', value: '\u{1F600}' }] }, OAS)).toEqual(['/headers/0/value']);
  });

  it('rejects bad durations, schedules and signing secrets with pointers into them', () => {
    expect(pointers({ target_path: 'http://h', timeout: 'soon' })).toEqual(['/timeout']);
    expect(pointers({ target_path: 'http://h', timeout: '0s' })).toEqual(['/timeout']);
    expect(pointers({ target_path: 'http://h', retry_schedule: ['5s', '-1s', 'x'] }).sort()).toEqual(['/retry_schedule/1', '/retry_schedule/2']);
    expect(pointers({ target_path: 'http://h', retry_schedule: '5s' })).toEqual(['/retry_schedule']);
    expect(pointers({ target_path: 'http://h', signing: { secret: 'plain' } })).toEqual(['/signing/secret']);
    expect(pointers({ target_path: 'http://h', signing: {} })).toEqual(['/signing']);
  });

  it('rejects at load what would fail only at delivery: allow-list entries and secrets that do not decode', () => {
    const found = problems({
      Target_Path: 'http://h',
      Allow_Networks: ['10.0.0.0/8', 'not a host!', 7],
      signing: { secret: 'whsec_AAAAA', previous_secrets: ['whsec_dGVzdA==', 'whsec_BBBBB'] },
    });
    expect(found.map((p) => `${p.pointer.slice(CLASSIC.pointer.length)}: ${p.message}`).sort()).toEqual([
      '/Allow_Networks/1: not a host name, IP address or CIDR (got "not a host!")',
      '/Allow_Networks/2: must be string (got 7)',
      '/signing/previous_secrets/1: must be whsec_ followed by a base64 secret',
      '/signing/secret: must be whsec_ followed by a base64 secret',
    ]);
  });

  it('produces options the runtime schema accepts', () => {
    const validate = new Ajv({ strict: false, allowUnionTypes: true }).compile(webhookOptionsSchema as Record<string, unknown>);
    expect(validate(normalizeWebhookOptions({ target_path: 'http://h', method: 'patch', header_map: { a: 'b' }, event_timeout: 3 }, CLASSIC))).toBe(true);
  });
});

describe('normalizeWebhookOptions (OAS)', () => {
  const base = { enabled: true, trigger: 'AuthFailure', type: 'webhook', url: 'https://h/hook' };

  it('maps url, method, bodyTemplate, headers (last wins), name, id and enabled', () => {
    const options = normalizeWebhookOptions(
      {
        ...base,
        method: 'put',
        bodyTemplate: 't.json',
        headers: [
          { name: 'X-A', value: '1' },
          { name: 'X-B', value: '2' },
          { name: 'X-A', value: '3' },
        ],
        name: 'n',
        id: 'i',
      },
      OAS,
    );
    expect(options).toEqual({
      method: 'PUT',
      target_path: 'https://h/hook',
      template_path: 't.json',
      header_map: { 'X-A': '3', 'X-B': '2' },
      event_timeout: 0,
      name: 'n',
      id: 'i',
      disabled: false,
    });
  });

  it('floors cooldownPeriod to whole seconds and treats "" as none', () => {
    expect(normalizeWebhookOptions({ ...base, cooldownPeriod: '1m30.9s' }, OAS).event_timeout).toBe(90);
    expect(normalizeWebhookOptions({ ...base, cooldownPeriod: '10s' }, OAS).event_timeout).toBe(10);
    expect(normalizeWebhookOptions({ ...base, cooldownPeriod: '500ms' }, OAS).event_timeout).toBe(0);
    expect(normalizeWebhookOptions({ ...base, cooldownPeriod: '' }, OAS).event_timeout).toBe(0);
  });

  it('is disabled unless enabled is true', () => {
    expect(normalizeWebhookOptions({ ...base, enabled: undefined }, OAS).disabled).toBe(true);
    expect(normalizeWebhookOptions({ ...base, enabled: false }, OAS).disabled).toBe(true);
  });

  it('reports problems at the OAS field names', () => {
    expect(pointers({ ...base, url: 'nope' }, OAS)).toEqual(['/url']);
    expect(pointers({ ...base, cooldownPeriod: '10' }, OAS)).toEqual(['/cooldownPeriod']);
    expect(pointers({ ...base, cooldownPeriod: 10 }, OAS)).toEqual(['/cooldownPeriod']);
    expect(pointers({ ...base, method: 'TRACE' }, OAS)).toEqual(['/method']);
    expect(pointers({ ...base, bodyTemplate: 5 }, OAS)).toEqual(['/bodyTemplate']);
    expect(problems({ enabled: true }, OAS)).toMatchObject([{ pointer: OAS.pointer, message: 'missing required key "url"' }]);
  });

  it('reports malformed header lists item by item', () => {
    expect(pointers({ ...base, headers: { 'X-A': '1' } }, OAS)).toEqual(['/headers']);
    expect(
      pointers({ ...base, headers: [{ name: 'X-A', value: '1' }, { name: 'X-B' }, { name: 'bad name', value: 'v' }, { name: 'X-C', value: 7 }] }, OAS).sort(),
    ).toEqual(['/headers/1', '/headers/2/name', '/headers/3/value'].sort());
  });
});
