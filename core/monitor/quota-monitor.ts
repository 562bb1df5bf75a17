/**
 * Quota threshold monitor (Tyk's `monitor` config). After the gateway decrements a quota it calls
 * `check(session, key)`; the monitor decides which thresholds the usage has crossed and fires
 * `TriggerExceeded` as a system event for each one not yet fired this quota period.
 *
 * Tyk computes usage = (quota_max - quota_remaining) / quota_max * 100, skips unlimited quotas
 * (quota_max <= 0) and quotas whose renewal time has passed, and then fires the first listed
 * threshold reached on every request (relying on the webhook cooldown). Firehook fires each
 * threshold exactly once per key per quota period, in any list order and across processes: a
 * threshold is claimed with `setNX` on a store key derived from org, key, quota scope, the
 * period (`quota_renews`) and the threshold, expiring after the renewal.
 */
import { createHash } from 'node:crypto';
import type { MonitorConfig } from '../config/gateway-config.ts';
import { FirehookError } from '../errors/firehook-error.ts';
import type { TriggerMeta } from '../event.ts';
import { obfuscateKey, type Logger } from '../logger.ts';
import type { Session } from '../sessions/session-store.ts';
import type { Store } from '../store/store.ts';

export interface QuotaMonitorOptions {
  /** The gateway's `monitor` section, or a getter returning the current one (hot reload). */
  config: MonitorConfig | (() => MonitorConfig);
  store: Store;
  /** Fire a system (gateway-level) event; the runtime routes TriggerExceeded to the monitor webhook. */
  fireSystem: (type: 'TriggerExceeded', meta: TriggerMeta) => void;
  logger: Logger;
  /** Prefix of claim keys in the store; default `monitor.trigger.`. */
  claimPrefix?: string;
  /** Clock in ms (tests). */
  now?: () => number;
}

export interface QuotaCheckResult {
  /** Thresholds fired by this call, ascending, as sent in `TriggerLimit`. */
  fired: number[];
}

export interface QuotaMonitor {
  /** Check a session after a quota decrement; `key` is `""` for an organisation session. */
  check(session: Session, key: string): Promise<QuotaCheckResult>;
  /** The thresholds that apply to a session: `global_trigger_limit` and its own, ascending. */
  thresholds(session: Session): number[];
}

/** One quota of a session: the session-level one, or a per-API limit when that is all there is. */
interface Quota {
  scope: string;
  max: number;
  remaining: number;
  renews: number;
}

const CLAIM_GRACE_MS = 60_000;
const KNOWN_CLAIMS_MAX = 50_000;

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * Tyk checks the session-level quota and then each per-API limit, stopping at the first that fires.
 * Here the session-level quota counts when it is limited; per-API limits are used only when it is not,
 * so one request never reports the same usage twice.
 */
function quotasOf(session: Session): Quota[] {
  const max = num(session.quota_max);
  if (max > 0) return [{ scope: '', max, remaining: num(session.quota_remaining), renews: num(session.quota_renews) }];
  const quotas: Quota[] = [];
  for (const [apiId, right] of Object.entries(session.access_rights ?? {})) {
    const limit = right !== null && typeof right === 'object' ? (right as { limit?: Record<string, unknown> }).limit : undefined;
    if (!limit || typeof limit !== 'object') continue;
    const limitMax = num(limit.quota_max);
    if (limitMax > 0) quotas.push({ scope: apiId, max: limitMax, remaining: num(limit.quota_remaining), renews: num(limit.quota_renews) });
  }
  return quotas;
}

export function createQuotaMonitor(options: QuotaMonitorOptions): QuotaMonitor {
  const { store, logger } = options;
  const source = options.config;
  const currentConfig = typeof source === 'function' ? source : (): MonitorConfig => source;
  const prefix = options.claimPrefix ?? 'monitor.trigger.';
  const now = options.now ?? Date.now;
  /** Claim keys this process knows are taken (by it or another), with their expiry; saves store round trips. */
  const known = new Map<string, number>();

  function thresholds(session: Session, config: MonitorConfig = currentConfig()): number[] {
    const set = new Set<number>();
    if (num(config.global_trigger_limit) > 0) set.add(config.global_trigger_limit);
    for (const limit of session.monitor?.trigger_limits ?? []) {
      if (typeof limit === 'number' && Number.isFinite(limit) && limit > 0) set.add(limit);
    }
    return [...set].sort((a, b) => a - b);
  }

  function remember(claimKey: string, expiresAt: number): void {
    if (known.size >= KNOWN_CLAIMS_MAX) {
      const t = now();
      for (const [k, exp] of known) if (exp <= t) known.delete(k);
      if (known.size >= KNOWN_CLAIMS_MAX) known.delete(known.keys().next().value!);
    }
    known.set(claimKey, expiresAt);
  }

  async function claim(claimKey: string, expiresAt: number, nowMs: number): Promise<boolean> {
    const knownUntil = known.get(claimKey);
    if (knownUntil !== undefined && knownUntil > nowMs) return false;
    const won = await store.setNX(claimKey, '1', expiresAt - nowMs);
    remember(claimKey, expiresAt);
    return won;
  }

  function fire(session: Session, key: string, threshold: number, usage: number, obfuscate: boolean): void {
    const meta: TriggerMeta = {
      Message: 'Quota trigger reached',
      OriginatingRequest: '',
      OrgID: session.org_id ?? '',
      Key: obfuscate && key !== '' ? obfuscateKey(key) : key,
      TriggerLimit: Math.trunc(threshold),
      UsagePercentage: Math.trunc(usage),
    };
    logger.info(
      { org_id: meta.OrgID, key: key === '' ? '' : obfuscateKey(key), trigger_limit: meta.TriggerLimit, usage: meta.UsagePercentage },
      'quota trigger reached',
    );
    try {
      options.fireSystem('TriggerExceeded', meta);
    } catch (error) {
      logger.error({ err: error, event: 'TriggerExceeded' }, 'firing TriggerExceeded failed');
    }
  }

  async function check(session: Session, key: string): Promise<QuotaCheckResult> {
    const fired: number[] = [];
    const config = currentConfig();
    if (!config.enable_trigger_monitors) return { fired };
    if (key === '' ? !config.monitor_org_keys : !config.monitor_user_keys) return { fired };
    const limits = thresholds(session, config);
    if (limits.length === 0) return { fired };
    const org = session.org_id ?? '';
    for (const quota of quotasOf(session)) {
      const nowMs = now();
      const renewsMs = quota.renews * 1000;
      if (nowMs > renewsMs) continue; // renewal passed: the quota renews on the next request
      const usage = ((quota.max - quota.remaining) / quota.max) * 100;
      const crossed = limits.filter((t) => usage >= t);
      if (crossed.length === 0) continue;
      const id = createHash('sha256').update(`${org}\0${key}\0${quota.scope}`).digest('hex').slice(0, 40);
      const expiresAt = renewsMs + CLAIM_GRACE_MS;
      const claims = await Promise.all(
        crossed.map(async (threshold) => {
          try {
            return await claim(`${prefix}${id}:${quota.renews}:${threshold}`, expiresAt, nowMs);
          } catch (error) {
            const wrapped = new FirehookError('FH_MONITOR_CLAIM_FAILED', `claiming quota trigger ${threshold} failed`, { cause: error });
            logger.warn({ err: wrapped, code: wrapped.code, org_id: org, trigger_limit: threshold }, wrapped.message);
            return false;
          }
        }),
      );
      crossed.forEach((threshold, i) => {
        if (!claims[i]) return;
        fire(session, key, threshold, usage, config.obfuscate_keys === true);
        fired.push(Math.trunc(threshold));
      });
    }
    return { fired };
  }

  return { check, thresholds: (session) => thresholds(session) };
}
