import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AdminHttp } from '../admin/admin-http.ts';
import { parseGoDuration } from '../go/time.ts';
import type { Runtime } from '../runtime.ts';
import { eventIdempotencyKeys, readIdempotencyKey } from './idempotency.ts';
import { checkBrowserSafe, type ServerIdentity } from './ingest-guard.ts';
import { checkBoundAddress, checkListenLiteral, listenAddress } from './listen-guard.ts';
import { ingestFormat, IngestProblem, parseEvents } from './parse-events.ts';

/** Durable mode: how long a request waits for room in the handler queues before it is answered 429. */
const INGEST_QUEUE_WAIT_MS = 2_000;

export interface IngestServerOptions {
  /** `host:port`; port 0 picks a free one. */
  listen: string;
  secret: string;
  bodyLimit: number;
  /** Most events per request (default: the config's `ingest_max_events`). */
  maxEvents?: number;
  /** ms a request may take to arrive whole (default: the config's `ingest_read_timeout`). */
  readTimeoutMs?: number;
  /** Most open connections (default: the config's `ingest_max_connections`). */
  maxConnections?: number;
}

/**
 * The sidecar's HTTP server: `POST /v1/events` (one event, a JSON array or NDJSON),
 * `GET /healthz`, `GET /readyz`; and the management side (core/admin/admin-http.ts): the admin API
 * under `/v1/admin/`, `GET /metrics`, the web console at `/console` (`admin_secret` bearer, or
 * loopback clients only without it). Without `ingest_secret` it binds loopback addresses only and
 * refuses what a browser page could send (core/http/ingest-guard.ts).
 */
export class IngestServer {
  private readonly server: Server;
  private readonly admin: AdminHttp;
  private closed: Promise<void> | undefined;
  private identity: ServerIdentity | undefined;
  private readonly maxEvents: number;
  private readonly readTimeoutMs: number;

  constructor(
    private readonly runtime: Runtime,
    private readonly options: IngestServerOptions,
  ) {
    const [host] = splitListen(options.listen);
    checkListenLiteral(options.listen, host, options.secret);
    const config = runtime.config;
    this.maxEvents = options.maxEvents ?? config.ingest_max_events ?? 10_000;
    this.readTimeoutMs = options.readTimeoutMs ?? parseGoDuration(config.ingest_read_timeout ?? '10s') ?? 10_000;
    this.admin = new AdminHttp(runtime);
    // Node's own request timeout is the backstop (a raw 408) for slow headers and the admin side;
    // ingestion bodies get a coded 408 from readBody first.
    const requestTimeout = this.readTimeoutMs + 1_000;
    this.server = createServer(
      { requestTimeout, headersTimeout: Math.min(requestTimeout, 60_000), connectionsCheckingInterval: Math.min(1_000, requestTimeout) },
      (req, res) => void this.route(req, res),
    );
    this.server.keepAliveTimeout = 65_000;
    this.server.maxConnections = options.maxConnections ?? config.ingest_max_connections ?? 1024;
  }

  /** Start listening; resolves with the bound address. */
  async start(): Promise<AddressInfo> {
    const [host, port] = splitListen(this.options.listen);
    const bindTo = await listenAddress(this.options.listen, host, this.options.secret);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, bindTo, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address() as AddressInfo;
    try {
      checkBoundAddress(this.options.listen, address.address, this.options.secret);
    } catch (error) {
      await new Promise((resolve) => this.server.close(resolve));
      throw error;
    }
    this.identity = { listenHost: host, boundAddress: address.address, port: address.port };
    return address;
  }

  /** Stop accepting connections and close idle ones; idempotent. */
  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      this.admin.close();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    return this.closed;
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/healthz' && req.method === 'GET') return send(res, 200, { status: 'ok' });
      if (path === '/readyz' && req.method === 'GET') {
        const ready = await this.runtime.ready();
        return send(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', generation: this.runtime.generation().number });
      }
      if (path === '/v1/events') {
        if (req.method !== 'POST') return this.fail(req, res, 405, 'FH_INGEST_BAD_REQUEST', 'method not allowed; use POST', { allow: 'POST' });
        return await this.ingest(req, res);
      }
      if (AdminHttp.matches(path!)) return await this.admin.handle(req, res);
      const notFound = this.runtime.errors.renderSync({
        code: 404,
        message: 'Not Found',
        unknownRoute: true,
        requestContentType: req.headers['content-type'],
        request: { method: req.method, path, origin: req.socket.remoteAddress },
      });
      return reply(res, notFound);
    } catch (error) {
      this.runtime.logger.error({ err: error }, 'ingestion request failed');
      if (!res.headersSent) this.fail(req, res, 500, 'FH_INGEST_BAD_REQUEST', 'internal error');
    }
  }

  /** An error response from the error templates, with the Firehook code in a header. */
  private fail(req: IncomingMessage, res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
    req.resume();
    const rendered = this.runtime.errors.renderSync({ code: status, message, requestContentType: req.headers['content-type'] });
    reply(res, { ...rendered, headers: { ...rendered.headers, 'x-firehook-error-code': code, ...headers } });
  }

  private async ingest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.options.secret) {
      if (!this.authorized(req.headers.authorization))
        return this.fail(req, res, 401, 'FH_INGEST_UNAUTHORIZED', 'missing or wrong bearer token', { 'www-authenticate': 'Bearer' });
    } else {
      const refused = checkBrowserSafe(req, this.identity!);
      if (refused) return this.fail(req, res, refused.status, 'FH_INGEST_FORBIDDEN', refused.message, { connection: 'close' });
    }
    if (ingestFormat(req.headers['content-type'], this.options.secret !== '') === undefined) {
      const given =
        req.headers['content-type'] === undefined ? 'no content type' : `content type "${req.headers['content-type'].split(';')[0]!.trim().slice(0, 100)}"`;
      return this.fail(
        req,
        res,
        415,
        'FH_INGEST_UNSUPPORTED_MEDIA_TYPE',
        `unsupported ${given}; send application/json (or a +json type) or application/x-ndjson`,
        { accept: 'application/json, application/x-ndjson', connection: 'close' },
      );
    }
    const body = await readBody(req, this.options.bodyLimit, this.readTimeoutMs);
    if (body === TOO_LARGE) {
      return this.fail(req, res, 413, 'FH_INGEST_TOO_LARGE', `request body exceeds ${this.options.bodyLimit} bytes (ingest_body_limit)`, {
        connection: 'close',
      });
    }
    if (body === TIMED_OUT) {
      this.fail(req, res, 408, 'FH_INGEST_TIMEOUT', `request body not received within ${this.readTimeoutMs} ms (ingest_read_timeout)`, { connection: 'close' });
      return closeAfter(res);
    }
    let events;
    try {
      events = parseEvents(body, req.headers['content-type'] ?? '', { maxEvents: this.maxEvents });
    } catch (error) {
      if (!(error instanceof IngestProblem)) throw error;
      const where = [error.index !== undefined ? `event ${error.index}` : '', error.field !== undefined ? `field "${error.field}"` : '']
        .filter(Boolean)
        .join(', ');
      const headers: Record<string, string> = {};
      if (error.index !== undefined) headers['x-firehook-error-index'] = String(error.index);
      if (error.field !== undefined && /^[\x20-\x7e]{1,128}$/.test(error.field)) headers['x-firehook-error-field'] = error.field;
      if (error.status === 413)
        return this.fail(req, res, 413, 'FH_INGEST_TOO_LARGE', error.message, { 'x-firehook-error-limit': `ingest_max_events=${this.maxEvents}` });
      return this.fail(req, res, 400, 'FH_INGEST_BAD_REQUEST', where ? `${where}: ${error.message}` : error.message, headers);
    }
    const idempotency = readIdempotencyKey(req.headers['idempotency-key']);
    if ('error' in idempotency) return this.fail(req, res, 400, 'FH_INGEST_BAD_REQUEST', idempotency.error, { 'x-firehook-error-field': 'Idempotency-Key' });
    const keys = eventIdempotencyKeys(events, idempotency.key);
    const batch = events.map((e, i) => ({ apiId: e.apiId, type: e.type, meta: e.meta, time: e.time, idempotencyKey: keys[i] }));
    let unmatched = 0;
    if (this.runtime.durable) {
      // Durable mode: the batch goes to the handler queues whole, or nothing of it does (no drops),
      // and the answer comes once every handler has taken its events (webhook deliveries persisted).
      const admission = await this.runtime.admit(batch, INGEST_QUEUE_WAIT_MS);
      if (admission.status === 'too-large') {
        return this.fail(
          req,
          res,
          413,
          'FH_INGEST_TOO_LARGE',
          `the request has ${admission.events} events for handler ${admission.handler}, whose queue holds at most ${admission.capacity} (dispatch.queue_size); send smaller batches`,
        );
      }
      if (admission.status === 'busy') {
        this.runtime.logger.warn(
          { code: 'FH_INGEST_BUSY', handler: admission.handler, events: batch.length },
          'handler queues full; answering 429 before accepting anything',
        );
        return this.fail(req, res, 429, 'FH_INGEST_BUSY', 'handler queues are full; nothing was accepted; retry later', { 'retry-after': '1' });
      }
      const reports = await admission.reports;
      unmatched = reports.filter((r) => r.length === 0).length;
      const failed = reports.flat().filter((r) => r.status === 'failed' || r.status === 'dropped');
      // 202 promises the deliveries are in Redis: a delivery that could not be persisted, or an
      // event dropped by a full queue, makes the sender retry instead (at least once, not at most).
      // Deliveries of the batch already written keep their ids, so the retry does not write them again.
      const unsafe = failed.find((r) => r.status === 'dropped' || r.code === 'FH_DELIVERY_PERSIST_FAILED' || r.code === 'FH_STORE_UNAVAILABLE');
      if (unsafe) {
        const code = unsafe.status === 'dropped' ? 'FH_DISPATCH_DROPPED' : 'FH_STORE_UNAVAILABLE';
        this.runtime.logger.warn({ code, failed: failed.length }, 'ingested events not persisted; answering 503 so the sender retries');
        return this.fail(req, res, 503, code, 'events could not be persisted; retry later', { 'retry-after': '1' });
      }
      if (failed.length > 0) this.runtime.logger.warn({ failed: failed.length }, 'some handlers failed on ingested events');
    } else {
      for (const e of batch) if (this.runtime.fireKeyed(e) === 0) unmatched++;
    }
    send(res, 202, { accepted: events.length, unmatched });
  }

  private authorized(header: string | undefined): boolean {
    if (header === undefined || !header.startsWith('Bearer ')) return false;
    const given = Buffer.from(header.slice(7));
    const expected = Buffer.from(this.options.secret);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

const TOO_LARGE = Symbol('too large');
const TIMED_OUT = Symbol('timed out');

/** Read a body up to `limit` bytes within `timeoutMs`; TOO_LARGE when it is larger, TIMED_OUT when it is slower. */
function readBody(req: IncomingMessage, limit: number, timeoutMs: number): Promise<string | typeof TOO_LARGE | typeof TIMED_OUT> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(TOO_LARGE);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const timer = setTimeout(() => {
      req.off('data', onData);
      resolve(TIMED_OUT);
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) over = true;
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => {
      clearTimeout(timer);
      resolve(over ? TOO_LARGE : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Close the connection once the response is out: half-close first so the client reads it, then cut. */
function closeAfter(res: ServerResponse): void {
  res.once('finish', () => {
    const socket = res.socket ?? res.req.socket;
    socket.end();
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
}

function reply(res: ServerResponse, response: { status: number; headers: Record<string, string>; body: string }): void {
  res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
  res.end(response.body);
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Split `host:port` (IPv6 in brackets). */
function splitListen(listen: string): [string, number] {
  const i = listen.lastIndexOf(':');
  return [listen.slice(0, i).replace(/^\[|\]$/g, ''), Number(listen.slice(i + 1))];
}
