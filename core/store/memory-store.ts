import { StoreError } from '../errors/firehook-error.ts';
import { STORE_LIMITS, type Store } from './store.ts';

interface Entry {
  value: string;
  /** Epoch ms; 0 means no expiry. */
  expiresAt: number;
}

/** Validate a key and value the same way in every store. */
export function checkKeyValue(key: string, value?: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > STORE_LIMITS.maxKeyBytes) {
    throw new StoreError('FH_STORE_INVALID_ARGUMENT', `store key must be 1-${STORE_LIMITS.maxKeyBytes} bytes`);
  }
  if (value !== undefined && (typeof value !== 'string' || value.length > STORE_LIMITS.maxValueBytes)) {
    throw new StoreError('FH_STORE_INVALID_ARGUMENT', `store value must be a string of at most ${STORE_LIMITS.maxValueBytes} bytes`);
  }
}

/** The default store: a process-local map with lazy expiry and a periodic sweep. */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly entries = new Map<string, Entry>();
  private readonly prefix: string;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(options: { prefix?: string; sweepIntervalMs?: number } = {}) {
    this.prefix = options.prefix ?? '';
    this.sweeper = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 30_000);
    this.sweeper.unref();
  }

  private live(key: string, now = Date.now()): Entry | undefined {
    const entry = this.entries.get(this.prefix + key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= now) {
      this.entries.delete(this.prefix + key);
      return undefined;
    }
    return entry;
  }

  async get(key: string): Promise<string | null> {
    checkKeyValue(key);
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    checkKeyValue(key, value);
    this.entries.set(this.prefix + key, { value, expiresAt: expiry(ttlMs) });
  }

  async setNX(key: string, value: string, ttlMs?: number): Promise<boolean> {
    checkKeyValue(key, value);
    if (this.live(key) !== undefined) return false;
    this.entries.set(this.prefix + key, { value, expiresAt: expiry(ttlMs) });
    return true;
  }

  /** Synchronous claim for hot paths that already hold a memory store (cooldown absorption). */
  claimSync(key: string, value: string, ttlMs: number, now = Date.now()): boolean {
    if (this.live(key, now) !== undefined) return false;
    this.entries.set(this.prefix + key, { value, expiresAt: ttlMs > 0 ? now + ttlMs : 0 });
    return true;
  }

  async del(key: string): Promise<boolean> {
    checkKeyValue(key);
    const present = this.live(key) !== undefined;
    this.entries.delete(this.prefix + key);
    return present;
  }

  async delIfEquals(key: string, value: string): Promise<boolean> {
    checkKeyValue(key);
    if (this.live(key)?.value !== value) return false;
    this.entries.delete(this.prefix + key);
    return true;
  }

  async pttl(key: string): Promise<number> {
    checkKeyValue(key);
    const now = Date.now();
    const entry = this.live(key, now);
    if (entry === undefined) return -2;
    if (entry.expiresAt === 0) return -1;
    return entry.expiresAt - now;
  }

  async incr(key: string, ttlMs?: number): Promise<number> {
    checkKeyValue(key);
    const entry = this.live(key);
    if (entry === undefined) {
      this.entries.set(this.prefix + key, { value: '1', expiresAt: expiry(ttlMs) });
      return 1;
    }
    const current = Number(entry.value);
    if (!Number.isSafeInteger(current)) {
      throw new StoreError('FH_STORE_INVALID_ARGUMENT', 'value is not an integer or out of range');
    }
    entry.value = String(current + 1);
    return current + 1;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.entries.delete(key);
    }
  }
}

function expiry(ttlMs: number | undefined): number {
  return ttlMs !== undefined && ttlMs > 0 ? Date.now() + Math.ceil(ttlMs) : 0;
}
