/**
 * Observes webhook delivery attempts through undici's diagnostics channels, without touching the
 * delivery engine: a request carrying a `webhook-id` header (every delivery attempt sends one) is
 * timed from creation to its response headers or its error. Process-wide: every runtime in the
 * process shares the channels, so each probe sees every runtime's attempts.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

export interface AttemptObservation {
  /** Target origin host (`host:port`). */
  host: string;
  /** `2xx` ... `5xx`, or `error`. */
  outcome: string;
  /** Error code when `outcome` is `error` (`ECONNREFUSED`, `UND_ERR_HEADERS_TIMEOUT`, `FH_EGRESS_DENIED`...). */
  code: string | undefined;
  seconds: number;
}

interface UndiciRequest {
  origin?: unknown;
  headers?: unknown;
}

const CREATE = 'undici:request:create';
const HEADERS = 'undici:request:headers';
const ERROR = 'undici:request:error';

function isDelivery(request: UndiciRequest): boolean {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (headers[i] === 'webhook-id') return true;
    return false;
  }
  return typeof headers === 'string' && /(^|\r\n)webhook-id:/i.test(headers);
}

function hostOf(origin: unknown): string {
  try {
    return new URL(String(origin)).host;
  } catch {
    return 'unknown';
  }
}

/** Start observing; returns the function that stops it. */
export function probeDeliveryAttempts(onAttempt: (observation: AttemptObservation) => void): () => void {
  const started = new WeakMap<object, number>();
  const onCreate = (message: unknown): void => {
    const request = (message as { request: UndiciRequest }).request;
    if (isDelivery(request)) started.set(request, performance.now());
  };
  const finish = (request: UndiciRequest, outcome: string, code: string | undefined): void => {
    const at = started.get(request);
    if (at === undefined) return;
    started.delete(request);
    onAttempt({ host: hostOf(request.origin), outcome, code, seconds: (performance.now() - at) / 1000 });
  };
  const onHeaders = (message: unknown): void => {
    const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
    finish(request, `${Math.floor(response.statusCode / 100)}xx`, undefined);
  };
  const onError = (message: unknown): void => {
    const { request, error } = message as { request: UndiciRequest; error: { code?: unknown; name?: unknown } };
    const code = typeof error?.code === 'string' ? error.code : typeof error?.name === 'string' ? error.name : 'Error';
    finish(request, 'error', code);
  };
  subscribe(CREATE, onCreate);
  subscribe(HEADERS, onHeaders);
  subscribe(ERROR, onError);
  return () => {
    unsubscribe(CREATE, onCreate);
    unsubscribe(HEADERS, onHeaders);
    unsubscribe(ERROR, onError);
  };
}
