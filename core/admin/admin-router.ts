/**
 * The admin API under `/v1/admin/`: global webhooks (CRUD, test-fire), APIs and their handlers,
 * the delivery log, dead letters and replay. JSON in and out; every mutation is logged (without
 * secrets). Authentication happens before this router (admin-auth.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BUILTIN_EVENT_TYPES } from '../event.ts';
import type { AttemptRecord } from '../delivery/delivery-service.ts';
import type { Logger } from '../logger.ts';
import type { Runtime } from '../runtime.ts';
import { keepMaskedSecrets, maskSecrets, parseGlobalWebhook, type GlobalWebhookRecord } from '../global-webhooks/global-webhook.ts';
import { AdminHttpError, intParam, readJson, sendJson, strParam } from './http-util.ts';
import { describeApis, webhookReferences } from './api-listing.ts';

type Handler = (ctx: RouteContext) => Promise<void>;

interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: string[];
  query: URLSearchParams;
}

interface Route {
  method: string;
  path: string;
  pattern: RegExp;
  handler: Handler;
}

const SEGMENT = '([^/]+)';

export class AdminRouter {
  private readonly routes: Route[] = [];
  private readonly runtime: Runtime;
  private readonly logger: Logger;

  constructor(runtime: Runtime, logger: Logger) {
    this.runtime = runtime;
    this.logger = logger;
    const r = (method: string, path: string, handler: Handler): void => {
      this.routes.push({ method, path: `/v1/admin${path}`, pattern: new RegExp(`^/v1/admin${path.replace(/:[a-z]+/g, SEGMENT)}/?$`), handler });
    };
    r('GET', '', (c) => this.index(c));
    r('GET', '/status', (c) => this.status(c));
    r('GET', '/event-types', async (c) => sendJson(c.res, 200, { types: BUILTIN_EVENT_TYPES }));
    r('GET', '/apis', async (c) => sendJson(c.res, 200, describeApis(this.runtime)));
    r('GET', '/apis/:id', (c) => this.api(c));
    r('GET', '/apis/:id/attempts', (c) => this.attempts(c, { apiId: c.params[0] }));
    r('GET', '/webhooks', (c) => this.listWebhooks(c));
    r('POST', '/webhooks', (c) => this.createWebhook(c));
    r('GET', '/webhooks/:id', (c) => this.getWebhook(c));
    r('PUT', '/webhooks/:id', (c) => this.putWebhook(c));
    r('DELETE', '/webhooks/:id', (c) => this.deleteWebhook(c));
    r('POST', '/webhooks/:id/test', (c) => this.testWebhook(c));
    r('GET', '/webhooks/:id/attempts', (c) => this.webhookAttempts(c));
    r('GET', '/deliveries/attempts', (c) => this.attempts(c, {}));
    r('GET', '/deliveries/dead-letters', (c) => this.deadLetters(c));
    r('GET', '/deliveries/dead-letters/:id', (c) => this.deadLetter(c));
    r('POST', '/deliveries/dead-letters/:id/replay', (c) => this.replay(c, [c.params[0]!]));
    r('POST', '/deliveries/replay', (c) => this.replayMany(c));
  }

  /** Route one request; throws AdminHttpError for the caller to answer. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    let methodMismatch = false;
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.method !== req.method) {
        methodMismatch = true;
        continue;
      }
      const params = m.slice(1).map((p) => decodeURIComponent(p));
      return route.handler({ req, res, params, query });
    }
    req.resume();
    if (methodMismatch) throw new AdminHttpError(405, 'FH_ADMIN_BAD_REQUEST', `method ${req.method} not allowed on ${path}`);
    throw new AdminHttpError(404, 'FH_ADMIN_NOT_FOUND', `no admin route ${req.method} ${path}`);
  }

  private async index(c: RouteContext): Promise<void> {
    sendJson(c.res, 200, {
      routes: this.routes.map((r) => `${r.method} ${r.path || '/'}`).concat(['GET /v1/admin/events/stream', 'GET /metrics', 'GET /console']),
    });
  }

  private async status(c: RouteContext): Promise<void> {
    const stats = this.runtime.stats();
    sendJson(c.res, 200, {
      generation: stats.generation,
      store: this.runtime.store.kind,
      durable: this.runtime.durable,
      dispatch: stats.dispatch,
      handlers: stats.handlers.length,
      apis: this.runtime.generation().apis.length,
      deliveries: this.runtime.deliveries?.stats() ?? null,
      global_webhooks: { count: this.runtime.globalWebhooks.size(), store: this.runtime.globalWebhooks.kind },
      stream_listeners: this.runtime.eventStream.listeners,
    });
  }

  private async api(c: RouteContext): Promise<void> {
    const api = describeApis(this.runtime).apis.find((a) => a.api_id === c.params[0]);
    if (!api) throw new AdminHttpError(404, 'FH_ADMIN_NOT_FOUND', `no API "${c.params[0]}" in generation ${this.runtime.generation().number}`);
    sendJson(c.res, 200, api);
  }

  private async listWebhooks(c: RouteContext): Promise<void> {
    const all = await this.runtime.globalWebhooks.list({ includeDeleted: c.query.get('deleted') === 'true' });
    sendJson(c.res, 200, { webhooks: all.map((w) => ({ ...maskSecrets(w), references: webhookReferences(this.runtime, w.id) })) });
  }

  private async getWebhook(c: RouteContext): Promise<void> {
    const record = await this.live(c.params[0]!, true);
    sendJson(c.res, 200, { ...maskSecrets(record), references: webhookReferences(this.runtime, record.id) }, { etag: `"${record.revision}"` });
  }

  private async createWebhook(c: RouteContext): Promise<void> {
    const body = await readJson(c.req);
    const input =
      body !== null && typeof body === 'object' && !Array.isArray(body) && (body as { id?: unknown }).id === undefined
        ? { id: generatedId(), ...(body as object) }
        : body;
    const webhook = this.parse(input, undefined);
    const record = await this.runtime.globalWebhooks.create(webhook);
    this.audit(c, 'webhook.create', record);
    sendJson(c.res, 201, maskSecrets(record), { location: `/v1/admin/webhooks/${encodeURIComponent(record.id)}`, etag: `"${record.revision}"` });
  }

  private async putWebhook(c: RouteContext): Promise<void> {
    const id = c.params[0]!;
    const body = await readJson(c.req);
    if (
      body !== null &&
      typeof body === 'object' &&
      !Array.isArray(body) &&
      (body as { id?: unknown }).id !== undefined &&
      (body as { id?: unknown }).id !== id
    ) {
      throw new AdminHttpError(400, 'FH_ADMIN_BAD_REQUEST', 'invalid global webhook', [`/id: must equal the id in the path ("${id}")`]);
    }
    const previous = await this.runtime.globalWebhooks.lookup(id);
    const webhook = this.parse({ ...(body as object), id }, previous?.deleted ? undefined : previous);
    const { record, created } = await this.runtime.globalWebhooks.put(webhook, ifMatch(c.req));
    this.audit(c, created ? 'webhook.create' : 'webhook.update', record);
    sendJson(c.res, created ? 201 : 200, maskSecrets(record), { etag: `"${record.revision}"` });
  }

  private async deleteWebhook(c: RouteContext): Promise<void> {
    const id = c.params[0]!;
    const record = await this.runtime.globalWebhooks.remove(id, ifMatch(c.req));
    const references = webhookReferences(this.runtime, id);
    this.audit(c, 'webhook.delete', record, { references: references.length });
    sendJson(c.res, 200, {
      deleted: maskSecrets(record),
      references,
      note: references.length > 0 ? 'APIs referencing this webhook keep its last definition as a local webhook' : undefined,
    });
  }

  private async testWebhook(c: RouteContext): Promise<void> {
    const id = c.params[0]!;
    await this.live(id, false);
    const body = ((await readJson(c.req)) ?? {}) as { type?: unknown; api_id?: unknown; meta?: unknown; wait_ms?: unknown };
    const problems: string[] = [];
    if (body.type !== undefined && (typeof body.type !== 'string' || body.type === '')) problems.push('/type: must be a non-empty string');
    if (body.api_id !== undefined && typeof body.api_id !== 'string') problems.push('/api_id: must be a string');
    if (body.meta !== undefined && (body.meta === null || typeof body.meta !== 'object' || Array.isArray(body.meta))) problems.push('/meta: must be an object');
    if (body.wait_ms !== undefined && (typeof body.wait_ms !== 'number' || body.wait_ms < 0 || body.wait_ms > 60_000))
      problems.push('/wait_ms: must be a number of ms from 0 to 60000');
    if (problems.length > 0) throw new AdminHttpError(400, 'FH_ADMIN_BAD_REQUEST', 'invalid test-fire request', problems);
    const result = await this.runtime.testFire({
      webhookId: id,
      type: (body.type as string | undefined) ?? 'AuthFailure',
      ...(typeof body.api_id === 'string' ? { apiId: body.api_id } : {}),
      ...(body.meta ? { meta: body.meta as Record<string, unknown> } : {}),
      ...(typeof body.wait_ms === 'number' ? { waitMs: body.wait_ms } : {}),
    });
    this.audit(c, 'webhook.test', undefined, {
      id,
      type: result.event.type,
      delivery: result.deliveryId,
      ...(result.refusal ? { refused: result.refusal.range } : {}),
    });
    // Refused by the egress policy: nothing was sent; the refusal is the answer.
    if (result.refusal) throw new AdminHttpError(403, 'FH_EGRESS_DENIED', result.refusal.message, [`/url: ${result.refusal.message}`]);
    sendJson(c.res, 200, result);
  }

  private async webhookAttempts(c: RouteContext): Promise<void> {
    const id = c.params[0]!;
    const admin = this.deliveryAdmin();
    const limit = intParam(c.query.get('limit'), 100, 1000);
    const [own, tests] = await Promise.all([admin.attempts({ handler: id, limit }), admin.attempts({ handler: `test:${id}`, limit })]);
    sendJson(c.res, 200, { attempts: [...own, ...tests].sort((a, b) => b.at - a.at).slice(0, limit) });
  }

  private async attempts(c: RouteContext, fixed: { apiId?: string }): Promise<void> {
    const q = c.query;
    const attempts: AttemptRecord[] = await this.deliveryAdmin().attempts({
      ...fixed,
      ...(strParam(q, 'api_id') && fixed.apiId === undefined ? { apiId: strParam(q, 'api_id') } : {}),
      ...(strParam(q, 'handler') ? { handler: strParam(q, 'handler') } : {}),
      ...(strParam(q, 'event') ? { eventType: strParam(q, 'event') } : {}),
      ...(strParam(q, 'delivery') ? { deliveryId: strParam(q, 'delivery') } : {}),
      limit: intParam(q.get('limit'), 100, 1000),
    });
    sendJson(c.res, 200, { attempts });
  }

  private async deadLetters(c: RouteContext): Promise<void> {
    const q = c.query;
    const letters = await this.deliveryAdmin().deadLetters({
      ...(strParam(q, 'api_id') ? { apiId: strParam(q, 'api_id') } : {}),
      ...(strParam(q, 'handler') ? { handler: strParam(q, 'handler') } : {}),
      limit: intParam(q.get('limit'), 100, 1000),
    });
    sendJson(c.res, 200, { dead_letters: letters });
  }

  private async deadLetter(c: RouteContext): Promise<void> {
    const letter = await this.deliveryAdmin().deadLetter(c.params[0]!);
    if (!letter) throw new AdminHttpError(404, 'FH_DELIVERY_NOT_FOUND', `no dead letter "${c.params[0]}"`);
    const attempts = await this.deliveryAdmin().attempts({ deliveryId: letter.id, limit: 50 });
    sendJson(c.res, 200, { ...letter, attempts });
  }

  private async replay(c: RouteContext, ids: string[]): Promise<void> {
    await readJson(c.req);
    const result = await this.deliveryAdmin().replay(ids);
    this.audit(c, 'deliveries.replay', undefined, { ids: result.replayed, missing: result.missing });
    if (result.replayed.length === 0) throw new AdminHttpError(404, 'FH_DELIVERY_NOT_FOUND', `no dead letter "${ids[0]}"`);
    sendJson(c.res, 200, result);
  }

  private async replayMany(c: RouteContext): Promise<void> {
    const body = (await readJson(c.req)) as { ids?: unknown; all?: unknown; handler?: unknown; api_id?: unknown } | undefined;
    const admin = this.deliveryAdmin();
    if (body && Array.isArray(body.ids) && body.ids.length > 0 && body.ids.every((i) => typeof i === 'string' && i !== '')) {
      const result = await admin.replay(body.ids as string[]);
      this.audit(c, 'deliveries.replay', undefined, { ids: result.replayed, missing: result.missing });
      return sendJson(c.res, 200, result);
    }
    if (
      body &&
      body.all === true &&
      (body.handler === undefined || typeof body.handler === 'string') &&
      (body.api_id === undefined || typeof body.api_id === 'string')
    ) {
      const query = { ...(body.handler ? { handler: body.handler as string } : {}), ...(body.api_id ? { apiId: body.api_id as string } : {}) };
      const result = await admin.replayAll(query);
      this.audit(c, 'deliveries.replay_all', undefined, { ...query, replayed: result.replayed });
      return sendJson(c.res, 200, result);
    }
    throw new AdminHttpError(400, 'FH_ADMIN_BAD_REQUEST', 'send {"ids": ["<dead letter id>", ...]} or {"all": true, "handler"?: "...", "api_id"?: "..."}', [
      '/ids: must be a non-empty array of dead letter ids (or set /all to true)',
    ]);
  }

  private deliveryAdmin() {
    const engine = this.runtime.deliveries;
    if (!engine) throw new AdminHttpError(501, 'FH_ADMIN_NOT_FOUND', 'this runtime was given its own delivery service; there is no delivery log here');
    return engine.admin;
  }

  private async live(id: string, allowDeleted: boolean): Promise<GlobalWebhookRecord> {
    const record = await this.runtime.globalWebhooks.lookup(id);
    if (!record || (record.deleted && !allowDeleted)) throw new AdminHttpError(404, 'FH_GLOBAL_WEBHOOK_NOT_FOUND', `no global webhook "${id}"`);
    return record;
  }

  private parse(body: unknown, previous: GlobalWebhookRecord | undefined) {
    const { webhook, problems } = parseGlobalWebhook(body, 'request', '', this.runtime.config.webhooks);
    if (!webhook)
      throw new AdminHttpError(
        400,
        'FH_GLOBAL_WEBHOOK_INVALID',
        'invalid global webhook',
        problems.map((p) => `${p.pointer}: ${p.message}`),
      );
    const kept = keepMaskedSecrets(webhook, previous);
    if (kept.problems.length > 0) throw new AdminHttpError(400, 'FH_GLOBAL_WEBHOOK_INVALID', 'invalid global webhook', kept.problems);
    return kept.webhook;
  }

  private audit(c: RouteContext, action: string, record: GlobalWebhookRecord | undefined, extra: Record<string, unknown> = {}): void {
    this.logger.info(
      {
        action,
        remote: c.req.socket.remoteAddress,
        ...(record ? { webhook: record.id, revision: record.revision, url: record.url.replace(/\?.*$/, '') } : {}),
        ...extra,
      },
      `admin: ${action}`,
    );
  }
}

function ifMatch(req: IncomingMessage): number | undefined {
  const header = req.headers['if-match'];
  if (header === undefined) return undefined;
  const n = Number(header.replace(/^W\//, '').replace(/"/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new AdminHttpError(400, 'FH_ADMIN_BAD_REQUEST', `If-Match must be a revision number (got ${header})`);
  return n;
}

function generatedId(): string {
  return `wh_${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`;
}
