/**
 * One HTTP attempt through an undici dispatcher: the configured timeout for headers and body, no
 * redirects followed, the response body read up to a bound (the rest discarded).
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
 * Send one attempt. Never throws: failures come back in `error`. `timeoutMs` bounds the whole
 * exchange (connect, headers, body) with a native timer; undici's own coarse timers are a backstop.
 */
export async function sendAttempt(dispatcher: Dispatcher, request: AttemptRequest, timeoutMs: number, bodyLimit: number): Promise<AttemptResponse> {
  const started = performance.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(Object.assign(new Error(`attempt timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
  try {
    const response = await dispatcher.request({
      origin: request.origin,
      path: request.path,
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers,
      body: request.body ?? null,
      signal: abort.signal,
      headersTimeout: timeoutMs + 1_000,
      bodyTimeout: timeoutMs + 1_000,
    });
    const body = await readBounded(response.body, bodyLimit);
    return { statusCode: response.statusCode, headers: response.headers, body, durationMs: performance.now() - started };
  } catch (error) {
    const e = error as { code?: string; message?: string; name?: string };
    return {
      error: { code: e.code ?? e.name ?? 'ERR_UNKNOWN', message: String(e.message ?? error) },
      durationMs: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Read at most `limit` bytes; the rest is dropped with the socket. A body cut by the timeout keeps what arrived. */
async function readBounded(body: Dispatcher.ResponseData['body'], limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      if (size < limit) {
        const room = limit - size;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      }
      size += chunk.length;
      if (size > limit) break;
    }
  } catch {
    // A body cut short still leaves the status code as the verdict.
  }
  if (!body.destroyed && size > limit) body.destroy();
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}
