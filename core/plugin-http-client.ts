/**
 * The HTTP client handler plugins get as `ctx.http`: every connection passes the private-network
 * policy of the gateway's `webhooks` settings (`deny_private_networks`, `allow_networks`, checked
 * on the address actually dialled), redirects are never followed, each exchange has a deadline and
 * response bodies are read only up to a cap. One client per runtime; it follows reloads of the
 * gateway config (a policy change gets a fresh connection pool, the old one drains).
 */
import type { LookupFunction } from 'node:net';
import { request, type Dispatcher } from 'undici';
import type { GatewayConfig } from './config/gateway-config.ts';
import { FirehookError } from './errors/firehook-error.ts';
import { parseGoDuration } from './go/time.ts';
import { createEgressAgent } from './net/egress-agent.ts';
import type { EgressDispatcher } from './net/egress-dispatcher.ts';

export interface PluginHttpRequestInit {
  /** Upper-cased; default `GET`. */
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Deadline for the whole exchange (connect, headers, body), ms. Default: the gateway's `webhooks.timeout`, else 30 s. */
  timeoutMs?: number;
  /** Bytes of response body kept; the rest is discarded unread and `truncated` is set. Default 1 MiB. */
  maxResponseBytes?: number;
  /** Abort early; the rejection is the signal's reason. */
  signal?: AbortSignal;
}

export interface PluginHttpResponse {
  status: number;
  /** Lower-case names; repeated fields joined with `, `. */
  headers: Record<string, string>;
  /** The body as UTF-8, at most `maxResponseBytes` of it. */
  body: string;
  /** True when the body was cut at `maxResponseBytes`. */
  truncated: boolean;
}

/**
 * `ctx.http`. `request` rejects with FH_HTTP_INVALID (bad URL or method), FH_EGRESS_DENIED (the
 * policy refused the address), FH_HTTP_TIMEOUT or FH_HTTP_FAILED (network error; `cause` set).
 */
export interface PluginHttpClient {
  request(url: string | URL, init?: PluginHttpRequestInit): Promise<PluginHttpResponse>;
  /**
   * The dispatcher enforcing the policy in force now, for code that wants undici's own API
   * (`undici.request(url, {dispatcher})`, `fetch(url, {dispatcher})`; it is an undici `Dispatcher`
   * at runtime, see `EgressDispatcher`). Redirects are not followed.
   */
  readonly dispatcher: EgressDispatcher;
}

export interface ManagedPluginHttpClient extends PluginHttpClient {
  /** Close the connection pools (in-flight requests finish first). Idempotent. */
  close(): Promise<void>;
}

export interface PluginHttpClientOptions {
  /** The gateway config in force (read on each request, so reloads apply). */
  gateway: () => Readonly<GatewayConfig>;
  /** Connections per origin. Default 16. */
  connections?: number;
  /** Resolver instead of `dns.lookup` (its answers are still checked). */
  lookup?: LookupFunction;
}

export const DEFAULT_PLUGIN_HTTP_TIMEOUT_MS = 30_000;
export const DEFAULT_PLUGIN_HTTP_MAX_RESPONSE_BYTES = 1 << 20;

const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Build the runtime's plugin HTTP client. */
export function createPluginHttpClient(options: PluginHttpClientOptions): ManagedPluginHttpClient {
  let current: { key: string; dispatcher: Dispatcher } | undefined;
  let closed = false;

  const dispatcher = (): Dispatcher => {
    if (closed) throw new FirehookError('FH_HTTP_FAILED', 'the plugin HTTP client is closed');
    const webhooks = options.gateway().webhooks ?? {};
    const policy = { denyPrivateNetworks: webhooks.deny_private_networks ?? false, allowNetworks: [...(webhooks.allow_networks ?? [])] };
    const key = JSON.stringify(policy);
    if (current?.key !== key) {
      const previous = current?.dispatcher;
      current = {
        key,
        dispatcher: createEgressAgent({ ...policy, connections: options.connections ?? 16, ...(options.lookup ? { lookup: options.lookup } : {}) }),
      };
      void previous?.close().catch(() => undefined);
    }
    return current.dispatcher;
  };

  const defaultTimeout = (): number => {
    const text = options.gateway().webhooks?.timeout;
    const ms = typeof text === 'string' && text !== '' ? parseGoDuration(text) : undefined;
    return ms !== undefined && ms > 0 ? ms : DEFAULT_PLUGIN_HTTP_TIMEOUT_MS;
  };

  return {
    get dispatcher() {
      return dispatcher();
    },
    async request(url, init = {}) {
      const target = checkUrl(url);
      const method = (init.method ?? 'GET').toUpperCase();
      if (!METHOD.test(method)) throw new FirehookError('FH_HTTP_INVALID', `method ${JSON.stringify(method.slice(0, 20))} is not an HTTP token`);
      const timeoutMs = init.timeoutMs ?? defaultTimeout();
      const maxBytes = init.maxResponseBytes ?? DEFAULT_PLUGIN_HTTP_MAX_RESPONSE_BYTES;
      const deadline = AbortSignal.timeout(timeoutMs);
      const signal = init.signal ? AbortSignal.any([deadline, init.signal]) : deadline;
      try {
        const res = await request(target, {
          method: method as Dispatcher.HttpMethod,
          headers: init.headers ?? {},
          body: init.body ?? null,
          dispatcher: dispatcher(),
          signal,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          const room = maxBytes - size;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            size += room;
            truncated = true;
            res.body.destroy();
            break;
          }
          chunks.push(chunk);
          size += chunk.length;
        }
        return { status: res.statusCode, headers: flatHeaders(res.headers), body: Buffer.concat(chunks, size).toString('utf8'), truncated };
      } catch (error) {
        if (init.signal?.aborted) throw init.signal.reason;
        if (deadline.aborted) throw new FirehookError('FH_HTTP_TIMEOUT', `${method} ${target.origin}: no complete response within ${timeoutMs} ms`);
        if ((error as { code?: unknown }).code === 'FH_EGRESS_DENIED') throw error;
        const code = (error as { code?: unknown }).code;
        throw new FirehookError(
          'FH_HTTP_FAILED',
          `${method} ${target.origin} failed${typeof code === 'string' ? ` (${code})` : ''}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      const last = current?.dispatcher;
      current = undefined;
      await last?.close().catch(() => undefined);
    },
  };
}

/** Only absolute http(s) URLs; the error names the origin at most (paths and queries may hold secrets). */
function checkUrl(url: string | URL): URL {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    throw new FirehookError('FH_HTTP_INVALID', 'the URL does not parse');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new FirehookError('FH_HTTP_INVALID', `protocol ${parsed.protocol} is not http or https`);
  return parsed;
}

function flatHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
