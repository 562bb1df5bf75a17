/**
 * The undici side of the egress dispatcher: an undici `Agent` that enforces the egress policy at
 * connect time. Keep-alive pools per origin; redirects are never followed by `request()` (undici 7+
 * only follows them through the redirect interceptor, which this dispatcher does not compose).
 * Internal: the public door hands out the same object typed as Firehook's `EgressDispatcher`
 * (egress-dispatcher.ts), so undici's declarations stay out of the package's types.
 */
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { FirehookError } from '../errors/firehook-error.ts';
import { parseAddress } from './ip-address.ts';
import { createEgressPolicy, createGuardedLookup, EgressDeniedError, type EgressPolicy } from './egress-policy.ts';
import type { EgressDispatcherOptions } from './egress-types.ts';

/** Builds the undici connector that checks literal IPs up front and host names on resolution. */
function createEgressConnector(
  policy: EgressPolicy,
  options: Pick<EgressDispatcherOptions, 'connectTimeoutMs' | 'lookup' | 'tls'> = {},
): buildConnector.connector {
  const base = buildConnector({
    timeout: options.connectTimeoutMs ?? 10_000,
    ...options.tls,
    // Always guarded: cloud-metadata addresses are refused even when private networks are allowed.
    lookup: createGuardedLookup(policy, options.lookup),
  } as buildConnector.BuildOptions);
  const connector: buildConnector.connector = (opts, callback) => {
    if (opts.protocol !== 'http:' && opts.protocol !== 'https:') {
      callback(new FirehookError('FH_EGRESS_DENIED', `egress refused: protocol ${opts.protocol} is not http or https`), null);
      return;
    }
    const host = opts.hostname.startsWith('[') ? opts.hostname.slice(1, -1) : opts.hostname;
    if (parseAddress(host)) {
      const range = policy.check(host);
      if (range !== undefined) {
        callback(new EgressDeniedError(host, host, range), null);
        return;
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
export function createEgressAgent(options: EgressDispatcherOptions): Dispatcher {
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
