/**
 * Rate limits and quotas over Firehook's store (memory, or Redis shared by several gateways).
 *
 * - Rate: `rate` requests per `per` seconds, a window that opens with the first request and
 *   closes `per` seconds later (one atomic `incr` per request).
 * - Quota: Tyk's session counters `quota_max` / `quota_remaining` / `quota_renews`; the quota is
 *   renewed when `quota_renews` has passed (never when `quota_renewal_rate` <= 0). Read-modify-write: concurrent requests on one key may
 *   overspend by a request or two, which an example can live with.
 * - Organisation sessions live under `orgkey.<org_id>` (Tyk's prefix), outside the key sessions.
 */
import { parseSession, type Runtime, type Session } from 'firehook';

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** True while `scope` stays within `rate` per `per` seconds; no limit when either is <= 0. */
export async function withinRate(runtime: Runtime, scope: string, rate: unknown, per: unknown): Promise<boolean> {
  if (num(rate) <= 0 || num(per) <= 0) return true;
  const count = await runtime.store.incr(`ratelimit.${scope}`, num(per) * 1000);
  return count <= num(rate);
}

/**
 * Spend one unit of the session's quota. `false` when it is used up (the session is left as is);
 * otherwise the updated session (for `write` and the quota monitor). No quota when `quota_max` <= 0.
 */
export function spendQuota(session: Session, nowSeconds = Math.floor(Date.now() / 1000)): Session | false {
  const max = num(session.quota_max);
  if (max <= 0) return session;
  const next: Session = { ...session };
  if (num(next.quota_renewal_rate) > 0 && nowSeconds >= num(next.quota_renews)) {
    next.quota_remaining = max;
    next.quota_renews = nowSeconds + num(next.quota_renewal_rate);
  }
  const remaining = typeof next.quota_remaining === 'number' ? next.quota_remaining : max;
  if (remaining <= 0) return false;
  next.quota_remaining = remaining - 1;
  return next;
}

/** Organisation sessions (Tyk's `/tyk/org/keys/{org_id}`), kept as session JSON in the store. */
export const orgSessions = {
  async get(runtime: Runtime, orgId: string): Promise<Session | undefined> {
    const text = await runtime.store.get(`orgkey.${orgId}`);
    return text === null ? undefined : parseSession(text);
  },
  async set(runtime: Runtime, orgId: string, session: Session): Promise<void> {
    await runtime.store.set(`orgkey.${orgId}`, JSON.stringify(session));
  },
  async delete(runtime: Runtime, orgId: string): Promise<boolean> {
    return runtime.store.del(`orgkey.${orgId}`);
  },
};
