/**
 * The delivery service: cooldown claim -> outbox (memory or Redis stream) -> per-target gate
 * (concurrency cap, breaker) -> attempt (undici, signing, egress policy) -> record and settle.
 * One per runtime; it outlives configuration generations.
 */
import { hostname } from 'node:os';
import type { Dispatcher } from 'undici';
import type { WebhookDefaultsConfig } from '../config/gateway-config.ts';
import { FirehookError } from '../errors/firehook-error.ts';
import { parseGoDuration } from '../go/time.ts';
import type { Logger } from '../logger.ts';
import { createEgressAgent } from '../net/index.ts';
import { applyEgressFloor, type GatewayEgress } from '../net/egress-floor.ts';
import type { Cluster } from 'ioredis';
import { ioredisClient } from '../store/ioredis-client.ts';
import type { RedisConnection } from '../store/redis-connection.ts';
import type { Store } from '../store/store.ts';
import { buildRecord, idempotentDeliveryId, newDeliveryId, type DeliveryRecord, type Job } from './delivery-record.ts';
import { DeliveryLog } from './delivery-log.ts';
import type { DeliveryAdmin, DeliveryOptions, DeliveryRequest, DeliveryService, DeliveryStats, SubmitResult } from './delivery-service.ts';
import { attemptDelivery, type DelivererOptions } from './deliverer.ts';
import { MemoryOutbox } from './memory-outbox.ts';
import type { AddOutcome, Outbox } from './outbox.ts';
import { DEFAULT_DELIVERY_KEY_PREFIX, RedisDeliveryAdmin } from './redis-admin.ts';
import { RedisOutbox } from './redis-outbox.ts';
import { TargetGate, type Health } from './target-gate.ts';
import { DEFAULT_TUNING, type DeliveryTuning } from './tuning.ts';

export interface DeliveryServiceOptions {
  store: Store;
  logger: Logger;
  defaults: WebhookDefaultsConfig;
  /** The Redis connection (`RedisStore.client`, or an ioredis client of your own); required for durable mode. */
  redis?: RedisConnection;
  /** Persist deliveries in Redis streams (at-least-once across crashes). */
  durable?: boolean;
  /** Consumer name in the Redis group; default `<hostname>:<pid>`. Stable names resume their own pending work at once. */
  consumerName?: string;
  /** Prefix of the outbox keys (default `{firehook:delivery}:`; keep a hash tag for Redis Cluster). */
  keyPrefix?: string;
  tuning?: Partial<DeliveryTuning>;
  /**
   * The gateway's egress settings in force (they may change on reload); every delivery's policy is
   * floored by them, whatever its options say. Default: `defaults`.
   */
  egress?: () => GatewayEgress;
}

export interface ManagedDeliveryService extends DeliveryService {
  readonly admin: DeliveryAdmin;
  /** Resolves once the outbox is ready (durable: consumer group created, reader running). */
  readonly ready: Promise<void>;
  stats(): DeliveryStats;
  /**
   * Stop taking work and drain until the deadline: in-flight attempts finish; in memory mode the
   * queued deliveries (and retries due before the deadline) keep being delivered until none is
   * left. What is left is reported (count, and ids in the log); durable work left stays in Redis.
   * Idempotent.
   */
  close(deadlineMs?: number): Promise<{ unfinished: number }>;
}

type ClaimSync = (key: string, value: string, ttlMs: number) => boolean;

let enginesInProcess = 0;

/** Delivery ids per log line when a close reports what it left unfinished. */
const UNFINISHED_IDS_PER_LINE = 1_000;

/**
 * `<hostname>:<pid>` for the first engine of a process, so a restarted container (same host name,
 * same pid) resumes its own pending work at once; later engines in the same process (several
 * runtimes embedded side by side) get a suffix, or they would take each other's in-flight work as
 * their own and deliver it twice.
 */
function defaultConsumerName(): string {
  enginesInProcess++;
  const base = `${hostname()}:${process.pid}`;
  return enginesInProcess === 1 ? base : `${base}:${enginesInProcess}`;
}

/** The knobs the gateway config's `webhooks` section sets (validated at load). */
function tuningFromConfig(w: WebhookDefaultsConfig): Partial<DeliveryTuning> {
  const t: Partial<DeliveryTuning> = {};
  const ms = (text: string | undefined): number | undefined => {
    const value = text === undefined ? undefined : parseGoDuration(text);
    return value !== undefined && value > 0 ? value : undefined;
  };
  if (w.max_concurrency_per_target) t.maxConcurrencyPerTarget = w.max_concurrency_per_target;
  if (w.breaker?.failures) t.breakerThreshold = w.breaker.failures;
  const open = ms(w.breaker?.open);
  const maxOpen = ms(w.breaker?.max_open);
  if (open !== undefined) t.breakerOpenMs = open;
  if (maxOpen !== undefined || open !== undefined) t.breakerMaxOpenMs = Math.max(maxOpen ?? DEFAULT_TUNING.breakerMaxOpenMs, open ?? 0);
  const claimIdle = ms(w.claim_idle);
  if (claimIdle !== undefined) {
    t.claimIdleMs = claimIdle;
    t.claimIntervalMs = Math.min(DEFAULT_TUNING.claimIntervalMs, Math.max(100, Math.floor(claimIdle / 2)));
  }
  return t;
}

function isCluster(redis: RedisConnection): boolean {
  return typeof (ioredisClient(redis) as Partial<Cluster>).nodes === 'function';
}

export function createDeliveryService(options: DeliveryServiceOptions): ManagedDeliveryService {
  return new DeliveryEngine(options);
}

class DeliveryEngine implements ManagedDeliveryService {
  readonly admin: DeliveryAdmin;
  readonly ready: Promise<void>;
  private readonly o: DeliveryServiceOptions;
  private readonly t: DeliveryTuning;
  private readonly outbox: Outbox;
  private readonly gate: TargetGate;
  private readonly log: DeliveryLog;
  private readonly dispatchers = new Map<string, Dispatcher>();
  /** Handlers pass the same options object with every delivery: skip the key building. */
  private readonly byOptions = new WeakMap<DeliveryOptions, { egress: GatewayEgress; dispatcher: Dispatcher }>();
  private readonly egress: () => GatewayEgress;
  /** Attempts and parkings under way (counted, not kept: cheaper than a set of promises). */
  private working = 0;
  /** Of those, how many are done and only wait for their outcome to be recorded. */
  private settling = 0;
  private onIdle: (() => void) | undefined;
  /** Jobs whose attempt is under way (their ids are reported when a close leaves them unfinished). */
  private readonly active = new Set<Job>();
  /** Memory-mode drain: whether everything that can be delivered before the deadline has been. */
  private drained: (() => boolean) | undefined;
  private readonly claimSync: ClaimSync | undefined;
  private readonly counters = { submitted: 0, suppressed: 0, deduplicated: 0, delivered: 0, attempts: 0, retries: 0, failed: 0 };
  /** Durable mode on a single Redis: the outbox claims cooldowns in the script that writes the delivery. */
  private readonly atomicCooldown: boolean;
  private readonly gone: Record<string, number> = {};
  private closing: Promise<{ unfinished: number }> | undefined;
  private readonly delivererOptions: DelivererOptions;

  constructor(options: DeliveryServiceOptions) {
    this.o = options;
    this.t = { ...DEFAULT_TUNING, ...tuningFromConfig(options.defaults), ...options.tuning };
    this.log = new DeliveryLog(this.t.logSize);
    this.egress = options.egress ?? (() => options.defaults);
    this.delivererOptions = {
      logger: options.logger,
      responseBodyLimit: this.t.responseBodyLimit,
      jitter: this.t.jitter,
      maxRetryAfterMs: this.t.maxRetryAfterMs,
      dispatcherFor: (job) => this.dispatcherFor(job.record.options),
      source: this,
    };
    const store = options.store;
    this.claimSync = store.claimSync ? store.claimSync.bind(store) : undefined;
    const durable = options.durable === true;
    if (durable && !options.redis) throw new FirehookError('FH_DELIVERY_INVALID', 'durable delivery needs a Redis client');
    const keyPrefix = options.keyPrefix ?? DEFAULT_DELIVERY_KEY_PREFIX;
    this.atomicCooldown = durable && !isCluster(options.redis!);
    if (durable) {
      this.outbox = new RedisOutbox({
        redis: ioredisClient(options.redis!),
        keyPrefix,
        consumer: options.consumerName ?? defaultConsumerName(),
        group: 'firehook',
        logger: options.logger,
        claimIdleMs: this.t.claimIdleMs,
        livenessMs: Math.min(this.t.livenessMs, this.t.claimIdleMs),
        // Every job this process holds may be waiting for its settle; twice that as a margin.
        unsettledMax: 2 * this.t.maxInFlight,
        claimIntervalMs: this.t.claimIntervalMs,
        moverIntervalMs: this.t.moverIntervalMs,
        readBlockMs: this.t.readBlockMs,
        readBatch: this.t.readBatch,
        logSize: this.t.durableLogSize,
        logBodyBytes: this.t.durableLogBodyBytes,
        deadLetterMax: this.t.deadLetterMax,
        idempotencyWindowMs: this.t.idempotencyWindowMs,
        atomicCooldown: this.atomicCooldown,
      });
      this.admin = new RedisDeliveryAdmin({ redis: options.redis!, keyPrefix });
    } else {
      const memory = new MemoryOutbox({ deadLetterMax: this.t.deadLetterMax });
      this.outbox = memory;
      this.admin = memory.admin(this.log);
    }
    this.gate = new TargetGate(this.t, {
      run: (job) => void this.work(job),
      ...(durable ? { park: (job: Job, until: number) => this.park(job, until) } : {}),
      onBreaker: (target, state) => options.logger.warn({ target, breaker: state }, `delivery breaker ${state} for target`),
    });
    this.ready = this.outbox.start(
      (job) => this.gate.offer(job),
      () => this.t.maxInFlight - this.gate.queued - this.working,
    );
    this.ready.catch((error: unknown) => options.logger.error({ code: 'FH_STORE_UNAVAILABLE', err: String(error) }, 'delivery outbox failed to start'));
  }

  /**
   * The cooldown is claimed only together with the write of its delivery: durable mode on a single
   * Redis claims it in the script that writes the record (so a failed write leaves no claim behind
   * to suppress a later event); memory mode checks everything that can refuse the delivery first,
   * then claims and queues at once. Redis Cluster (cooldown key in another slot) claims first and
   * releases the claim when the write fails.
   */
  async submit(request: DeliveryRequest): Promise<SubmitResult> {
    if (this.closing) throw new FirehookError('FH_DELIVERY_CLOSED', 'delivery service is closed');
    const keyed = request.idempotencyKey !== undefined && request.idempotencyKey !== '';
    const id = keyed ? idempotentDeliveryId(request.idempotencyKey!, request.origin) : newDeliveryId();
    const cooldown = request.cooldown && request.cooldown.ttlMs > 0 ? request.cooldown : undefined;
    if (this.outbox.mode === 'memory' && this.gate.queued + this.gate.inFlight + this.outbox.scheduledCount() >= this.t.maxQueued) {
      throw new FirehookError('FH_DELIVERY_QUEUE_FULL', `in-memory delivery queue is full (${this.t.maxQueued})`);
    }
    const record: DeliveryRecord = buildRecord(request, id, Date.now());
    this.dispatcherFor(request.options, true);
    if (this.atomicCooldown) {
      const outcome = await this.outbox.add(record, keyed);
      if (outcome === 'suppressed') {
        this.counters.suppressed++;
        return { status: 'suppressed' };
      }
      if (outcome === 'duplicate') this.counters.deduplicated++;
      else this.counters.submitted++;
      return { status: 'queued', id };
    }
    if (cooldown) {
      const claimed = this.claimSync ? this.claimSync(cooldown.key, id, cooldown.ttlMs) : await this.o.store.setNX(cooldown.key, id, cooldown.ttlMs);
      if (!claimed) {
        this.counters.suppressed++;
        return { status: 'suppressed' };
      }
    }
    let outcome: AddOutcome | void = undefined;
    try {
      const persisted = this.outbox.add(record, keyed);
      if (persisted) outcome = await persisted;
    } catch (error) {
      if (cooldown) await this.release(cooldown.key, id);
      throw error;
    }
    if (outcome === 'duplicate') this.counters.deduplicated++;
    else this.counters.submitted++;
    return { status: 'queued', id };
  }

  stats(): DeliveryStats {
    return {
      mode: this.outbox.mode,
      ...this.counters,
      inFlight: this.gate.inFlight,
      queued: this.gate.queued,
      scheduled: this.outbox.scheduledCount(),
      openBreakers: this.gate.openTargets(),
      goneTargets: { ...this.gone },
    };
  }

  close(deadlineMs = 10_000): Promise<{ unfinished: number }> {
    this.closing ??= this.shutdown(deadlineMs);
    return this.closing;
  }

  private async shutdown(deadlineMs: number): Promise<{ unfinished: number }> {
    const deadline = Date.now() + deadlineMs;
    const stopping = this.outbox.mode === 'memory' ? Promise.resolve() : this.outbox.stopFeeding();
    await this.ready.catch(() => undefined);
    await stopping;
    /** What is left, by state: `queued` and `retry` were not sent; `in-flight` were sent and their answer is unknown. */
    const left: { queued: string[]; retry: string[]; 'in-flight': string[] } = { queued: [], retry: [], 'in-flight': [] };
    let unfinished = 0;
    if (this.outbox instanceof MemoryOutbox) {
      // Memory mode: nothing survives the process, so use the drain time to deliver what is queued.
      const memory = this.outbox;
      await this.waitUntil(() => this.working === 0 && this.gate.queued === 0 && memory.dueBefore(deadline) === 0, deadline);
      await memory.stopFeeding();
      const waiting = this.gate.drainQueued();
      unfinished += waiting.length;
      for (const job of waiting) left.queued.push(job.record.id);
      for (const job of this.active) left['in-flight'].push(job.record.id);
      left.retry.push(...memory.scheduledIds());
    } else {
      await this.outbox.stopFeeding();
      const waiting = this.gate.drainQueued();
      await this.outbox.giveBack(waiting).catch(() => {
        unfinished += waiting.length;
        for (const job of waiting) left.queued.push(job.record.id);
      });
      await this.waitUntil(() => this.working === 0, deadline);
      for (const job of this.active) left['in-flight'].push(job.record.id);
    }
    // Attempts still running; settles still waiting (Redis unreachable) get a last try in stop().
    unfinished += this.working - this.settling;
    unfinished += await this.outbox.stop();
    await Promise.all([...this.dispatchers.values()].map((d) => (unfinished > 0 ? d.destroy() : d.close()).catch(() => undefined)));
    if (unfinished > 0) {
      const mode = this.outbox.mode;
      const what = mode === 'memory' ? 'lost with the process' : 'left in Redis for the next worker';
      this.o.logger.warn(
        { code: 'FH_SHUTDOWN_INCOMPLETE', unfinished, mode, drain_ms: deadlineMs, delivered: this.counters.delivered },
        `delivery service closed with work unfinished (${what})`,
      );
      // Every id, in bounded lines, so an operator can reconcile what a receiver never got.
      for (const [state, ids] of Object.entries(left)) {
        for (let i = 0; i < ids.length; i += UNFINISHED_IDS_PER_LINE) {
          this.o.logger.warn(
            {
              code: 'FH_SHUTDOWN_INCOMPLETE',
              mode,
              state,
              part: Math.floor(i / UNFINISHED_IDS_PER_LINE) + 1,
              parts: Math.ceil(ids.length / UNFINISHED_IDS_PER_LINE),
              ids: ids.slice(i, i + UNFINISHED_IDS_PER_LINE),
            },
            'unfinished delivery ids',
          );
        }
      }
    }
    return { unfinished };
  }

  /** Resolve once `done()` holds (checked now and after every attempt or parking ends) or at `deadline`. */
  private async waitUntil(done: () => boolean, deadline: number): Promise<void> {
    if (done()) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => {
        this.drained = done;
        this.onIdle = resolve;
      }),
      new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now())))),
    ]);
    clearTimeout(timer);
    this.drained = undefined;
    this.onIdle = undefined;
  }

  private begin(): void {
    this.working++;
  }

  private end(): void {
    this.working--;
    this.outbox.wake();
    if (this.onIdle && this.drained?.()) this.onIdle();
  }

  private async work(job: Job): Promise<void> {
    let health: Health = 'neutral';
    let released = false;
    this.begin();
    this.active.add(job);
    try {
      const decision = await attemptDelivery(job, this.delivererOptions);
      health = decision.health;
      this.counters.attempts++;
      this.log.add(decision.attempt);
      this.gate.finished(job.target, health);
      released = true;
      const kind = decision.settlement.kind;
      if (decision.deadReason === 'gone') this.gone[job.target] = Date.now();
      const settled = this.outbox.settle(job, decision.settlement, decision.attempt);
      if (settled) {
        this.settling++;
        try {
          await settled;
        } finally {
          this.settling--;
        }
      }
      // Counted once recorded (in durable mode: once the attempt is in Redis and the entry acknowledged).
      if (kind === 'done') this.counters.delivered++;
      else if (kind === 'retry') this.counters.retries++;
      else if (kind === 'dead') this.counters.failed++;
      const claim = job.record.cooldown;
      if (kind === 'dead' && claim && job.record.claimId) await this.release(claim.key, job.record.claimId);
    } catch (error) {
      this.o.logger.error(
        { code: 'FH_DELIVERY_PERSIST_FAILED', delivery: job.record.id, err: String(error) },
        'could not record a delivery attempt; it will be retried',
      );
    } finally {
      if (!released) this.gate.finished(job.target, health);
      this.active.delete(job);
      this.end();
    }
  }

  /** Durable mode: send a job that cannot run now back to Redis until `until`. */
  private park(job: Job, until: number): boolean {
    if (this.closing) return false;
    this.begin();
    this.settling++;
    Promise.resolve(this.outbox.settle(job, { kind: 'defer', dueAt: until }, undefined))
      .catch((error: unknown) => {
        this.o.logger.warn(
          { code: 'FH_DELIVERY_PERSIST_FAILED', delivery: job.record.id, err: String(error) },
          'could not park a delivery; it will be claimed again',
        );
      })
      .finally(() => {
        this.settling--;
        this.end();
      });
    return true;
  }

  private async release(key: string, claimId: string): Promise<void> {
    try {
      await this.o.store.delIfEquals(key, claimId);
    } catch (error) {
      this.o.logger.warn({ code: 'FH_STORE_UNAVAILABLE', err: String(error) }, 'could not release a cooldown claim; it expires on its own');
    }
  }

  /** `remember`: the caller's own options object (reused per handler), worth a WeakMap entry. */
  private dispatcherFor(options: DeliveryOptions, remember = false): Dispatcher {
    const egress = this.egress();
    const known = this.byOptions.get(options);
    if (known && known.egress === egress) return known.dispatcher;
    const dispatcher = this.dispatcherForKey(options, egress);
    if (remember) this.byOptions.set(options, { egress, dispatcher });
    return dispatcher;
  }

  /** The dispatcher for these options under the gateway's private-network floor (core/net/egress-floor.ts). */
  private dispatcherForKey(options: DeliveryOptions, egress: GatewayEgress): Dispatcher {
    const connectTimeoutMs = Math.min(this.t.connectTimeoutMs, options.timeoutMs);
    const policy = applyEgressFloor(options, egress);
    const key = `${policy.denyPrivateNetworks ? 1 : 0}|${options.timeoutMs}|${policy.allowNetworks.join(',')}|${policy.metadataAllowNetworks.join(',')}`;
    let dispatcher = this.dispatchers.get(key);
    if (!dispatcher) {
      dispatcher = createEgressAgent({
        ...policy,
        connections: this.t.maxConcurrencyPerTarget,
        connectTimeoutMs,
        headersTimeoutMs: options.timeoutMs,
        bodyTimeoutMs: options.timeoutMs,
        keepAliveTimeoutMs: this.t.keepAliveTimeoutMs,
      });
      this.dispatchers.set(key, dispatcher);
    }
    return dispatcher;
  }
}
