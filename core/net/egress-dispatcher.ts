/**
 * An undici dispatcher that enforces the egress policy at connect time. Keep-alive pools per
 * origin; redirects are never followed by `request()` (undici 7+ only follows them through the
 * redirect interceptor, which this dispatcher does not compose).
 */
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { FirehookError } from '../errors/firehook-error.ts';
import { parseAddress } from './ip-address.ts';
import { createEgressPolicy, createGuardedLookup, EgressDeniedError, type EgressPolicy, type EgressPolicyOptions } from './egress-policy.ts';

export interface EgressDispatcherOptions extends EgressPolicyOptions {
  /** Connections per origin (the per-origin concurrency of the pool). Default 64. */
  connections?: number;
  /** ms to establish TCP (and TLS). Default 10 000. */
  connectTimeoutMs?: number;
  /** ms an idle keep-alive socket is kept. Default 30 000 (servers' keep-alive hints may lower it). */
  keepAliveTimeoutMs?: number;
  /** ms to wait for response headers. Default 30 000. */
  headersTimeoutMs?: number;
  /** ms allowed between body chunks. Default 30 000. */
  bodyTimeoutMs?: number;
  /** Resolver used instead of `dns.lookup` (tests, custom DNS); its answers are still checked. */
  lookup?: LookupFunction;
  /** Extra TLS options (`ca`, `rejectUnauthorized`, ...) for https targets. */
  tls?: Record<string, unknown>;
}

/** Builds the undici connector that checks literal IPs up front and host names on resolution. */
export function createEgressConnector(policy: EgressPolicy, options: Pick<EgressDispatcherOptions, 'connectTimeoutMs' | 'lookup' | 'tls'> = {}): buildConnector.connector {
  const base = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    ...options.tls,
    ...(policy.denyPrivateNetworks ? { lookup: createGuardedLookup(policy, options.lookup) } : options.lookup ? { lookup: options.lookup } : {}),
  } as buildConnector.BuildOptions);
  const connector: buildConnector.connector = (opts, callback) => {
    if (opts.protocol !== 'http:' && opts.protocol !== 'https:') {
      callback(new FirehookError('FH_EGRESS_DENIED', `egress refused: protocol ${opts.protocol} is not http or https`), null);
      return;
    }
    if (policy.denyPrivateNetworks) {
      const host = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
      if (parseAddress(host)) {
        const range = policy.check(host);
        if (range !== undefined) {
          callback(new EgressDeniedError(host, host, range), null);
          return;
        }
      }
    }
    return base(opts, callback);
  };
  return connector;
}

/**
 * An undici `Agent` (keep-alive pool per origin) whose every connection passes the egress policy.
 * Throws FH_EGRESS_INVALID_ALLOW when an allow-list entry is invalid.
 */
export function createEgressDispatcher(options: EgressDispatcherOptions): Dispatcher {
  const policy = createEgressPolicy(options);
  return new Agent({
    connections: options.connections ?? 64,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: Math.max(options.keepAliveTimeoutMs ?? 30_000, 60_000),
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    bodyTimeout: options.bodyTimeoutMs ?? 30_000,
    connect: createEgressConnector(policy, options),
  });
}
