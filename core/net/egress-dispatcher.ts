/**
 * Firehook's egress dispatcher, as the public surface names it: an HTTP connection pool whose every
 * connection passes the egress (private network) policy. The implementation is an undici `Agent`
 * (egress-agent.ts); the type here is Firehook's own, so the package's declarations do not pull in
 * undici's.
 */
import { createEgressAgent } from './egress-agent.ts';
import type { EgressDispatcher, EgressDispatcherOptions } from './egress-types.ts';

export type { EgressDispatcher, EgressDispatcherOptions } from './egress-types.ts';

/**
 * A keep-alive pool per origin whose every connection passes the egress policy (literal addresses
 * checked up front, host names on resolution; http and https only; redirects never followed).
 * Throws FH_EGRESS_INVALID_ALLOW when an allow-list entry is invalid.
 */
export const createEgressDispatcher: (options: EgressDispatcherOptions) => EgressDispatcher = createEgressAgent;
