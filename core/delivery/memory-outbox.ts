/**
 * The in-memory outbox: new deliveries go straight to the deliverer, retries wait on timers, dead
 * letters are kept in a bounded map. Everything is lost with the process (use durable mode to
 * survive crashes).
 */
import { replayRecord, type DeliveryRecord, type Job } from './delivery-record.ts';
import { DeliveryLog } from './delivery-log.ts';
import type { AttemptQuery, AttemptRecord, DeadLetter, DeadLetterQuery, DeliveryAdmin } from './delivery-service.ts';
import { makeJob, type Outbox, type Settlement } from './outbox.ts';

export class MemoryOutbox implements Outbox {
  readonly mode = 'memory' as const;
  private deliver: ((job: Job) => void) | undefined;
  /** Retries waiting for their time, with when they are due. */
  private readonly timers = new Map<NodeJS.Timeout, { job: Job; dueAt: number }>();
  private readonly dead = new Map<string, { record: DeliveryRecord; letter: DeadLetter }>();
  private readonly deadLetterMax: number;
  private feeding = true;

  constructor(options: { deadLetterMax: number }) {
    this.deadLetterMax = options.deadLetterMax;
  }

  add(record: DeliveryRecord): void {
    this.push(makeJob(record));
  }

  /** Synchronous add for the hot path (no persistence to wait for). */
  push(job: Job): void {
    if (!this.deliver) throw new Error('memory outbox not started');
    this.deliver(job);
  }

  async start(deliver: (job: Job) => void): Promise<void> {
    this.deliver = deliver;
  }

  wake(): void {}

  settle(job: Job, settlement: Settlement): void {
    if (settlement.kind === 'retry' || settlement.kind === 'defer') {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          if (this.feeding) this.deliver?.(job);
        },
        Math.max(0, settlement.dueAt - Date.now()),
      );
      timer.unref();
      this.timers.set(timer, { job, dueAt: settlement.dueAt });
    } else if (settlement.kind === 'dead') {
      this.dead.delete(job.record.id);
      this.dead.set(job.record.id, { record: job.record, letter: settlement.letter });
      if (this.dead.size > this.deadLetterMax) this.dead.delete(this.dead.keys().next().value!);
    }
  }

  async giveBack(): Promise<void> {}

  scheduledCount(): number {
    return this.timers.size;
  }

  /** Retries due at or before `time` (a draining close still sends those). */
  dueBefore(time: number): number {
    let n = 0;
    for (const { dueAt } of this.timers.values()) if (dueAt <= time) n++;
    return n;
  }

  /** Ids of the retries still waiting (what a close leaves undelivered). */
  scheduledIds(): string[] {
    return [...this.timers.values()].map((t) => t.job.record.id);
  }

  async stopFeeding(): Promise<void> {
    this.feeding = false;
  }

  async stop(): Promise<number> {
    this.feeding = false;
    const dropped = this.timers.size;
    for (const timer of this.timers.keys()) clearTimeout(timer);
    this.timers.clear();
    return dropped;
  }

  /** Inspection and replay over the memory ring and the dead-letter map. */
  admin(log: DeliveryLog): DeliveryAdmin {
    const matches = (letter: DeadLetter, q: Omit<DeadLetterQuery, 'limit'>): boolean =>
      (q.handler === undefined || letter.origin.handler === q.handler) && (q.apiId === undefined || letter.origin.apiId === q.apiId);
    const replayOne = (id: string): boolean => {
      const entry = this.dead.get(id);
      if (!entry) return false;
      this.dead.delete(id);
      this.push(makeJob(replayRecord(entry.record, Date.now())));
      return true;
    };
    return {
      attempts: async (query?: AttemptQuery): Promise<AttemptRecord[]> => log.query(query),
      deadLetters: async (query: DeadLetterQuery = {}) =>
        [...this.dead.values()]
          .reverse()
          .map((e) => e.letter)
          .filter((l) => matches(l, query))
          .slice(0, query.limit ?? 100),
      deadLetter: async (id) => this.dead.get(id)?.letter,
      replay: async (ids) => {
        const replayed: string[] = [];
        const missing: string[] = [];
        for (const id of ids) (replayOne(id) ? replayed : missing).push(id);
        return { replayed, missing };
      },
      replayAll: async (query = {}) => {
        const ids = [...this.dead.values()].filter((e) => matches(e.letter, query)).map((e) => e.record.id);
        for (const id of ids) replayOne(id);
        return { replayed: ids.length };
      },
    };
  }
}
