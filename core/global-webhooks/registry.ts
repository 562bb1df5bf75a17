/**
 * The global webhook registry: CRUD over the backend with revisions, a local cache kept current by
 * the backend's change announcements plus a cheap version poll, and per-id watchers (the webhook
 * handlers that reference an id). Deleting keeps a tombstone holding the last definition, so APIs
 * that reference it keep working on that copy.
 */
import { randomUUID } from 'node:crypto';
import { FirehookError, type ConfigProblem } from '../errors/firehook-error.ts';
import type { Logger } from '../logger.ts';
import { definitionOf, type GlobalWebhookInput, type GlobalWebhookRecord } from './global-webhook.ts';
import type { WebhookBackend } from './backend.ts';

/** Gets each new revision; a returned promise is awaited by local writes (so a PUT answers once this node follows). */
export type WebhookWatcher = (record: GlobalWebhookRecord) => void | Promise<void>;

export interface GlobalWebhookRegistryOptions {
  backend: WebhookBackend;
  logger: Logger;
  /** Version poll interval (backstop for missed announcements); 0 disables it. */
  pollIntervalMs?: number;
  /**
   * False when this registry cannot see the shared set (e.g. `firehook validate`, which never
   * connects to Redis): unknown ids are then warnings, not errors.
   */
  complete?: boolean;
}

export class GlobalWebhookRegistry {
  readonly complete: boolean;
  /** Problems found in the seed files at the last seeding (see global-webhook-seeds.ts). */
  seedProblems: ConfigProblem[] = [];
  private readonly backend: WebhookBackend;
  private readonly logger: Logger;
  private readonly cache = new Map<string, GlobalWebhookRecord>();
  private readonly watchers = new Map<string, Set<WebhookWatcher>>();
  /** Watchers still applying the latest revision of an id. */
  private readonly applying = new Map<string, Promise<void>>();
  private readonly changeListeners = new Set<(record: GlobalWebhookRecord) => void>();
  private seenVersion = -1;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private started: Promise<void> | undefined;
  private syncing: Promise<void> | undefined;
  private closed = false;

  private readonly options: GlobalWebhookRegistryOptions;

  constructor(options: GlobalWebhookRegistryOptions) {
    this.options = options;
    this.backend = options.backend;
    this.logger = options.logger;
    this.complete = options.complete ?? true;
  }

  get kind(): 'memory' | 'redis' {
    return this.backend.kind;
  }

  /**
   * Load the set and start following changes; idempotent. A store that cannot be reached now is
   * logged and retried by the poll, so the runtime still starts.
   */
  start(): Promise<void> {
    this.started ??= (async () => {
      const every = this.options.pollIntervalMs ?? 2_000;
      if (every > 0) {
        this.timer = setInterval(() => void this.poll(), every);
        this.timer.unref();
      }
      try {
        await this.connect();
      } catch (error) {
        this.logger.error({ code: 'FH_STORE_UNAVAILABLE', err: String(error) }, 'global webhooks could not be loaded; retrying');
      }
    })();
    return this.started;
  }

  private async connect(): Promise<void> {
    this.unsubscribe ??= await this.backend.subscribe((id) => void this.refreshOne(id));
    await this.sync();
  }

  /** Live definitions (tombstones too with `includeDeleted`), sorted by id. */
  async list(options: { includeDeleted?: boolean } = {}): Promise<GlobalWebhookRecord[]> {
    const all = await this.backend.all();
    for (const r of all) void this.apply(r);
    return all.filter((r) => options.includeDeleted || !r.deleted).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Live definitions known locally (from the cache, no round trip). */
  size(): number {
    let n = 0;
    for (const r of this.cache.values()) if (!r.deleted) n++;
    return n;
  }

  /** A definition or tombstone as last seen locally (no round trip). */
  cached(id: string): GlobalWebhookRecord | undefined {
    return this.cache.get(id);
  }

  /** A definition or tombstone, read from the backend (fresh at load time). */
  async lookup(id: string): Promise<GlobalWebhookRecord | undefined> {
    const record = await this.backend.get(id);
    if (record) void this.apply(record);
    return record;
  }

  /** Create; FH_GLOBAL_WEBHOOK_CONFLICT when a live one has the id (a tombstone is replaced). */
  async create(input: Omit<GlobalWebhookInput, 'id'> & { id?: string }): Promise<GlobalWebhookRecord> {
    const id = input.id ?? `wh_${randomUUID().replace(/-/g, '').slice(0, 20)}`;
    const previous = await this.backend.get(id);
    if (previous && !previous.deleted) throw new FirehookError('FH_GLOBAL_WEBHOOK_CONFLICT', `global webhook "${id}" already exists`);
    return this.write({ ...input, id }, previous);
  }

  /**
   * Create or replace. `expectedRevision` (If-Match) must equal the stored revision, 0 meaning
   * "must not exist"; FH_GLOBAL_WEBHOOK_CONFLICT otherwise.
   */
  async put(input: GlobalWebhookInput, expectedRevision?: number): Promise<{ record: GlobalWebhookRecord; created: boolean }> {
    const previous = await this.backend.get(input.id);
    const live = previous && !previous.deleted ? previous : undefined;
    if (expectedRevision !== undefined && (live?.revision ?? 0) !== expectedRevision) {
      throw new FirehookError('FH_GLOBAL_WEBHOOK_CONFLICT', `global webhook "${input.id}" is at revision ${live?.revision ?? 0}, not ${expectedRevision}`);
    }
    return { record: await this.write(input, previous), created: live === undefined };
  }

  /** Delete (keep a tombstone with the last definition); FH_GLOBAL_WEBHOOK_NOT_FOUND when there is no live one. */
  async remove(id: string, expectedRevision?: number): Promise<GlobalWebhookRecord> {
    const previous = await this.backend.get(id);
    if (!previous || previous.deleted) throw new FirehookError('FH_GLOBAL_WEBHOOK_NOT_FOUND', `no global webhook "${id}"`);
    if (expectedRevision !== undefined && previous.revision !== expectedRevision) {
      throw new FirehookError('FH_GLOBAL_WEBHOOK_CONFLICT', `global webhook "${id}" is at revision ${previous.revision}, not ${expectedRevision}`);
    }
    const now = new Date().toISOString();
    const tombstone: GlobalWebhookRecord = { ...previous, revision: previous.revision + 1, updatedAt: now, deleted: true, deletedAt: now };
    if (!(await this.backend.write(tombstone, previous.revision)))
      throw new FirehookError('FH_GLOBAL_WEBHOOK_CONFLICT', `global webhook "${id}" changed meanwhile; retry`);
    await this.apply(tombstone);
    return tombstone;
  }

  /** Follow one id: `watcher` gets every new revision (a tombstone on delete). Returns the unwatch. */
  watch(id: string, watcher: WebhookWatcher): () => void {
    let set = this.watchers.get(id);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(id, set);
    }
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0 && this.watchers.get(id) === set) this.watchers.delete(id);
    };
  }

  /** Every change seen (local or from another node), for the console and logs. */
  onChange(listener: (record: GlobalWebhookRecord) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.started?.catch(() => undefined);
    await this.unsubscribe?.().catch(() => undefined);
    this.watchers.clear();
    this.changeListeners.clear();
  }

  private async write(input: GlobalWebhookInput, previous: GlobalWebhookRecord | undefined): Promise<GlobalWebhookRecord> {
    const now = new Date().toISOString();
    const record: GlobalWebhookRecord = {
      ...definitionOf(input),
      revision: (previous?.revision ?? 0) + 1,
      createdAt: previous && !previous.deleted ? previous.createdAt : now,
      updatedAt: now,
    };
    if (!(await this.backend.write(record, previous?.revision ?? 0))) {
      throw new FirehookError('FH_GLOBAL_WEBHOOK_CONFLICT', `global webhook "${input.id}" changed meanwhile; retry`);
    }
    await this.apply(record);
    return record;
  }

  /**
   * Take a record into the cache; tell watchers when it is newer than what they have seen.
   * Resolves when the watchers have applied it.
   */
  private apply(record: GlobalWebhookRecord): Promise<void> {
    const known = this.cache.get(record.id);
    // already taken (e.g. through this node's own announcement): wait for the watchers still applying it
    if (known && known.revision >= record.revision) return this.applying.get(record.id) ?? Promise.resolve();
    this.cache.set(record.id, record);
    if (known === undefined && this.seenVersion < 0) return Promise.resolve(); // initial load: nothing to announce
    const pending: Promise<void>[] = [];
    for (const watcher of this.watchers.get(record.id) ?? []) {
      try {
        const done = watcher(record);
        if (done) pending.push(done);
      } catch (error) {
        this.logger.error({ err: error, webhook: record.id }, 'global webhook watcher failed');
      }
    }
    for (const listener of this.changeListeners) {
      try {
        listener(record);
      } catch {
        // a listener must not stop the others
      }
    }
    const done = Promise.allSettled(pending).then(() => undefined);
    this.applying.set(record.id, done);
    void done.then(() => {
      if (this.applying.get(record.id) === done) this.applying.delete(record.id);
    });
    return done;
  }

  private async refreshOne(id: string): Promise<void> {
    if (this.closed) return;
    try {
      const record = await this.backend.get(id);
      if (record) void this.apply(record);
    } catch (error) {
      this.logger.warn({ code: 'FH_STORE_UNAVAILABLE', err: String(error), webhook: id }, 'could not read a changed global webhook; the next poll retries');
    }
  }

  private async poll(): Promise<void> {
    if (this.closed || this.syncing) return;
    try {
      if (this.unsubscribe === undefined) return await this.connect();
      const version = await this.backend.version();
      if (version !== this.seenVersion) await this.sync();
    } catch (error) {
      this.logger.debug({ err: String(error) }, 'global webhook version poll failed');
    }
  }

  private sync(): Promise<void> {
    this.syncing ??= (async () => {
      try {
        const version = await this.backend.version();
        const all = await this.backend.all();
        const first = this.seenVersion < 0;
        for (const r of all) void this.apply(r);
        this.seenVersion = version;
        if (first) this.logger.debug({ webhooks: this.size(), store: this.backend.kind }, 'global webhooks loaded');
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }
}
