import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { bearerMatches, checkAdminAccess } from '../../../core/admin/admin-auth.ts';
import { isLoopbackAddress } from '../../../core/net/ip-address.ts';
import { safeMeta } from '../../../core/dispatch/event-stream.ts';

function req(remoteAddress: string, headers: Record<string, string>): IncomingMessage {
  return { socket: { remoteAddress }, headers } as unknown as IncomingMessage;
}

describe('checkAdminAccess', () => {
  it('lets loopback clients in without a secret when they address a loopback name', () => {
    for (const [addr, host] of [
      ['127.0.0.1', '127.0.0.1:7070'],
      ['::1', '[::1]:7070'],
      ['::ffff:127.0.0.1', 'localhost:7070'],
    ]) {
      expect(checkAdminAccess(req(addr!, { host: host! }), '')).toEqual({ ok: true });
    }
  });

  it('refuses other clients, other host names and cross-origin browsers without a secret', () => {
    expect(checkAdminAccess(req('10.0.0.5', { host: '10.0.0.1:7070' }), '')).toMatchObject({ ok: false, status: 403, code: 'FH_ADMIN_FORBIDDEN' });
    expect(checkAdminAccess(req('127.0.0.1', { host: 'attacker.example:7070' }), '')).toMatchObject({ ok: false, status: 403 });
    expect(checkAdminAccess(req('127.0.0.1', { host: '127.0.0.1:7070', origin: 'http://attacker.example' }), '')).toMatchObject({ ok: false, status: 403 });
    expect(checkAdminAccess(req('127.0.0.1', { host: '127.0.0.1:7070', origin: 'http://127.0.0.1:7070' }), '')).toEqual({ ok: true });
  });

  it('requires the exact bearer secret from anywhere when one is set, except for static assets', () => {
    expect(checkAdminAccess(req('10.0.0.5', { host: 'fh.internal', authorization: 'Bearer s3cret' }), 's3cret')).toEqual({ ok: true });
    expect(checkAdminAccess(req('127.0.0.1', { host: '127.0.0.1' }), 's3cret')).toMatchObject({ ok: false, status: 401, code: 'FH_ADMIN_UNAUTHORIZED' });
    expect(checkAdminAccess(req('10.0.0.5', { host: 'fh.internal' }), 's3cret', false)).toEqual({ ok: true });
    expect(bearerMatches('Bearer s3cre', 's3cret')).toBe(false);
    expect(bearerMatches('bearer s3cret', 's3cret')).toBe(false);
    expect(isLoopbackAddress(undefined)).toBe(false);
  });
});

describe('safeMeta', () => {
  it('obfuscates keys and reduces the originating request to its size', () => {
    expect(safeMeta({ Message: 'm', Key: 'abcdef123456', OriginatingRequest: 'R0VUIC8gSFRUUC8xLjENCg==', Path: '/p' })).toEqual({
      Message: 'm',
      Key: '****3456',
      OriginatingRequest: '<24 base64 chars>',
      Path: '/p',
    });
    expect(safeMeta(null)).toEqual({});
  });
});
