/**
 * One API's request pipeline, in Tyk's middleware order; each check that refuses a request fires
 * the event Tyk fires for it and answers from the error templates:
 *   version check (VersionFailure) -> organisation limits (OrgRateLimitExceeded, OrgQuotaExceeded)
 *   -> `global_rate_limit` (RatelimitExceeded, key `apilimiter-<org><api>`) -> key auth
 *   (AuthFailure) -> key expiry (KeyExpired) -> access rights (VersionFailure) -> key rate limit
 *   (RatelimitExceeded) -> key quota (QuotaExceeded; quota monitors) -> circuit breaker -> upstream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger, Runtime, Session } from 'firehook';
import type { ApiSpec } from './api-spec.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { forward } from './forward.ts';
import { orgSessions, spendQuota, withinRate } from './limits.ts';
import { RequestEvents } from './request-events.ts';

const DISALLOWED = 'Access to this API has been disallowed';
const VERSION_MESSAGE = 'Attempted access to disallowed version / path.';

export class ApiHandler {
  readonly breakers: CircuitBreaker[];
  readonly spec: ApiSpec;
  private readonly runtime: Runtime;
  private readonly logger: Logger;

  constructor(runtime: Runtime, spec: ApiSpec, logger: Logger) {
    this.runtime = runtime;
    this.spec = spec;
    this.logger = logger;
    this.breakers = spec.breakers.map((b) => new CircuitBreaker(runtime, spec.apiId, b));
  }

  /** Whether a request path belongs to this API. */
  owns(path: string): boolean {
    const listen = this.spec.listenPath;
    return path.startsWith(listen) || path === listen.replace(/\/$/, '');
  }

  async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const { spec, runtime } = this;
    const ev = new RequestEvents(runtime, spec.apiId, req, body);
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const relative = `/${ev.path.slice(spec.listenPath.length).replace(/^\//, '')}`;

    const version = this.version(req, url, relative);
    if ('reason' in version) {
      await ev.fire('VersionFailure', VERSION_MESSAGE, '', { Reason: version.reason });
      return ev.reply(res, 403, version.reason);
    }
    if (!(await this.orgAllows(ev, res))) return;
    if (spec.globalRateLimit && !(await withinRate(runtime, `api.${spec.apiId}`, spec.globalRateLimit.rate, spec.globalRateLimit.per))) {
      await ev.fire('RatelimitExceeded', 'API Rate Limit Exceeded', `apilimiter-${spec.orgId}${spec.apiId}`);
      return ev.reply(res, 429, 'API Rate limit exceeded');
    }
    if (!spec.keyless && !(await this.keyAllows(ev, res, version.name))) return;

    const breaker = this.breakers.find((b) => b.matches(version.name, req.method ?? 'GET', relative));
    if (breaker && !breaker.ready()) return ev.reply(res, 503, 'Service temporarily unavailable.');
    const status = await forward(spec.targetUrl, spec.stripListenPath ? relative : ev.path, url.search, req, res, body, ev.origin);
    breaker?.record(status !== undefined && status < 500);
    if (status === undefined) {
      this.logger.warn({ api_id: spec.apiId, target: spec.targetUrl }, 'upstream unreachable');
      await ev.reply(res, 502, 'There was a problem proxying the request');
    }
  }

  /** Tyk's version check: the requested version (or the default) must exist. */
  private version(req: IncomingMessage, url: URL, relative: string): { name: string } | { reason: string } {
    const v = this.spec.versions;
    if (v.notVersioned) return { name: '' };
    let requested = '';
    if (v.location === 'url-param') requested = url.searchParams.get(v.key) ?? '';
    else if (v.location === 'url') requested = relative.split('/')[1] ?? '';
    else requested = String(req.headers[v.key.toLowerCase()] ?? '');
    const name = requested || v.defaultVersion;
    if (name === '') return { reason: 'Version information not found' };
    if (!v.names.has(name)) return { reason: 'This API version does not seem to exist' };
    return { name };
  }

  /** Organisation session limits (before authentication, as in Tyk); events carry the org id as Key. */
  private async orgAllows(ev: RequestEvents, res: ServerResponse): Promise<boolean> {
    const { runtime, spec } = this;
    const org = await orgSessions.get(runtime, spec.orgId);
    if (org === undefined) return true;
    if (!(await withinRate(runtime, `org.${spec.orgId}`, org.rate, org.per))) {
      await ev.fire('OrgRateLimitExceeded', 'Organisation rate limit has been exceeded', spec.orgId);
      await ev.reply(res, 403, 'This organisation rate limit has been exceeded, please contact your API administrator');
      return false;
    }
    const spent = spendQuota(org);
    if (spent === false) {
      await ev.fire('OrgQuotaExceeded', 'Organisation quota has been exceeded', spec.orgId);
      await ev.reply(res, 403, 'This organisation quota has been exceeded, please contact your API administrator');
      return false;
    }
    if (spent !== org) {
      await orgSessions.set(runtime, spec.orgId, spent);
      this.monitor(spent, '');
    }
    return true;
  }

  /** Key auth, expiry, access rights, key rate limit and quota. */
  private async keyAllows(ev: RequestEvents, res: ServerResponse, version: string): Promise<boolean> {
    const { runtime, spec } = this;
    const header = ev.req.headers[spec.authHeader.toLowerCase()];
    const key = (Array.isArray(header) ? header[0] : header)?.replace(/^bearer /i, '').trim() ?? '';
    if (key === '') {
      await ev.fire('AuthFailure', 'Auth Failure', '');
      await ev.reply(res, 401, 'Authorization field missing');
      return false;
    }
    const session = await runtime.sessions.get(key).catch(() => undefined);
    if (session === undefined) {
      await ev.fire('AuthFailure', 'Auth Failure', key);
      await ev.reply(res, 403, DISALLOWED);
      return false;
    }
    if (typeof session.expires === 'number' && session.expires > 0 && session.expires * 1000 < Date.now()) {
      await ev.fire('KeyExpired', 'Attempted access from expired key.', key);
      await ev.reply(res, 401, 'Key has expired, please renew');
      return false;
    }
    const rights = session.access_rights ?? {};
    if (Object.keys(rights).length > 0) {
      const entry = rights[spec.apiId] as { versions?: unknown } | undefined;
      if (entry === undefined) {
        await ev.reply(res, 403, DISALLOWED);
        return false;
      }
      const versions = Array.isArray(entry.versions) ? entry.versions : [];
      if (version !== '' && !versions.includes(version)) {
        await ev.fire('VersionFailure', VERSION_MESSAGE, key, { Reason: `Key has no access to version "${version}"` });
        await ev.reply(res, 403, DISALLOWED);
        return false;
      }
    }
    if (!(await withinRate(runtime, `key.${key}`, session.rate, session.per))) {
      await ev.fire('RatelimitExceeded', 'Key Rate Limit Exceeded', key);
      await ev.reply(res, 429, 'Rate limit exceeded');
      return false;
    }
    const spent = spendQuota(session);
    if (spent === false) {
      await ev.fire('QuotaExceeded', 'Key Quota Limit Exceeded', key);
      await ev.reply(res, 403, 'Quota exceeded');
      return false;
    }
    if (spent !== session) {
      await runtime.sessions.write(key, spent);
      this.monitor(spent, key);
    }
    return true;
  }

  private monitor(session: Session, key: string): void {
    this.runtime.monitor.check(session, key).catch((error: unknown) => this.logger.warn({ err: error }, 'quota monitor check failed'));
  }

  close(): void {
    for (const b of this.breakers) b.close();
  }
}
