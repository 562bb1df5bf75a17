/**
 * Tyk-shaped key sessions (quota_max, quota_remaining, quota_renews, expires, org_id,
 * access_rights, monitor.trigger_limits, ...) kept in the runtime store. This is what JS
 * handlers read and write through TykGetKeyData / TykSetKeyData. (Contract; implementation beside.)
 */

/** A session object as Tyk stores it; only the fields Firehook reads are typed. */
export interface Session {
  org_id?: string;
  quota_max?: number;
  quota_remaining?: number;
  /** Unix seconds at which the quota renews. */
  quota_renews?: number;
  quota_renewal_rate?: number;
  /** Unix seconds; 0 or absent = never. */
  expires?: number;
  access_rights?: Record<string, unknown>;
  monitor?: { trigger_limits?: number[] };
  [field: string]: unknown;
}

export interface SessionStore {
  get(key: string): Promise<Session | undefined>;
  /**
   * Create or replace a session. Fires TokenCreated or TokenUpdated (system events).
   * `suppressReset` keeps the stored quota counters (TykSetKeyData's third argument "1").
   */
  set(key: string, session: Session, options?: { suppressReset?: boolean }): Promise<void>;
  /** Delete; fires TokenDeleted when a session existed. */
  delete(key: string): Promise<boolean>;
}
