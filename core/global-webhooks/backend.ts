/**
 * Where global webhook records live: a Redis hash shared by every node (with a version counter
 * and a pub/sub channel announcing changes), or process memory for the in-memory store.
 */
import { EventEmitter } from 'node:events';
import type { Store } from '../store/store.ts';
import type { GlobalWebhookRecord } from './global-webhook.ts';

export interface WebhookBackend {
  readonly kind: 'memory' | 'redis';
  /** Every record, tombstones included. */
  all(): Promise<GlobalWebhookRecord[]>;
  get(id: string): Promise<GlobalWebhookRecord | undefined>;
  /**
   * Write `record` only while the stored revision is `expectedRevision` (0: no record yet), then
   * bump the version and announce the id. `false` on a conflict.
   */
  write(record: GlobalWebhookRecord, expectedRevision: number): Promise<boolean>;
  /** A counter bumped by every write (cheap to poll). */
  version(): Promise<number>;
  /** Call `onChange(id)` when any node writes; resolves once listening. Returns the unsubscribe. */
  subscribe(onChange: (id: string) => void): Promise<() => Promise<void>>;
}

interface MemoryState {
  records: Map<string, string>;
  version: number;
  events: EventEmitter<{ change: [string] }>;
}

/** One state per memory store, so runtimes sharing a store object see the same registry. */
const memoryStates = new WeakMap<Store, MemoryState>();

export class MemoryWebhookBackend implements WebhookBackend {
  readonly kind = 'memory' as const;
  private readonly state: MemoryState;

  constructor(store: Store) {
    let state = memoryStates.get(store);
    if (state === undefined) {
      state = { records: new Map(), version: 0, events: new EventEmitter() };
      state.events.setMaxListeners(0);
      memoryStates.set(store, state);
    }
    this.state = state;
  }

  async all(): Promise<GlobalWebhookRecord[]> {
    return [...this.state.records.values()].map((text) => JSON.parse(text) as GlobalWebhookRecord);
  }

  async get(id: string): Promise<GlobalWebhookRecord | undefined> {
    const text = this.state.records.get(id);
    return text === undefined ? undefined : (JSON.parse(text) as GlobalWebhookRecord);
  }

  async write(record: GlobalWebhookRecord, expectedRevision: number): Promise<boolean> {
    const current = await this.get(record.id);
    if ((current?.revision ?? 0) !== expectedRevision) return false;
    this.state.records.set(record.id, JSON.stringify(record));
    this.state.version++;
    this.state.events.emit('change', record.id);
    return true;
  }

  async version(): Promise<number> {
    return this.state.version;
  }

  async subscribe(onChange: (id: string) => void): Promise<() => Promise<void>> {
    this.state.events.on('change', onChange);
    return async () => void this.state.events.off('change', onChange);
  }
}
