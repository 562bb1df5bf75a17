/**
 * One HTTP attempt through an undici dispatcher: the configured timeout, no redirects followed, the
 * response body read up to a bound (the rest discarded with the connection).
 *
 * Uses undici's dispatch handler API rather than `request()`: an attempt only needs the status,
 * the headers and the start of the body, so it collects chunks as they arrive instead of building
 * a readable stream, an async resource and a body-reading promise per response (about a tenth of
 * a delivery's CPU at full rate). The handler API is undici's low-level contract; undici is pinned,
 * and the tests in test/core/delivery/http-attempt.test.ts pin down every path it takes here.
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
 * Send one attempt. Never throws: failures come back in `error`. A native timer bounds the whole
 * attempt, whatever its length: the dispatcher's headers/body timeouts only start once the request
 * is written, so they cannot bound the time spent waiting for a free connection or connecting (an
 * attempt queued behind a busy or dying connection would otherwise outlive its timeout, and hold
 * its target's concurrency slot, for as long as the queue ahead of it takes).
 */
export function sendAttempt(dispatcher: Dispatcher, request: AttemptRequest, timeoutMs: number, bodyLimit: number): Promise<AttemptResponse> {
  return new Promise((resolve) => {
    const attempt = new Attempt(resolve, bodyLimit, timeoutMs);
    try {
      dispatcher.dispatch(
        { origin: request.origin, path: request.path, method: request.method as Dispatcher.HttpMethod, headers: request.headers, body: request.body ?? null },
        attempt,
      );
    } catch (error) {
      attempt.onResponseError(null, error as Error);
    }
  });
}

type Controller = Dispatcher.DispatchController;

/** The dispatch handler of one attempt; settles its promise exactly once. */
class Attempt implements Dispatcher.DispatchHandler {
  private readonly resolve: (response: AttemptResponse) => void;
  private readonly bodyLimit: number;
  private readonly started = performance.now();
  private controller: Controller | null = null;
  private timer: NodeJS.Timeout | undefined;
  private settled = false;
  private statusCode = 0;
  private headers: IncomingHttpHeaders | undefined;
  private chunks: Buffer[] | undefined;
  private first: Buffer | undefined;
  private size = 0;

  constructor(resolve: (response: AttemptResponse) => void, bodyLimit: number, timeoutMs: number) {
    this.resolve = resolve;
    this.bodyLimit = bodyLimit;
    this.timer = setTimeout(() => this.timeout(timeoutMs), timeoutMs);
  }

  onRequestStart(controller: Controller): void {
    // Timed out while waiting for a connection: the request leaves as soon as it starts.
    if (this.settled) controller.abort(new Error('attempt abandoned'));
    else this.controller = controller;
  }

  onResponseStart(_controller: Controller, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return; // 1xx informational: the real response follows
    this.statusCode = statusCode;
    this.headers = headers;
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.settled) return;
    if (this.size < this.bodyLimit) {
      const kept = this.size + chunk.length > this.bodyLimit ? chunk.subarray(0, this.bodyLimit - this.size) : chunk;
      if (this.first === undefined) this.first = kept;
      else (this.chunks ??= [this.first]).push(kept);
    }
    this.size += chunk.length;
    // Past the bound: keep what arrived, drop the rest with the connection.
    if (this.size > this.bodyLimit) {
      this.succeed();
      controller.abort(new Error('response body not read further'));
    }
  }

  onResponseEnd(): void {
    this.succeed();
  }

  onResponseError(_controller: Controller | null, error: Error): void {
    // A body cut short still leaves the status code as the verdict.
    if (this.statusCode !== 0) {
      this.succeed();
      return;
    }
    const e = error as { code?: string; message?: string; name?: string };
    this.settle({ error: { code: e.code ?? e.name ?? 'ERR_UNKNOWN', message: String(e.message ?? error) }, durationMs: performance.now() - this.started });
  }

  private timeout(timeoutMs: number): void {
    this.timer = undefined;
    if (this.settled) return;
    const error = Object.assign(new Error(`attempt timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
    if (this.statusCode !== 0) this.succeed();
    else this.settle({ error: { code: 'ETIMEDOUT', message: error.message }, durationMs: performance.now() - this.started });
    this.controller?.abort(error);
  }

  private succeed(): void {
    if (this.settled) return;
    let body = '';
    if (this.chunks) body = Buffer.concat(this.chunks).toString('utf8');
    else if (this.first) body = this.first.toString('utf8');
    this.settle({ statusCode: this.statusCode, headers: this.headers, body, durationMs: performance.now() - this.started });
  }

  private settle(response: AttemptResponse): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.resolve(response);
  }
}
