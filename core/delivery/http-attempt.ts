/**
 * One HTTP attempt through an undici dispatcher: the configured timeout, no redirects followed, the
 * response body read up to a bound (the rest discarded with the connection).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

export interface AttemptRequest {
  origin: string;
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export interface AttemptResponse {
  statusCode?: number;
  headers?: IncomingHttpHeaders;
  /** The first `bodyLimit` bytes of the response body, as UTF-8. */
  body?: string;
  /** Set when no response arrived: the error code and message. */
  error?: { code: string; message: string };
  durationMs: number;
}

/**
 * Below this a native timer bounds the whole attempt precisely; above it the dispatcher's
 * headers/body timeouts (set to the same value, undici's coarse timers: up to ~1 s late) do,
 * saving a timer and an abort signal per request on the hot path.
 */
const PRECISE_TIMEOUT_BELOW_MS = 5_000;

/** Send one attempt. Never throws: failures come back in `error`. */
export async function sendAttempt(dispatcher: Dispatcher, request: AttemptRequest, timeoutMs: number, bodyLimit: number): Promise<AttemptResponse> {
  const started = performance.now();
  let abort: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  if (timeoutMs < PRECISE_TIMEOUT_BELOW_MS) {
    const controller = new AbortController();
    abort = controller;
    timer = setTimeout(() => controller.abort(Object.assign(new Error(`attempt timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
  }
  try {
    const options: Dispatcher.RequestOptions = {
      origin: request.origin,
      path: request.path,
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers,
      body: request.body ?? null,
    };
    if (abort) options.signal = abort.signal;
    const response = await dispatcher.request(options);
    const body = await readBounded(response, bodyLimit, started + timeoutMs);
    return { statusCode: response.statusCode, headers: response.headers, body, durationMs: performance.now() - started };
  } catch (error) {
    const e = error as { code?: string; message?: string; name?: string };
    return {
      error: { code: e.code ?? e.name ?? 'ERR_UNKNOWN', message: String(e.message ?? error) },
      durationMs: performance.now() - started,
    };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Read at most `limit` bytes; the rest is dropped with the socket. A body cut short keeps what arrived. */
function readBounded(response: Dispatcher.ResponseData, limit: number, deadline: number): Promise<string> {
  const length = Number(response.headers['content-length']);
  if (length === 0) return response.body.dump().then(() => '', () => '');
  if (length > 0 && length <= limit) return response.body.text().catch(() => '');
  return readSlowly(response.body, limit, deadline);
}

async function readSlowly(body: Dispatcher.ResponseData['body'], limit: number, deadline: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size < limit) chunks.push(size + chunk.length > limit ? chunk.subarray(0, limit - size) : chunk);
      size += chunk.length;
      if (size > limit || performance.now() > deadline) break;
    }
  } catch {
    // A body cut short still leaves the status code as the verdict.
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}
