/** The egress dispatcher's own types, apart from its undici implementation (egress-agent.ts). */
import type { LookupFunction } from 'node:net';
import type { EgressPolicyOptions } from './egress-policy.ts';

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

/**
 * A keep-alive connection pool that enforces the egress policy on every connection it opens.
 * At runtime it is an undici `Dispatcher` (an `Agent`): code that wants undici's own API passes it
 * as `dispatcher` to `undici.request` or `fetch`, typed with its own undici import, e.g.
 * `request(url, { dispatcher: egress as import('undici').Dispatcher })`.
 */
export interface EgressDispatcher {
  /** Let requests in flight finish, then close every connection. */
  close(): Promise<void>;
  /** Abort requests in flight and close every connection now. */
  destroy(): Promise<void>;
}
