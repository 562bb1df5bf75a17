/**
 * Who may use the admin API, the console's data and /metrics: with `admin_secret`, a request with
 * `Authorization: Bearer <admin_secret>`; without it, loopback clients only, addressing the server
 * by a loopback name (so a DNS-rebound page cannot reach it). Cross-origin browser requests are
 * refused either way.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isLoopbackAddress } from '../net/ip-address.ts';

export type GateResult = { ok: true } | { ok: false; status: 401 | 403; code: 'FH_ADMIN_UNAUTHORIZED' | 'FH_ADMIN_FORBIDDEN'; message: string };

function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export function bearerMatches(header: string | undefined, secret: string): boolean {
  if (header === undefined || !header.startsWith('Bearer ')) return false;
  const given = Buffer.from(header.slice(7));
  const expected = Buffer.from(secret);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A browser request from another origin (the Origin header names a different host). */
function crossOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== req.headers.host;
  } catch {
    return true;
  }
}

/** Check a request; `needsToken` false lets through bearer-less requests when a secret is set (static console assets). */
export function checkAdminAccess(req: IncomingMessage, secret: string, needsToken = true): GateResult {
  if (crossOrigin(req)) return { ok: false, status: 403, code: 'FH_ADMIN_FORBIDDEN', message: 'cross-origin requests are not allowed' };
  if (secret !== '') {
    if (!needsToken || bearerMatches(req.headers.authorization, secret)) return { ok: true };
    return { ok: false, status: 401, code: 'FH_ADMIN_UNAUTHORIZED', message: 'missing or wrong bearer token (admin_secret)' };
  }
  if (!isLoopbackAddress(req.socket.remoteAddress) || !isLoopbackHost(req.headers.host)) {
    return { ok: false, status: 403, code: 'FH_ADMIN_FORBIDDEN', message: 'without admin_secret the admin API is served to loopback clients only' };
  }
  return { ok: true };
}
