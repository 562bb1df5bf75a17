/**
 * The host side of the bindings that reach the outside world. Every call is validated again here
 * (the isolate's checks are a first line only), scoped by the host (the event's organisation,
 * never a value the script supplies), bounded in time, and answered with a reply envelope:
 * `v<json primitive>`, `u` (undefined) or `e<short message>` (thrown in the script).
 */
import { batchUnit, sendRequest, tykBatch, tykRequest, tykResponse, type HttpResult, type OutboundRequest } from './host-http.ts';
import { STORAGE_LIMITS } from './limits.ts';
import {
  bindingOf,
  HOST_OPS,
  REPLY_TEXT,
  thrownReply as thrown,
  UNDEFINED_REPLY as UNDEFINED,
  valueReply as value,
  type HostOp,
} from '../shared/host-ops-table.ts';
import { isRecord, parseSafeJson, UnsafeJsonError } from './safe-json.ts';
import type { SandboxHost, SandboxLimits, SandboxScope, SandboxSession } from './types.ts';

/** Per-invocation state and attribution for one host call. */
export interface HostCallContext {
  scope: SandboxScope;
  /** Outbound requests made so far by this invocation. */
  http: number;
  /** A warning line attributed to the handler (never shown to the script). */
  warn(message: string): void;
}

const NOT_FOUND = REPLY_TEXT.keyNotFound;

type OpHandler = (args: unknown[], ctx: HostCallContext) => Promise<string>;

class HostTimeout extends Error {}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HostTimeout()), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export class HostOps {
  private httpInFlight = 0;
  private readonly httpWaiters: Array<() => void> = [];
  private readonly host: SandboxHost;
  private readonly limits: SandboxLimits;

  /** One handler per op of the table (shared/host-ops-table.ts): the type admits no more, no fewer. */
  private readonly handlers: { readonly [K in HostOp]: OpHandler } = {
    [HOST_OPS.TykGetKeyData]: (args, ctx) => this.getKey(args[0], ctx),
    [HOST_OPS.TykSetKeyData]: (args, ctx) => this.setKey(args[0], args[1], args[2], ctx),
    [HOST_OPS.TykMakeHttpRequest]: (args, ctx) => this.http(args[0], ctx),
    [HOST_OPS.TykBatchRequest]: (args, ctx) => this.batch(args[0], ctx),
    [HOST_OPS.TykStorageSet]: (args, ctx) => this.storage(HOST_OPS.TykStorageSet, args, ctx),
    [HOST_OPS.TykStorageGet]: (args, ctx) => this.storage(HOST_OPS.TykStorageGet, args, ctx),
    [HOST_OPS.TykStorageSetNX]: (args, ctx) => this.storage(HOST_OPS.TykStorageSetNX, args, ctx),
    [HOST_OPS.TykStorageDel]: (args, ctx) => this.storage(HOST_OPS.TykStorageDel, args, ctx),
    [HOST_OPS.TykStorageTTL]: (args, ctx) => this.storage(HOST_OPS.TykStorageTTL, args, ctx),
    [HOST_OPS.TykStorageIncr]: (args, ctx) => this.storage(HOST_OPS.TykStorageIncr, args, ctx),
  };

  constructor(host: SandboxHost, limits: SandboxLimits) {
    this.host = host;
    this.limits = limits;
  }

  /** The ops this host answers (the keys of its handler table). */
  get handledOps(): string[] {
    return Object.keys(this.handlers);
  }

  async call(op: string, args: unknown[], ctx: HostCallContext): Promise<string> {
    try {
      const handler = Object.hasOwn(this.handlers, op) ? this.handlers[op as HostOp] : undefined;
      if (handler === undefined) return thrown(`${REPLY_TEXT.unknownOp}${String(op).slice(0, 40)}`);
      return await handler(args, ctx);
    } catch (error) {
      if (error instanceof StorageUnavailable) return thrown(`${error.message}${REPLY_TEXT.storageUnavailable}`);
      return thrown(`${op}${REPLY_TEXT.hostCallFailed}`);
    }
  }

  private async getKey(key: unknown, ctx: HostCallContext): Promise<string> {
    if (typeof key !== 'string' || key.length === 0 || key.length > 1024) return value(NOT_FOUND);
    let session: SandboxSession | undefined;
    try {
      session = await withTimeout(this.host.sessions.get(key), this.limits.storageTimeoutMs);
    } catch (error) {
      // A key the store refuses (too long, control characters) cannot exist.
      if ((error as { code?: unknown })?.code === 'FH_SESSION_KEY_INVALID') return value(NOT_FOUND);
      ctx.warn('TykGetKeyData: the session store did not answer');
      return value(REPLY_TEXT.sessionStoreUnavailable);
    }
    if (session === undefined || !inScope(session, ctx.scope)) return value(NOT_FOUND);
    return value(JSON.stringify(session));
  }

  private async setKey(key: unknown, json: unknown, suppress: unknown, ctx: HostCallContext): Promise<string> {
    if (typeof key !== 'string' || key.length === 0 || key.length > 1024 || typeof json !== 'string') {
      ctx.warn('TykSetKeyData: invalid key or session');
      return UNDEFINED;
    }
    let session: unknown;
    try {
      session = parseSafeJson(json, { maxChars: this.limits.maxArgChars, maxDepth: 16 });
    } catch (error) {
      ctx.warn(`TykSetKeyData: session JSON refused (${error instanceof UnsafeJsonError ? error.message : 'invalid'})`);
      return UNDEFINED;
    }
    if (!isRecord(session)) {
      ctx.warn('TykSetKeyData: the session is not a JSON object');
      return UNDEFINED;
    }
    const options = { suppressReset: suppress === '1' };
    const sessions = this.host.sessions;
    try {
      if (ctx.scope.kind === 'org') {
        const orgId = ctx.scope.orgId;
        if (sessions.setForOrg) {
          await withTimeout(sessions.setForOrg(key, session, orgId, options), this.limits.storageTimeoutMs);
          return UNDEFINED;
        }
        if (session.org_id !== undefined && session.org_id !== orgId) return refuse(ctx);
        const existing = await withTimeout(sessions.get(key), this.limits.storageTimeoutMs);
        if (existing !== undefined && (existing.org_id ?? '') !== orgId) return refuse(ctx);
        session.org_id = orgId;
      } else {
        const existing = await withTimeout(sessions.get(key), this.limits.storageTimeoutMs);
        if (existing !== undefined && existing.org_id !== undefined) {
          if (session.org_id !== undefined && session.org_id !== existing.org_id) return refuse(ctx);
          session.org_id = existing.org_id;
        }
      }
      await withTimeout(sessions.set(key, session, options), this.limits.storageTimeoutMs);
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      if (code === 'FH_SESSION_ORG_MISMATCH') return refuse(ctx);
      ctx.warn(`TykSetKeyData: session not written (${typeof code === 'string' ? code : error instanceof HostTimeout ? 'timeout' : 'store error'})`);
    }
    return UNDEFINED;
  }

  private parseRequestJson(json: unknown, what: string, ctx: HostCallContext): unknown {
    if (typeof json !== 'string') return undefined;
    try {
      return parseSafeJson(json, { maxChars: this.limits.maxArgChars, maxDepth: 8 });
    } catch (error) {
      ctx.warn(`${what}: request refused (${error instanceof UnsafeJsonError ? error.message : 'invalid'})`);
      return undefined;
    }
  }

  private async http(json: unknown, ctx: HostCallContext): Promise<string> {
    const parsed = this.parseRequestJson(json, 'TykMakeHttpRequest', ctx);
    if (parsed === undefined) return UNDEFINED;
    const req = tykRequest(parsed);
    if (typeof req === 'string') {
      ctx.warn(`TykMakeHttpRequest: ${req}`);
      return UNDEFINED;
    }
    if (!this.takeQuota(ctx, 1, 'TykMakeHttpRequest')) return UNDEFINED;
    const result = await this.send(req);
    if (!result.ok) {
      ctx.warn(`TykMakeHttpRequest: ${result.reason}`);
      return UNDEFINED;
    }
    return value(tykResponse(result));
  }

  private async batch(json: unknown, ctx: HostCallContext): Promise<string> {
    const parsed = this.parseRequestJson(json, 'TykBatchRequest', ctx);
    if (parsed === undefined) return UNDEFINED;
    const batch = tykBatch(parsed);
    if (typeof batch === 'string') {
      ctx.warn(`TykBatchRequest: ${batch}`);
      return UNDEFINED;
    }
    if (!this.takeQuota(ctx, batch.requests.length, 'TykBatchRequest')) return UNDEFINED;
    let results: HttpResult[];
    if (batch.sequential) {
      results = [];
      for (const r of batch.requests) results.push(await this.send(r));
    } else {
      results = await Promise.all(batch.requests.map((r) => this.send(r)));
    }
    results.forEach((r) => !r.ok && ctx.warn(`TykBatchRequest: ${r.reason}`));
    return value(JSON.stringify(results.map((r, i) => batchUnit(batch.requests[i]!.url, r))));
  }

  private takeQuota(ctx: HostCallContext, count: number, what: string): boolean {
    if (ctx.http + count > this.limits.maxHttpPerInvocation) {
      ctx.warn(`${what}: more than ${this.limits.maxHttpPerInvocation} requests in one invocation; not sent`);
      return false;
    }
    ctx.http += count;
    return true;
  }

  /** One request under the process-wide concurrency cap; waiting counts against its timeout. */
  private async send(req: OutboundRequest): Promise<HttpResult> {
    const deadline = Date.now() + this.limits.httpTimeoutMs;
    while (this.httpInFlight >= this.limits.maxHttpConcurrency) {
      const left = deadline - Date.now();
      if (left <= 0) return { ok: false, reason: 'too many requests in flight' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.httpWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    this.httpInFlight++;
    try {
      const timeoutMs = Math.max(1, deadline - Date.now());
      return await sendRequest(req, this.host.http.dispatcher, {
        timeoutMs,
        maxRequestBytes: this.limits.maxRequestBytes,
        maxResponseBytes: this.limits.maxResponseBytes,
      });
    } finally {
      this.httpInFlight--;
      this.httpWaiters.shift()?.();
    }
  }

  private async storage(op: HostOp, args: unknown[], ctx: HostCallContext): Promise<string> {
    const name = bindingOf(op)!;
    const key = args[0];
    if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > STORAGE_LIMITS.maxKeyBytes) {
      return thrown(`${name}: the key must be 1 to ${STORAGE_LIMITS.maxKeyBytes} bytes`);
    }
    const full = storageKey(key, ctx.scope);
    const store = this.host.storage;
    const ttlArg = op === HOST_OPS.TykStorageIncr ? args[1] : args[2];
    let ttlMs = 0;
    if (op === HOST_OPS.TykStorageSet || op === HOST_OPS.TykStorageSetNX || op === HOST_OPS.TykStorageIncr) {
      if (typeof ttlArg !== 'number' || !Number.isFinite(ttlArg) || ttlArg < 0) return thrown(`${name}: ttl must be a number of seconds >= 0`);
      ttlMs = Math.floor(ttlArg * 1000);
    }
    if (op === HOST_OPS.TykStorageSet || op === HOST_OPS.TykStorageSetNX) {
      const v = args[1];
      if (typeof v !== 'string' || Buffer.byteLength(v) > STORAGE_LIMITS.maxValueBytes)
        return thrown(`${name}: the value must be a string of at most ${STORAGE_LIMITS.maxValueBytes} bytes`);
      if (op === HOST_OPS.TykStorageSet) {
        await this.store(store.set(full, v, ttlMs), name);
        return UNDEFINED;
      }
      return value(await this.store(store.setNX(full, v, ttlMs), name));
    }
    switch (op) {
      case HOST_OPS.TykStorageGet:
        return value(await this.store(store.get(full), name));
      case HOST_OPS.TykStorageDel:
        return value(await this.store(store.del(full), name));
      case HOST_OPS.TykStorageTTL: {
        const ms = await this.store(store.pttl(full), name);
        return value(ms < 0 ? ms : Math.ceil(ms / 1000));
      }
      default:
        return value(String(await this.store(store.incr(full, ttlMs), name)));
    }
  }

  private async store<T>(promise: Promise<T>, name: string): Promise<T> {
    try {
      return await withTimeout(promise, this.limits.storageTimeoutMs);
    } catch {
      throw new StorageUnavailable(name);
    }
  }
}

class StorageUnavailable extends Error {}

/** `jsvm-store:` + the scope's namespace + the script's key. */
export function storageKey(key: string, scope: SandboxScope): string {
  const space = scope.kind === 'org' ? `org:${encodeURIComponent(scope.orgId)}:` : 'gw:';
  return STORAGE_LIMITS.keyPrefix + space + key;
}

function inScope(session: SandboxSession, scope: SandboxScope): boolean {
  return scope.kind === 'gateway' || (session.org_id ?? '') === scope.orgId;
}

function refuse(ctx: HostCallContext): string {
  ctx.warn('TykSetKeyData: the key belongs to another organisation, or org_id would change; not written');
  return UNDEFINED;
}
