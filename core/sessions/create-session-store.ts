/**
 * The session store: Tyk-shaped sessions as JSON under `apikey-<key>` in the runtime store (Tyk's
 * session key naming, with the key unhashed), plus the organisation-scoped views JS handlers use.
 *
 * - `set` is TykSetKeyData / the key API: unless `suppressReset`, the quota is reset as Tyk's
 *   `doAddOrUpdate` does (`quota_remaining = quota_max`, `quota_renews = now + quota_renewal_rate`,
 *   `last_updated = now`, per API limits likewise); with `suppressReset` the stored counters are kept.
 *   It fires TokenCreated (`Key generated.`) for a new key, TokenUpdated (`Key modified.`) otherwise.
 * - `write` is the gateway's own per-request update (counters as given, no reset, no events).
 * - `delete` fires TokenDeleted (`Key deleted.`) when a session existed.
 * Token events carry the raw key, as Tyk's do (it is sensitive; `obfuscateEventKeys` masks it).
 */
import { FirehookError } from '../errors/firehook-error.ts';
import type { TokenMeta } from '../event.ts';
import { obfuscateKey, type Logger } from '../logger.ts';
import type { Store } from '../store/store.ts';
import type { Session, SessionStore } from './session-store.ts';
import { DEFAULT_SESSION_LIMITS, checkSessionKey, copySession, parseSession, type SessionLimits } from './session-validation.ts';

export type TokenEventType = 'TokenCreated' | 'TokenUpdated' | 'TokenDeleted';

export interface SessionStoreOptions {
  store: Store;
  /** Fire a system (gateway-level) event; the runtime's dispatcher. */
  fireSystem: (type: TokenEventType, meta: TokenMeta) => void;
  /** Prefix of session keys in the store; default `apikey-` (Tyk's). */
  keyPrefix?: string;
  /** Put `****abcd` instead of the raw key in Token events. Default false (Tyk sends it raw). */
  obfuscateEventKeys?: boolean;
  limits?: Partial<SessionLimits>;
  logger?: Logger;
  /** Clock in ms (tests). */
  now?: () => number;
}

export interface SetSessionOptions {
  /** Keep the stored quota counters (TykSetKeyData's third argument `"1"`, the key API's `suppress_reset=1`). */
  suppressReset?: boolean;
}

/** The session API the runtime exposes as `runtime.sessions` and hands to handlers. */
export interface FirehookSessionStore extends SessionStore {
  set(key: string, session: Session, options?: SetSessionOptions): Promise<void>;
  /** Store a session as given: no quota reset, no Token event (the gateway's per-request update). */
  write(key: string, session: Session): Promise<void>;
  /** The session only when it belongs to `orgId`; `undefined` otherwise, as if it did not exist. */
  getForOrg(key: string, orgId: string): Promise<Session | undefined>;
  /**
   * `set` limited to `orgId`: the session's `org_id` is filled in when absent; a different `org_id`,
   * or an existing key of another organisation, fails with FH_SESSION_ORG_MISMATCH.
   */
  setForOrg(key: string, session: Session, orgId: string, options?: SetSessionOptions): Promise<void>;
  /** `delete` limited to `orgId`; another organisation's key is left alone and reported absent. */
  deleteForOrg(key: string, orgId: string): Promise<boolean>;
  /** Parse and validate session JSON text (FH_SESSION_INVALID), e.g. TykSetKeyData's argument. */
  parse(json: string): Session;
}

const ATTEMPTS = 5;

export function createSessionStore(options: SessionStoreOptions): FirehookSessionStore {
  const { store } = options;
  const prefix = options.keyPrefix ?? 'apikey-';
  const limits: SessionLimits = { ...DEFAULT_SESSION_LIMITS, ...options.limits };
  const now = options.now ?? Date.now;

  const storeKey = (key: string): string => {
    checkSessionKey(key);
    return prefix + key;
  };

  async function read(key: string): Promise<Session | undefined> {
    const raw = await store.get(storeKey(key));
    return raw === null ? undefined : parseSession(raw, limits);
  }

  function fire(type: TokenEventType, message: string, org: string, key: string): void {
    const meta: TokenMeta = {
      Message: message,
      OriginatingRequest: '',
      Org: org,
      Key: options.obfuscateEventKeys ? obfuscateKey(key) : key,
    };
    try {
      options.fireSystem(type, meta);
    } catch (error) {
      options.logger?.error({ err: error, event: type, key: obfuscateKey(key) }, 'firing a token event failed');
    }
  }

  async function put(key: string, session: Session, setOptions: SetSessionOptions, orgScope: string | undefined): Promise<void> {
    const fullKey = storeKey(key);
    const incoming = copySession(session, limits);
    if (orgScope !== undefined) {
      if (incoming.org_id !== undefined && incoming.org_id !== null && incoming.org_id !== orgScope) {
        throw new FirehookError('FH_SESSION_ORG_MISMATCH', 'a session cannot be moved to another organisation');
      }
      incoming.org_id = orgScope;
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const existing = await read(key);
      if (orgScope !== undefined && existing && (existing.org_id ?? '') !== orgScope) {
        throw new FirehookError('FH_SESSION_ORG_MISMATCH', 'the key belongs to another organisation');
      }
      const next = applyQuotaPolicy(incoming, existing, setOptions.suppressReset === true, Math.floor(now() / 1000));
      const text = JSON.stringify(next);
      if (existing === undefined) {
        // setNX makes "created" exact: of two concurrent creators one wins, the other updates.
        if (await store.setNX(fullKey, text)) {
          fire('TokenCreated', 'Key generated.', next.org_id ?? '', key);
          return;
        }
        continue;
      }
      await store.set(fullKey, text);
      fire('TokenUpdated', 'Key modified.', next.org_id ?? '', key);
      return;
    }
    throw new FirehookError('FH_SESSION_INVALID', 'session kept changing while being written; try again');
  }

  async function remove(key: string, orgScope: string | undefined): Promise<boolean> {
    const fullKey = storeKey(key);
    const raw = await store.get(fullKey);
    if (raw === null) return false;
    let org = '';
    try {
      org = parseSession(raw, limits).org_id ?? '';
    } catch {
      // a corrupt session can still be deleted (not from an org-scoped caller)
      if (orgScope !== undefined) return false;
    }
    if (orgScope !== undefined && org !== orgScope) return false;
    const removed = orgScope === undefined ? await store.del(fullKey) : await store.delIfEquals(fullKey, raw);
    if (removed) fire('TokenDeleted', 'Key deleted.', org, key);
    return removed;
  }

  return {
    get: read,
    set: (key, session, setOptions = {}) => put(key, session, setOptions, undefined),
    async write(key, session) {
      await store.set(storeKey(key), JSON.stringify(copySession(session, limits)));
    },
    delete: (key) => remove(key, undefined),
    async getForOrg(key, orgId) {
      const session = await read(key);
      return session && (session.org_id ?? '') === orgId ? session : undefined;
    },
    setForOrg: (key, session, orgId, setOptions = {}) => put(key, session, setOptions, orgId),
    deleteForOrg: (key, orgId) => remove(key, orgId),
    parse: (json) => parseSession(json, limits),
  };
}

const COUNTER_FIELDS = ['quota_remaining', 'quota_renews'] as const;

/** Tyk's quota handling on key writes (doAddOrUpdate / handleAddOrUpdate). */
function applyQuotaPolicy(incoming: Session, existing: Session | undefined, suppressReset: boolean, nowSeconds: number): Session {
  const next: Session = structuredClone(incoming);
  if (!suppressReset) {
    next.last_updated = String(nowSeconds);
    if (typeof next.quota_max === 'number') next.quota_remaining = next.quota_max;
    next.quota_renews = nowSeconds + (next.quota_renewal_rate ?? 0);
    for (const limit of apiLimits(next)) {
      if (typeof limit.quota_max === 'number') limit.quota_remaining = limit.quota_max;
      limit.quota_renews = nowSeconds + (typeof limit.quota_renewal_rate === 'number' ? limit.quota_renewal_rate : 0);
    }
    return next;
  }
  if (!existing) return next;
  for (const field of COUNTER_FIELDS) if (existing[field] !== undefined) next[field] = existing[field];
  if (existing.last_updated !== undefined) next.last_updated = existing.last_updated;
  const before = existing.access_rights ?? {};
  for (const [apiId, right] of Object.entries(next.access_rights ?? {})) {
    const old = limitOf(before[apiId]);
    const limit = limitOf(right);
    if (!old || !limit) continue;
    for (const field of COUNTER_FIELDS) if (old[field] !== undefined) limit[field] = old[field];
  }
  return next;
}

function limitOf(right: unknown): Record<string, unknown> | undefined {
  if (right === null || typeof right !== 'object') return undefined;
  const limit = (right as Record<string, unknown>).limit;
  return limit !== null && typeof limit === 'object' && !Array.isArray(limit) ? (limit as Record<string, unknown>) : undefined;
}

function apiLimits(session: Session): Array<Record<string, unknown>> {
  return Object.values(session.access_rights ?? {})
    .map(limitOf)
    .filter((l): l is Record<string, unknown> => l !== undefined && typeof l.quota_max === 'number' && l.quota_max !== 0);
}
