/**
 * The slice of Tyk's Gateway API that firing token events needs, behind the admin secret
 * (`secret` in the gateway config, sent as `x-tyk-authorization`):
 * - `POST /tyk/keys/{key}` create (or replace), `PUT /tyk/keys/{key}` update an existing key,
 *   `DELETE /tyk/keys/{key}`; `?suppress_reset=1` keeps the quota counters. Through
 *   `runtime.sessions`, which fires TokenCreated / TokenUpdated / TokenDeleted.
 * - `POST|PUT|DELETE /tyk/org/keys/{org_id}`: organisation sessions (rate and quota of a whole org).
 * Answers are Tyk's JSON: `{"key", "status": "ok", "action"}` or `{"status": "error", "message"}`.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FirehookError, obfuscateKey, type Logger, type Runtime, type Session } from 'firehook';
import { orgSessions } from './limits.ts';

const KEY_ROUTE = /^\/tyk\/(org\/)?keys\/([^/]+)$/;

function send(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function authorised(req: IncomingMessage, secret: string): boolean {
  const given = req.headers['x-tyk-authorization'];
  if (secret === '' || typeof given !== 'string') return false;
  const [a, b] = [Buffer.from(given), Buffer.from(secret)];
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Tyk's quota reset on write: the full quota, renewing `quota_renewal_rate` seconds from now. */
function withFreshQuota(session: Session): Session {
  const now = Math.floor(Date.now() / 1000);
  return { ...session, quota_remaining: session.quota_max ?? 0, quota_renews: now + (session.quota_renewal_rate ?? 0) };
}

/** Handle a `/tyk/...` request; `false` when the path is not one of these routes. */
export async function handleKeyApi(
  runtime: Runtime,
  secret: string,
  logger: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  const match = KEY_ROUTE.exec(url.pathname);
  if (!match) return false;
  if (!authorised(req, secret)) {
    send(res, 403, { status: 'error', message: 'Attempted administrative access with invalid or missing key!' });
    return true;
  }
  const isOrg = match[1] !== undefined;
  const id = decodeURIComponent(match[2]!);
  try {
    if (req.method === 'DELETE') {
      const removed = isOrg ? await orgSessions.delete(runtime, id) : await runtime.sessions.delete(id);
      if (!removed) send(res, 404, { status: 'error', message: 'Key not found' });
      else send(res, 200, { key: id, status: 'ok', action: 'deleted' });
      return true;
    }
    if (req.method !== 'POST' && req.method !== 'PUT') {
      send(res, 405, { status: 'error', message: 'Method not supported' });
      return true;
    }
    const session: Session = runtime.sessions.parse(body.toString('utf8'));
    const existing = isOrg ? await orgSessions.get(runtime, id) : await runtime.sessions.get(id);
    if (req.method === 'PUT' && existing === undefined) {
      send(res, 404, { status: 'error', message: 'Key not found' });
      return true;
    }
    const suppressReset = url.searchParams.get('suppress_reset') === '1';
    if (isOrg) await orgSessions.set(runtime, id, suppressReset ? { ...session, org_id: id } : withFreshQuota({ ...session, org_id: id }));
    else await runtime.sessions.set(id, session, { suppressReset });
    logger.info({ key: obfuscateKey(id), org: isOrg, action: existing ? 'modified' : 'added' }, 'key stored');
    send(res, 200, { key: id, status: 'ok', action: existing ? 'modified' : 'added' });
  } catch (error) {
    if (error instanceof FirehookError && error.code.startsWith('FH_SESSION')) send(res, 400, { status: 'error', message: 'Request malformed' });
    else throw error;
  }
  return true;
}
