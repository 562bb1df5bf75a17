/**
 * Per-target admission: a concurrency cap so one slow receiver cannot take every worker, and a
 * circuit breaker that stops sending after sustained failure and lets one probe through before
 * resuming. Jobs that cannot run wait (in memory mode in a local queue; in durable mode they may be
 * parked back in Redis until the breaker's probe time). Nothing is dropped here.
 */
import type { Job } from './delivery-record.ts';

export interface GateOptions {
  /** Attempts in flight per target. */
  maxConcurrencyPerTarget: number;
  /** Consecutive health failures (network, timeout, 5xx, 429) that open the breaker. */
  breakerThreshold: number;
  /** How long the breaker stays open the first time; doubles on each failed probe. */
  breakerOpenMs: number;
  breakerMaxOpenMs: number;
  /**
   * When parking is available (durable mode): a job whose expected local wait behind its target's
   * queue exceeds this (ms) is parked back in Redis instead, so a slow target cannot fill this
   * process and starve the others.
   */
  maxLocalWaitMs: number;
  /** Hard limit of the local queue per target (parking mode only). */
  maxQueuedPerTarget: number;
}

export interface GateHooks {
  /** Start an attempt; the gate has already counted it in flight. */
  run(job: Job): void;
  /** Take a job out of local memory until `untilMs` (durable mode); `false` keeps it queued here. */
  park?(job: Job, untilMs: number): boolean;
  /** The breaker of a target changed state. */
  onBreaker?(target: string, state: BreakerState): void;
}

export type BreakerState = 'closed' | 'open' | 'half-open';
export type Health = 'ok' | 'fail' | 'neutral';

interface TargetState {
  queue: Job[];
  head: number;
  inFlight: number;
  breaker: BreakerState;
  failures: number;
  openUntil: number;
  reopenCount: number;
  timer: NodeJS.Timeout | undefined;
  /** Completions per second measured over windows of at least a second (0: not known yet). */
  rate: number;
  windowStart: number;
  windowCount: number;
}

export class TargetGate {
  private readonly targets = new Map<string, TargetState>();
  private readonly options: GateOptions;
  private readonly hooks: GateHooks;
  private queuedTotal = 0;
  private inFlightTotal = 0;

  constructor(options: GateOptions, hooks: GateHooks) {
    this.options = options;
    this.hooks = hooks;
  }

  get queued(): number {
    return this.queuedTotal;
  }

  get inFlight(): number {
    return this.inFlightTotal;
  }

  /** Targets whose breaker is not closed. */
  openTargets(): string[] {
    return [...this.targets].filter(([, st]) => st.breaker !== 'closed').map(([target]) => target);
  }

  breakerState(target: string): BreakerState {
    return this.targets.get(target)?.breaker ?? 'closed';
  }

  /** Admit a job: run it now, queue it, or park it. */
  offer(job: Job): void {
    const st = this.state(job.target);
    if (st.breaker === 'open' && Date.now() >= st.openUntil) this.setBreaker(job.target, st, 'half-open');
    if (st.breaker === 'open') {
      if (!this.hooks.park?.(job, st.openUntil + Math.floor(Math.random() * 1000))) this.enqueue(st, job);
      this.armTimer(job.target, st);
      return;
    }
    const free = st.breaker === 'half-open' ? st.inFlight === 0 : st.inFlight < this.options.maxConcurrencyPerTarget;
    if (free && st.head === st.queue.length) {
      this.start(st, job);
      return;
    }
    if (this.hooks.park) {
      // Wait expected behind this target's local queue, from its measured completion rate.
      const waiting = st.queue.length - st.head;
      const expectedWaitMs = st.rate > 0 ? (waiting / st.rate) * 1000 : 0;
      if ((expectedWaitMs > this.options.maxLocalWaitMs && waiting >= 16) || waiting >= this.options.maxQueuedPerTarget) {
        const delay = Math.min(Math.max(expectedWaitMs, 1_000), 60_000);
        if (this.hooks.park(job, Date.now() + delay + Math.floor(Math.random() * 1000))) return;
      }
    }
    this.enqueue(st, job);
  }

  /** An attempt for `target` finished; `health` feeds the breaker. */
  finished(target: string, health: Health): void {
    const st = this.targets.get(target);
    if (!st) return;
    st.inFlight--;
    this.inFlightTotal--;
    if (this.hooks.park) this.measure(st); // the rate only serves parking
    if (health === 'ok') {
      st.failures = 0;
      st.reopenCount = 0;
      if (st.breaker !== 'closed') this.setBreaker(target, st, 'closed');
    } else if (health === 'fail') {
      st.failures++;
      if (st.breaker === 'half-open') {
        st.reopenCount++;
        this.open(target, st);
      } else if (st.breaker === 'closed' && st.failures >= this.options.breakerThreshold) {
        this.open(target, st);
      }
    }
    this.pump(target, st);
  }

  /** Count a completion; every second or more, fold the window's rate into the target's rate. */
  private measure(st: TargetState): void {
    st.windowCount++;
    const now = Date.now();
    if (now - st.windowStart < 1_000) return;
    const rate = (st.windowCount * 1000) / (now - st.windowStart);
    st.rate = st.rate === 0 ? rate : (st.rate + rate) / 2;
    st.windowStart = now;
    st.windowCount = 0;
  }

  /** Remove and return every queued (not started) job, e.g. to hand them back on close. */
  drainQueued(): Job[] {
    const jobs: Job[] = [];
    for (const st of this.targets.values()) {
      jobs.push(...st.queue.slice(st.head));
      st.queue = [];
      st.head = 0;
      if (st.timer) clearTimeout(st.timer);
      st.timer = undefined;
    }
    this.queuedTotal = 0;
    return jobs;
  }

  private state(target: string): TargetState {
    let st = this.targets.get(target);
    if (!st) {
      st = {
        queue: [],
        head: 0,
        inFlight: 0,
        breaker: 'closed',
        failures: 0,
        openUntil: 0,
        reopenCount: 0,
        timer: undefined,
        rate: 0,
        windowStart: Date.now(),
        windowCount: 0,
      };
      this.targets.set(target, st);
    }
    return st;
  }

  private enqueue(st: TargetState, job: Job): void {
    st.queue.push(job);
    this.queuedTotal++;
  }

  private start(st: TargetState, job: Job): void {
    st.inFlight++;
    this.inFlightTotal++;
    this.hooks.run(job);
  }

  private open(target: string, st: TargetState): void {
    const duration = Math.min(this.options.breakerOpenMs * 2 ** st.reopenCount, this.options.breakerMaxOpenMs);
    st.openUntil = Date.now() + duration;
    this.setBreaker(target, st, 'open');
    this.armTimer(target, st);
  }

  private setBreaker(target: string, st: TargetState, state: BreakerState): void {
    st.breaker = state;
    this.hooks.onBreaker?.(target, state);
  }

  private armTimer(target: string, st: TargetState): void {
    if (st.timer) return;
    st.timer = setTimeout(
      () => {
        st.timer = undefined;
        if (st.breaker === 'open') this.setBreaker(target, st, 'half-open');
        this.pump(target, st);
      },
      Math.max(0, st.openUntil - Date.now()),
    );
    st.timer.unref();
  }

  private pump(target: string, st: TargetState): void {
    if (st.breaker === 'open') {
      if (st.head < st.queue.length) {
        // Park what waits here when parking exists; otherwise it waits for the probe time.
        while (st.head < st.queue.length && this.hooks.park) {
          if (!this.hooks.park(st.queue[st.head]!, st.openUntil + Math.floor(Math.random() * 1000))) break;
          st.head++;
          this.queuedTotal--;
        }
        this.armTimer(target, st);
      }
    } else {
      const cap = st.breaker === 'half-open' ? 1 : this.options.maxConcurrencyPerTarget;
      while (st.head < st.queue.length && st.inFlight < cap) {
        const job = st.queue[st.head]!;
        st.queue[st.head++] = undefined as never;
        this.queuedTotal--;
        this.start(st, job);
      }
    }
    if (st.head === st.queue.length) {
      st.queue = [];
      st.head = 0;
    } else if (st.head > 1024 && st.head * 2 > st.queue.length) {
      st.queue = st.queue.slice(st.head);
      st.head = 0;
    }
    if (st.inFlight === 0 && st.queue.length === 0 && st.breaker === 'closed' && st.failures === 0) {
      if (st.timer) clearTimeout(st.timer);
      this.targets.delete(target);
    }
  }
}
