import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  certificateChecksum,
  cooldownKey,
  createWebhookChecksum,
  goExpiryText,
  goRequestTarget,
  webhookChecksum,
  webhookWireForm,
} from '../../../plugins/webhook/checksum.ts';

const md5 = (text: string): string => createHash('md5').update(text, 'utf8').digest('hex');
const UA = 'User-Agent: Go-http-client/1.1\r\n';

describe('webhookChecksum', () => {
  it('matches the check vector for POST http://127.0.0.1:9999/hook with body {}', () => {
    const input = { method: 'POST', url: 'http://127.0.0.1:9999/hook', body: '{}' };
    expect(webhookWireForm(input)).toBe(`POST /hook HTTP/1.1\r\nHost: 127.0.0.1:9999\r\n${UA}Content-Length: 2\r\n\r\n{}`);
    expect(webhookChecksum(input)).toBe('1d5a8219ef3ddc3fd0046220483e3d1d');
  });

  it('writes no Content-Length for an empty GET or DELETE and 0 for an empty POST, PUT or PATCH', () => {
    expect(webhookWireForm({ method: 'GET', url: 'http://h/x', body: '' })).toBe(`GET /x HTTP/1.1\r\nHost: h\r\n${UA}\r\n`);
    expect(webhookWireForm({ method: 'DELETE', url: 'http://h/x', body: '' })).toBe(`DELETE /x HTTP/1.1\r\nHost: h\r\n${UA}\r\n`);
    for (const method of ['POST', 'PUT', 'PATCH']) {
      expect(webhookWireForm({ method, url: 'http://h/x', body: '' })).toBe(`${method} /x HTTP/1.1\r\nHost: h\r\n${UA}Content-Length: 0\r\n\r\n`);
    }
  });

  it('includes the rendered body of a GET (computed though not sent) and an empty method means GET', () => {
    expect(webhookWireForm({ method: '', url: 'http://h', body: 'abc' })).toBe(`GET / HTTP/1.1\r\nHost: h\r\n${UA}Content-Length: 3\r\n\r\nabc`);
  });

  it('counts the body in UTF-8 bytes', () => {
    const body = '{"m": "é😀"}';
    const wire = webhookWireForm({ method: 'POST', url: 'http://h/', body });
    expect(wire).toContain(`Content-Length: ${Buffer.byteLength(body)}\r\n`);
    expect(Buffer.byteLength(body)).toBe(body.length + 1 + 2);
    expect(webhookChecksum({ method: 'POST', url: 'http://h/', body })).toBe(md5(wire));
  });

  it('keeps the query as written, a trailing ? and drops the fragment', () => {
    expect(goRequestTarget('http://h/p?b=2&a=1%20x#frag')).toEqual({ requestUri: '/p?b=2&a=1%20x', host: 'h' });
    expect(goRequestTarget('http://h/p?').requestUri).toBe('/p?');
    expect(goRequestTarget('http://h?x=1').requestUri).toBe('/?x=1');
  });

  it('keeps ports as written (default ports too), drops an empty port and userinfo', () => {
    expect(goRequestTarget('http://h:80/').host).toBe('h:80');
    expect(goRequestTarget('https://h:443').host).toBe('h:443');
    expect(goRequestTarget('http://Host.Example:/x').host).toBe('Host.Example');
    expect(goRequestTarget('http://user:pass@h:8080/x').host).toBe('h:8080');
    expect(goRequestTarget('http://[::1]:9999/x').host).toBe('[::1]:9999');
  });

  it('escapes paths as Go does: valid escapes kept as written, other bytes percent-encoded', () => {
    expect(goRequestTarget('http://h/a%2Fb/~x;y,z=1:@!$&+').requestUri).toBe('/a%2Fb/~x;y,z=1:@!$&+');
    expect(goRequestTarget('http://h/caf\u00e9/a b').requestUri).toBe('/caf%C3%A9/a%20b');
    expect(goRequestTarget('http://m\u00fcnchen.de/x').host).toBe('xn--mnchen-3ya.de');
  });

  it('rejects URLs Go would refuse with FH_DELIVERY_INVALID', () => {
    for (const url of ['not a url', '/relative', 'http://h/\u0001', 'http://h:port/', 'http://h/%zz', 'http://[::1/']) {
      expect(() => webhookChecksum({ method: 'POST', url, body: '' }), url).toThrow(expect.objectContaining({ code: 'FH_DELIVERY_INVALID' }));
    }
  });
});

describe('createWebhookChecksum', () => {
  it('agrees with webhookChecksum for new and repeated bodies', () => {
    const sum = createWebhookChecksum({ method: 'POST', url: 'http://127.0.0.1:9999/hook' }, { cacheSize: 2 });
    for (const body of ['{}', '{"a":1}', '{}', 'é', '{}', '', '{"a":1}']) {
      expect(sum(body)).toBe(webhookChecksum({ method: 'POST', url: 'http://127.0.0.1:9999/hook', body }));
    }
  });
});

describe('certificateChecksum', () => {
  it('hashes type, cert id, name, expiry as Go time text and API id', () => {
    const input = { type: 'CertificateExpiringSoon', certId: 'c1', certName: 'n', expiry: '2026-02-01T00:00:00Z', apiId: 'a1' };
    expect(certificateChecksum(input)).toBe(md5('CertificateExpiringSoonc1n2026-02-01 00:00:00 +0000 UTCa1'));
  });

  it('converts RFC 3339 expiries to UTC Go text and keeps Go text as it is', () => {
    expect(goExpiryText('2026-02-01T01:30:00.120+01:00')).toBe('2026-02-01 00:30:00.12 +0000 UTC');
    expect(goExpiryText('2026-02-01 00:00:00 +0000 UTC')).toBe('2026-02-01 00:00:00 +0000 UTC');
  });

  it('builds the cooldown key Tyk uses', () => {
    expect(cooldownKey('1d5a8219ef3ddc3fd0046220483e3d1d')).toBe('webhook.cache.1d5a8219ef3ddc3fd0046220483e3d1d');
  });
});
