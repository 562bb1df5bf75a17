/**
 * The management side of the HTTP server: `/v1/admin/*` (JSON API and the live event stream),
 * `/metrics` (Prometheus) and `/console` (the web console's static files). One gate for all:
 * `admin_secret` as a bearer token, or loopback clients only without it. The console's static
 * files carry no data, so with a secret they are served without one (the page asks for it).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize } from 'node:path';
import type { Runtime } from '../runtime.ts';
import { packageRoot } from '../package-root.ts';
import { checkAdminAccess } from './admin-auth.ts';
import { AdminRouter } from './admin-router.ts';
import { MAX_STREAMS } from '../dispatch/event-stream.ts';
import { AdminHttpError, sendError } from './http-util.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

/** Security headers for the console: no framing, no inline scripts, same-origin only. */
const CONSOLE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export interface AdminHttpOptions {
  /** Directory of the built console (default `<package>/dist/console`). */
  consoleDir?: string;
}

export class AdminHttp {
  private readonly runtime: Runtime;
  private readonly router: AdminRouter;
  private readonly consoleDir: string;

  constructor(runtime: Runtime, options: AdminHttpOptions = {}) {
    this.runtime = runtime;
    this.router = new AdminRouter(runtime, runtime.logger.child({ component: 'admin' }));
    this.consoleDir = options.consoleDir ?? join(packageRoot(), 'dist/console');
  }

  /** Paths this layer answers. */
  static matches(path: string): boolean {
    return path === '/metrics' || path === '/v1/admin' || path.startsWith('/v1/admin/') || path === '/console' || path.startsWith('/console/');
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://firehook.invalid');
    const path = url.pathname;
    const secret = this.runtime.config.admin_secret ?? '';
    try {
      if (path === '/metrics') return await this.metrics(req, res, secret);
      if (path === '/console' || path.startsWith('/console/')) return await this.console(req, res, path, secret);
      const gate = checkAdminAccess(req, secret);
      if (!gate.ok) {
        req.resume();
        return sendError(res, gate.status, gate.code, gate.message, [], gate.status === 401 ? { 'www-authenticate': 'Bearer realm="firehook-admin"' } : {});
      }
      if (path === '/v1/admin/events/stream' && req.method === 'GET') return this.stream(req, res, url.searchParams);
      await this.router.handle(req, res, path, url.searchParams);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof AdminHttpError) return sendError(res, error.status, error.code, error.message, error.problems);
      const code = (error as { code?: unknown }).code;
      if (code === 'FH_GLOBAL_WEBHOOK_CONFLICT') return sendError(res, 409, code, (error as Error).message);
      if (code === 'FH_GLOBAL_WEBHOOK_NOT_FOUND' || code === 'FH_DELIVERY_NOT_FOUND') return sendError(res, 404, code, (error as Error).message);
      if (code === 'FH_STORE_UNAVAILABLE') return sendError(res, 503, code, (error as Error).message);
      this.runtime.logger.error({ err: error, path }, 'admin request failed');
      sendError(res, 500, typeof code === 'string' ? code : 'FH_ADMIN_BAD_REQUEST', 'internal error');
    }
  }

  /** End live streams so the server can close. */
  close(): void {
    this.runtime.eventStream.close();
  }

  private stream(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): void {
    const apiId = query.get('api_id') ?? undefined;
    const type = query.get('type') ?? undefined;
    const kind = req.headers['x-firehook-client'] === 'console' ? 'console' : 'api';
    if (!this.runtime.eventStream.attach(req, res, { ...(apiId ? { apiId } : {}), ...(type ? { type } : {}) }, kind)) {
      sendError(res, 503, 'FH_ADMIN_STREAMS_FULL', `too many live event streams (${MAX_STREAMS} open); close one or retry later`, [], { 'retry-after': '5' });
    }
  }

  private async metrics(req: IncomingMessage, res: ServerResponse, secret: string): Promise<void> {
    req.resume();
    const metrics = this.runtime.metrics;
    if (!metrics) return sendError(res, 404, 'FH_ADMIN_NOT_FOUND', 'metrics are disabled (metrics.enabled: false)');
    if (!metrics.config.public) {
      const gate = checkAdminAccess(req, secret);
      if (!gate.ok) return sendError(res, gate.status, gate.code, gate.message);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'FH_ADMIN_BAD_REQUEST', 'use GET', [], { allow: 'GET' });
    const { contentType, body } = await metrics.render();
    res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async console(req: IncomingMessage, res: ServerResponse, path: string, secret: string): Promise<void> {
    req.resume();
    const gate = checkAdminAccess(req, secret, false);
    if (!gate.ok) return sendError(res, gate.status, gate.code, gate.message);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendError(res, 405, 'FH_ADMIN_BAD_REQUEST', 'use GET', [], { allow: 'GET' });
    if (path === '/console') {
      res.writeHead(308, { location: '/console/' });
      return void res.end();
    }
    const relative = path.slice('/console/'.length) || 'index.html';
    const file = normalize(join(this.consoleDir, relative));
    if (!file.startsWith(this.consoleDir) || relative.includes('..')) return sendError(res, 404, 'FH_ADMIN_NOT_FOUND', 'not found');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      // client-side routes (#/...) all load the page; anything with an extension is a missing asset
      if (extname(relative) !== '')
        return sendError(res, 404, 'FH_ADMIN_NOT_FOUND', `no console asset ${relative}${relative === 'app.js' ? ' (run npm run build)' : ''}`);
      try {
        body = await readFile(join(this.consoleDir, 'index.html'));
      } catch {
        return sendError(res, 503, 'FH_ADMIN_NOT_FOUND', 'the console is not built; run npm run build');
      }
      return this.asset(res, req, body, '.html');
    }
    return this.asset(res, req, body, extname(file));
  }

  private asset(res: ServerResponse, req: IncomingMessage, body: Buffer, ext: string): void {
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream',
      'content-length': body.length,
      'cache-control': 'no-cache',
      ...CONSOLE_HEADERS,
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}
