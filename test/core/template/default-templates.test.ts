import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_EVENT_TYPES, type EventMeta } from '../../../core/event.ts';
import { createLogger } from '../../../core/logger.ts';
import { createTemplateService } from '../../../core/template/index.ts';

const TEMPLATES = fileURLToPath(new URL('../../../templates/', import.meta.url));
const service = createTemplateService({ logger: createLogger({ level: 'silent' }) });
const TIMESTAMP = '2015-01-15 17:21:15.111157073 +0000 UTC';

const keyFailure = { Message: 'Key not authorised', OriginatingRequest: 'R0VUIC8gSFRUUC8xLjENCg==', Path: '/get', Origin: '127.0.0.1', Key: 'abc123' };
const host = {
  Message: 'Uptime check failed',
  OriginatingRequest: '',
  HostInfo: {
    CheckURL: 'http://upstream/health',
    Protocol: 'http',
    Timeout: 1,
    Method: 'GET',
    Headers: {},
    Body: '',
    MetaData: { target_url: 'http://upstream', api_id: 'api1', host_name: 'upstream' },
    ResponseCode: 500,
    Latency: 0.25,
    IsTCPError: false,
  },
};
const breaker = { Message: 'Breaker tripped', OriginatingRequest: '', Path: '/slow', APIID: 'api1', CircuitEvent: 0 };
const token = { Message: 'Key created', OriginatingRequest: '', Org: 'org1', Key: 'abc123' };
const certSoon = {
  Message: 'Certificate expiring soon',
  OriginatingRequest: '',
  CertID: 'cert1',
  CertName: 'upstream.example',
  ExpiresAt: '2026-02-01T00:00:00Z',
  DaysRemaining: 12,
  APIID: 'api1',
  CertRole: 'upstream',
};
const certExpired = {
  Message: 'Certificate expired',
  OriginatingRequest: '',
  CertID: 'cert1',
  CertName: 'upstream.example',
  ExpiredAt: '2026-01-01T00:00:00Z',
  DaysSinceExpiry: 3,
  APIID: 'api1',
  CertRole: 'server',
};

const REALISTIC: Record<string, EventMeta> = {
  QuotaExceeded: keyFailure,
  RatelimitExceeded: keyFailure,
  RateLimitSmoothingUp: keyFailure,
  RateLimitSmoothingDown: keyFailure,
  AuthFailure: keyFailure,
  KeyExpired: keyFailure,
  VersionFailure: { ...keyFailure, Reason: 'Version not found' },
  OrgQuotaExceeded: keyFailure,
  OrgRateLimitExceeded: keyFailure,
  TriggerExceeded: { Message: 'Quota trigger reached', OriginatingRequest: '', OrgID: 'org1', Key: 'abc123', TriggerLimit: 80, UsagePercentage: 82 },
  BreakerTriggered: breaker,
  BreakerTripped: breaker,
  BreakerReset: { ...breaker, CircuitEvent: 1 },
  HostDown: host,
  HostUp: { ...host, HostInfo: { ...host.HostInfo, ResponseCode: 200 } },
  TokenCreated: token,
  TokenUpdated: token,
  TokenDeleted: token,
  UpstreamOAuthError: { Message: 'token request failed', OriginatingRequest: '', APIID: 'api1' },
  CertificateExpiringSoon: certSoon,
  CertificateExpired: certExpired,
};

const HOSTILE_TEXT = 'q"uote\\back\nnew\r\tline\u0000\u001f</script><!--&amp;+\u2028\ud800 é 😀 {{.Type}}';

/** Replace every string in a value with hostile text (numbers and booleans stay). */
function hostile(value: unknown): unknown {
  if (typeof value === 'string') return HOSTILE_TEXT;
  if (Array.isArray(value)) return value.map(hostile);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hostile(v)]));
  return value;
}

function data(type: string, meta: unknown): unknown {
  return { Type: type, Meta: meta, TimeStamp: TIMESTAMP, EventType: type, EventMetaData: meta };
}

describe('templates/default_webhook.json', () => {
  it('has a realistic fixture for every built-in event', () => {
    expect(Object.keys(REALISTIC).sort()).toEqual([...BUILTIN_EVENT_TYPES].sort());
  });

  for (const type of BUILTIN_EVENT_TYPES) {
    it(`renders valid JSON for ${type} with realistic and with hostile metadata`, async () => {
      const template = await service.load(TEMPLATES + 'default_webhook.json');
      const meta = REALISTIC[type]!;
      const realistic = JSON.parse(template.render(data(type, meta))) as Record<string, string>;
      expect(realistic.event).toBe(type);
      expect(realistic.message).toBe(meta.Message);
      const bad = hostile(meta) as EventMeta;
      const parsed = JSON.parse(template.render(data(type, bad))) as Record<string, string>;
      expect(parsed.event).toBe(type);
      expect(parsed.message).toBe(HOSTILE_TEXT);
    });
  }

  it("renders the key-failure branch byte for byte as Tyk's default template does", async () => {
    const template = await service.load(TEMPLATES + 'default_webhook.json');
    const expected =
      '\n{\n    "event": "AuthFailure",\n    "message": "Key not authorised",\n    "path": "/get",\n    "origin": "127.0.0.1",\n    "key": "abc123"\n}\n\n\n';
    expect(template.render(data('AuthFailure', keyFailure))).toBe(expected);
    expect(template.render(data('QuotaExceeded', keyFailure))).toBe(expected.replace('AuthFailure', 'QuotaExceeded'));
  });

  it('renders custom events with the generic shape', async () => {
    const template = await service.load(TEMPLATES + 'default_webhook.json');
    expect(JSON.parse(template.render(data('MyCustomEvent', { Message: 'hello', Path: '/p' })))).toEqual({
      event: 'MyCustomEvent',
      message: 'hello',
      path: '/p',
      origin: '',
      key: '',
    });
  });

  it('renders the host, breaker, trigger, token, OAuth and certificate fields', async () => {
    const template = await service.load(TEMPLATES + 'default_webhook.json');
    const render = (type: string): Record<string, string> => JSON.parse(template.render(data(type, REALISTIC[type]))) as Record<string, string>;
    expect(render('HostDown')).toMatchObject({ url: 'http://upstream/health', response_code: '500', tcp_error: 'false', host: 'upstream', api_id: 'api1' });
    expect(render('BreakerReset')).toMatchObject({ api_id: 'api1', path: '/slow', Status: '1' });
    expect(render('TriggerExceeded')).toMatchObject({ org: 'org1', key: 'abc123', trigger_limit: '80', usage_percentage: '82' });
    expect(render('TokenDeleted')).toMatchObject({ org: 'org1', key: 'abc123' });
    expect(render('UpstreamOAuthError')).toEqual({ event: 'UpstreamOAuthError', message: 'token request failed', api_id: 'api1' });
    expect(render('CertificateExpiringSoon')).toMatchObject({
      cert_id: 'cert1',
      expires_at: '2026-02-01T00:00:00Z',
      days_remaining: '12',
      cert_role: 'upstream',
      timestamp: TIMESTAMP,
    });
    expect(render('CertificateExpired')).toMatchObject({ expired_at: '2026-01-01T00:00:00Z', days_since_expiry: '3' });
  });
});

describe('templates/ (other defaults)', () => {
  it('monitor_template.json carries event, message, org, key, trigger limit and usage', async () => {
    const template = await service.load(TEMPLATES + 'monitor_template.json');
    expect(JSON.parse(template.render(data('TriggerExceeded', REALISTIC.TriggerExceeded)))).toEqual({
      event: 'TriggerExceeded',
      message: 'Quota trigger reached',
      org: 'org1',
      key: 'abc123',
      trigger_limit: '80',
      usage_percentage: '82',
    });
  });

  it('breaker_webhook.json carries event, message, api id, path and status', async () => {
    const template = await service.load(TEMPLATES + 'breaker_webhook.json');
    expect(JSON.parse(template.render(data('BreakerTripped', hostile(breaker))))).toEqual({
      event: 'BreakerTripped',
      message: HOSTILE_TEXT,
      api_id: HOSTILE_TEXT,
      path: HOSTILE_TEXT,
      Status: '0',
    });
  });

  it('error.json and error.xml render a message', async () => {
    expect(JSON.parse((await service.load(TEMPLATES + 'error.json')).render({ Message: 'Key "x" not authorised' }))).toEqual({
      error: 'Key "x" not authorised',
    });
    expect((await service.load(TEMPLATES + 'error.xml')).render({ Message: 'a<b' })).toBe('<error>a&lt;b</error>\n');
  });
});

describe('Tyk-written templates', () => {
  it('render unchanged, in both spellings, with pipes and conditionals', () => {
    const source = [
      '{{ if eq .EventType "BreakerTriggered" }}',
      '{"event": "{{.EventType}}", "api": "{{.EventMetaData.APIID}}", "status": "{{ .EventMetaData.CircuitEvent }}"}',
      '{{ else }}',
      '{"event": "{{.Type}}"{{if .Meta.APIID}}, "api_id": "{{.Meta.APIID}}"{{end}}, "at": "{{.TimeStamp | as_rfc3339_from_string}}"}',
      '{{ end }}',
    ].join('\n');
    const template = service.compile(source, { format: 'json', name: 'tyk.json' });
    expect(JSON.parse(template.render(data('BreakerTriggered', breaker)))).toEqual({ event: 'BreakerTriggered', api: 'api1', status: '0' });
    expect(JSON.parse(template.render(data('UpstreamOAuthError', { APIID: 'a' })))).toEqual({
      event: 'UpstreamOAuthError',
      api_id: 'a',
      at: '2015-01-15T17:21:15Z',
    });
    expect(JSON.parse(template.render(data('AuthFailure', keyFailure)))).toEqual({ event: 'AuthFailure', at: '2015-01-15T17:21:15Z' });
  });
});
