import type { OverflowPolicy } from '../config/gateway-config.ts';
import { HandlerError } from '../errors/firehook-error.ts';
import type { EventMessage } from '../event.ts';
import type { Logger } from '../logger.ts';
import type { Handler, HandlerReport } from '../plugin.ts';

export type { HandlerReport } from '../plugin.ts';

export type ReportCallback = (report: HandlerReport) => void;

/** Handler-level observations for metrics; called off the caller's stack (drops excepted), must not throw. */
export interface SlotObserver {
  /** One event finished at a handler: its status, error code when it threw, and how long it took. */
  outcome(info: SlotInfo, status: HandlerReport['status'], code: string | undefined, seconds: number): void;
  /** One event was dropped by the overflow policy. */
  dropped(info: SlotInfo): void;
}

export interface SlotInfo {
  handler: string;
  plugin: string;
  event: string;
  apiId: string;
}

export interface SlotStats {
  handler: string;
  plugin: string;
  event: string;
  apiId: string;
  queued: number;
  running: number;
  received: number;
  completed: number;
  failed: number;
  dropped: number;
}

interface Job {
  event: EventMessage;
  report: ReportCallback | undefined;
}

/**
 * One handler's bounded queue and worker. Enqueue is O(1) and does nothing else on the caller's
 * stack; the worker runs up to `concurrency` events at once. A full queue applies the overflow
 * policy and counts (and reports) every drop.
 */
export class HandlerSlot {
  private readonly ring: (Job | undefined)[];
  private head = 0;
  private size = 0;
  private running = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private spaceWaiters: (() => void)[] = [];
  private received = 0;
  private completed = 0;
  private failed = 0;
  private dropped = 0;
  private lastDropLog = 0;
  /** Per error code: when it was last logged, and how many since then were not. */
  private readonly errorLog = new Map<string, { at: number; suppressed: number }>();
  private observer: SlotObserver | undefined;

  constructor(
    readonly handler: Handler,
    readonly info: SlotInfo,
    private readonly logger: Logger,
    private readonly limits: { queueSize: number; concurrency: number; overflow: OverflowPolicy },
  ) {
    this.ring = Array.from<Job | undefined>({ length: limits.queueSize });
  }

  /** Queue an event; never throws. */
  enqueue(event: EventMessage, report?: ReportCallback): void {
    this.received++;
    const capacity = this.ring.length;
    if (this.size === capacity) {
      if (this.limits.overflow === 'drop-newest') {
        this.drop({ event, report });
        return;
      }
      const oldest = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % capacity;
      this.size--;
      this.drop(oldest);
    }
    this.ring[(this.head + this.size) % capacity] = { event, report };
    this.size++;
    if (!this.scheduled && this.running < this.limits.concurrency) {
      this.scheduled = true;
      setImmediate(this.pump);
    }
  }

  /** Report outcomes and drops to `observer` (the dispatcher sets it when a generation goes live). */
  observe(observer: SlotObserver | undefined): void {
    this.observer = observer;
  }

  private drop(job: Job): void {
    this.dropped++;
    this.observer?.dropped(this.info);
    job.report?.({ handler: this.info.handler, plugin: this.info.plugin, status: 'dropped', code: 'FH_DISPATCH_DROPPED' });
    const now = Date.now();
    if (now - this.lastDropLog >= 1_000) {
      this.lastDropLog = now;
      this.logger.warn(
        { code: 'FH_DISPATCH_DROPPED', dropped_total: this.dropped, queue_size: this.ring.length, policy: this.limits.overflow },
        'handler queue full; events dropped',
      );
    }
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    let started = false;
    while (this.size > 0 && this.running < this.limits.concurrency) {
      const job = this.ring[this.head]!;
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % this.ring.length;
      this.size--;
      this.running++;
      started = true;
      void this.run(job);
    }
    if (started && this.spaceWaiters.length > 0) {
      const waiters = this.spaceWaiters;
      this.spaceWaiters = [];
      for (const w of waiters) w();
    }
  };

  /** How many events the queue holds at most (`dispatch.queue_size`). */
  get capacity(): number {
    return this.ring.length;
  }

  /** Room in the queue now: events that can be enqueued without the overflow policy dropping any. */
  free(): number {
    return this.ring.length - this.size;
  }

  /** Resolve the next time queued events leave the queue (room was made). */
  whenSpace(): Promise<void> {
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  private async run(job: Job): Promise<void> {
    let report: HandlerReport;
    const started = this.observer === undefined ? 0 : performance.now();
    try {
      const outcome = await this.handler.handle(job.event);
      this.completed++;
      report = {
        handler: this.info.handler,
        plugin: this.info.plugin,
        status: outcome?.status ?? 'ok',
        ...(outcome?.detail ? { detail: outcome.detail } : {}),
      };
      if (outcome?.status === 'failed') this.failed++;
    } catch (cause) {
      this.failed++;
      const error = new HandlerError({ plugin: this.info.plugin, handler: this.info.handler, eventType: job.event.Type, apiId: job.event.apiId }, cause);
      const raw = (cause as { code?: unknown } | null)?.code;
      const code = typeof raw === 'string' ? raw : error.code;
      this.logError(code, cause, job.event.Type, error.message);
      report = { handler: this.info.handler, plugin: this.info.plugin, status: 'failed', detail: error.message, code };
    }
    this.running--;
    if (this.observer !== undefined) {
      try {
        this.observer.outcome(this.info, report.status, report.code, started === 0 ? 0 : (performance.now() - started) / 1000);
      } catch {
        // metrics must not break the worker
      }
    }
    try {
      job.report?.(report);
    } catch {
      // a report callback must not break the worker
    }
    if (this.size > 0) this.pump();
    else if (this.running === 0) this.notifyIdle();
  }

  /** Log a handler failure; the same code again within a second is counted, not logged, so a flood stays readable. */
  private logError(code: string, cause: unknown, event: string, message: string): void {
    const now = Date.now();
    const last = this.errorLog.get(code);
    if (last !== undefined && now - last.at < 1_000) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.errorLog.set(code, { at: now, suppressed: 0 });
    this.logger.error({ code, err: cause, event, ...(suppressed > 0 ? { suppressed_since_last: suppressed } : {}) }, message);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Events queued or running. */
  pending(): number {
    return this.size + this.running;
  }

  /** Resolve when nothing is queued or running. */
  idle(): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): SlotStats {
    return {
      ...this.info,
      queued: this.size,
      running: this.running,
      received: this.received,
      completed: this.completed,
      failed: this.failed,
      dropped: this.dropped,
    };
  }
}
