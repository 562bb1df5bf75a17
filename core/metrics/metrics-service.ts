/**
 * Prometheus metrics (prom-client, one registry per runtime). Hot-path counts (events fired) are
 * plain numbers bumped by the dispatcher's observer and turned into series at scrape time;
 * everything else is read from the runtime's stats when scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DeliveryStats } from '../delivery/delivery-service.ts';
import type { HandlerReport, SlotInfo, SlotObserver, SlotStats } from '../dispatch/handler-slot.ts';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { DELIVERY_ATTEMPT_CHANNEL, type DeliveryAttemptMessage } from '../diagnostics.ts';
import type { SandboxActivityStats } from '../plugin.ts';

export interface MetricsConfig {
  /** Serve `GET /metrics` (default true). */
  enabled: boolean;
  /** Serve `/metrics` without the admin gate (default false: admin_secret bearer, or loopback only). */
  public: boolean;
  /** Include prom-client's process and Node.js metrics (default true). */
  default_metrics: boolean;
  /** Distinct API ids (and target hosts) kept as label values; the rest count as `__other__` (default 1000). */
  max_label_values: number;
  /** Buckets of the latency histograms, in seconds. */
  latency_buckets: number[];
}

export const DEFAULT_METRICS_CONFIG: MetricsConfig = {
  enabled: true,
  public: false,
  default_metrics: true,
  max_label_values: 1000,
  latency_buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
};

/** What the sandbox reports, as the dynamic plugin offers it (`ctx.stats`). */
export type SandboxStatsLike = SandboxActivityStats;

export interface MetricsSources {
  /** The dispatcher's counters (fired, matched, unmatched, rejected). */
  dispatch(): { matched: number; unmatched: number; rejected: number } | undefined;
  /** The generation in force and its handler slots. */
  generation(): { number: number; handlers: SlotStats[] } | undefined;
  deliveries(): DeliveryStats | undefined;
  sandbox(): SandboxStatsLike | undefined;
  globalWebhooks(): number | undefined;
}

const OTHER = '__other__';

interface FireCount {
  n: number;
}

/** Adds the growth of a running total to a prom counter at each scrape. */
function totalTracker(counter: Counter): (labels: Record<string, string>, total: number) => void {
  const last = new Map<string, number>();
  return (labels, total) => {
    const key = JSON.stringify(labels);
    const before = last.get(key) ?? 0;
    const delta = total >= before ? total - before : total;
    last.set(key, total);
    if (delta > 0) counter.inc(labels, delta);
  };
}

export class MetricsService {
  private readonly registry = new Registry();
  readonly config: MetricsConfig;
  private readonly fires = new Map<string, Map<string, FireCount>>();
  private readonly hosts = new Set<string>();
  private readonly stopProbe: () => void;
  private readonly outcomes: Counter;
  private readonly handlerSeconds: Histogram;
  private readonly suppressed: Counter;
  private readonly drops: Counter;
  private readonly attempts: Counter;
  private readonly attemptSeconds: Histogram;
  private readonly attemptErrors: Counter;
  private readonly reloads: Counter;
  private readonly sandboxTimeouts: Counter;
  private readonly children = new WeakMap<SlotInfo, Map<string, { inc(): void }>>();

  private readonly sources: MetricsSources;

  constructor(sources: MetricsSources, config: Partial<MetricsConfig> = {}) {
    this.sources = sources;
    this.config = { ...DEFAULT_METRICS_CONFIG, ...config };
    const registers = [this.registry];
    const buckets = this.config.latency_buckets;
    const fires = this.fires;
    new Counter({
      name: 'firehook_events_total',
      help: 'Events fired that reached at least one handler, by API (empty for system events) and type.',
      labelNames: ['api_id', 'type'],
      registers,
      collect() {
        this.reset();
        for (const [apiId, byType] of fires) for (const [type, c] of byType) this.inc({ api_id: apiId, type }, c.n);
      },
    });
    const dispatchCounter = new Counter({
      name: 'firehook_events_dispatch_total',
      help: 'Every fire by result: matched (reached a handler), unmatched (no handler registered; not broken down, to keep that path cheap), rejected (runtime closing).',
      labelNames: ['result'],
      registers,
      collect() {
        const d = sources.dispatch();
        if (!d) return;
        trackDispatch({ result: 'matched' }, d.matched);
        trackDispatch({ result: 'unmatched' }, d.unmatched);
        trackDispatch({ result: 'rejected' }, d.rejected);
      },
    });
    const trackDispatch = totalTracker(dispatchCounter);
    this.outcomes = new Counter({
      name: 'firehook_handler_outcomes_total',
      help: 'Events finished by a handler, by outcome (ok, queued, suppressed, skipped, failed).',
      labelNames: ['plugin', 'api_id', 'event', 'status'],
      registers,
    });
    this.handlerSeconds = new Histogram({
      name: 'firehook_handler_duration_seconds',
      help: 'Time a handler took per event (for webhooks: render, claim, enqueue).',
      labelNames: ['plugin'],
      buckets,
      registers,
    });
    this.suppressed = new Counter({
      name: 'firehook_cooldown_suppressions_total',
      help: 'Webhook events absorbed by a cooldown claim (event_timeout / cooldownPeriod).',
      labelNames: ['api_id', 'handler'],
      registers,
    });
    this.drops = new Counter({
      name: 'firehook_queue_dropped_total',
      help: 'Events dropped because a handler queue was full (FH_DISPATCH_DROPPED).',
      labelNames: ['plugin', 'api_id', 'event', 'handler'],
      registers,
    });
    this.attempts = new Counter({
      name: 'firehook_delivery_attempts_total',
      help: 'Webhook delivery attempts by target host and HTTP outcome (2xx..5xx, error).',
      labelNames: ['host', 'outcome'],
      registers,
    });
    this.attemptSeconds = new Histogram({
      name: 'firehook_delivery_attempt_duration_seconds',
      help: 'Webhook delivery attempt latency to response headers (or error), by target host and outcome.',
      labelNames: ['host', 'outcome'],
      buckets,
      registers,
    });
    this.attemptErrors = new Counter({
      name: 'firehook_delivery_attempt_errors_total',
      help: 'Webhook delivery attempts that got no response, by target host and error code.',
      labelNames: ['host', 'code'],
      registers,
    });
    this.reloads = new Counter({ name: 'firehook_reloads_total', help: 'Configuration reloads by result (ok, failed).', labelNames: ['result'], registers });
    this.sandboxTimeouts = new Counter({
      name: 'firehook_sandbox_timeouts_total',
      help: 'JS handler invocations stopped by jsvm_timeout (FH_SANDBOX_TIMEOUT).',
      registers,
    });
    this.reloads.inc({ result: 'ok' }, 0);
    this.reloads.inc({ result: 'failed' }, 0);
    this.sandboxTimeouts.inc(0);
    this.defineScrapeMetrics(registers);
    if (this.config.default_metrics) collectDefaultMetrics({ register: this.registry });
    // every delivery attempt of the process (core/diagnostics.ts), as the engine announces it
    const onAttempt = (message: unknown): void => this.attempt(message as DeliveryAttemptMessage);
    subscribe(DELIVERY_ATTEMPT_CHANNEL, onAttempt);
    this.stopProbe = () => unsubscribe(DELIVERY_ATTEMPT_CHANNEL, onAttempt);
  }

  /** The dispatcher's observer for matched fires: two map lookups and an increment. */
  readonly fired = (apiId: string, type: string): void => {
    let byType = this.fires.get(apiId);
    if (byType === undefined) byType = this.apiCounts(apiId);
    const count = byType.get(type);
    if (count === undefined) byType.set(type, { n: 1 });
    else count.n++;
  };

  /** Handler outcomes and drops, from the handler slots. */
  readonly slots: SlotObserver = {
    outcome: (info, status, code, seconds) => this.outcome(info, status, code, seconds),
    dropped: (info) => this.drops.inc({ plugin: info.plugin, api_id: info.apiId, event: info.event, handler: info.handler }),
  };

  /** Count a reload (the runtime's `reload` / `reload-failed` events). */
  reloaded(ok: boolean): void {
    this.reloads.inc({ result: ok ? 'ok' : 'failed' });
  }

  /** The exposition text. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  close(): void {
    this.stopProbe();
    this.registry.clear();
  }

  private apiCounts(apiId: string): Map<string, FireCount> {
    const key = this.fires.size >= this.config.max_label_values ? OTHER : apiId;
    let byType = this.fires.get(key);
    if (byType === undefined) {
      byType = new Map();
      this.fires.set(key, byType);
    }
    return byType;
  }

  private outcome(info: SlotInfo, status: HandlerReport['status'], code: string | undefined, seconds: number): void {
    let byStatus = this.children.get(info);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.children.set(info, byStatus);
    }
    let child = byStatus.get(status);
    if (child === undefined) {
      child = this.outcomes.labels({ plugin: info.plugin, api_id: info.apiId, event: info.event, status });
      byStatus.set(status, child);
    }
    child.inc();
    if (seconds > 0) this.handlerSeconds.observe({ plugin: info.plugin }, seconds);
    if (status === 'suppressed') this.suppressed.inc({ api_id: info.apiId, handler: info.handler });
    if (code === 'FH_SANDBOX_TIMEOUT') this.sandboxTimeouts.inc();
  }

  private attempt(o: DeliveryAttemptMessage): void {
    let host = o.host;
    if (!this.hosts.has(host)) {
      if (this.hosts.size >= this.config.max_label_values) host = OTHER;
      else this.hosts.add(host);
    }
    this.attempts.inc({ host, outcome: o.outcome });
    this.attemptSeconds.observe({ host, outcome: o.outcome }, o.seconds);
    if (o.code !== undefined) this.attemptErrors.inc({ host, code: o.code });
  }

  /** Series read from the runtime's stats when scraped. */
  private defineScrapeMetrics(registers: Registry[]): void {
    const s = this.sources;
    new Gauge({
      name: 'firehook_generation',
      help: 'Number of the configuration generation in force.',
      registers,
      collect() {
        const g = s.generation();
        if (g) this.set(g.number);
      },
    });
    new Gauge({
      name: 'firehook_handler_queue_depth',
      help: 'Events waiting in a handler queue.',
      labelNames: ['plugin', 'api_id', 'event', 'handler'],
      registers,
      collect() {
        this.reset();
        for (const h of s.generation()?.handlers ?? []) this.set({ plugin: h.plugin, api_id: h.apiId, event: h.event, handler: h.handler }, h.queued);
      },
    });
    new Gauge({
      name: 'firehook_handler_running',
      help: 'Events a handler is processing now.',
      labelNames: ['plugin', 'api_id', 'event', 'handler'],
      registers,
      collect() {
        this.reset();
        for (const h of s.generation()?.handlers ?? []) this.set({ plugin: h.plugin, api_id: h.apiId, event: h.event, handler: h.handler }, h.running);
      },
    });
    const deliveryCounter = new Counter({
      name: 'firehook_deliveries_total',
      help: 'Webhook deliveries by result: submitted, suppressed (cooldown), delivered, retried (attempts that will be retried), dead_lettered.',
      labelNames: ['result'],
      registers,
      collect() {
        const d = s.deliveries();
        if (!d) return;
        const add = track;
        add({ result: 'submitted' }, d.submitted);
        add({ result: 'suppressed' }, d.suppressed);
        add({ result: 'delivered' }, d.delivered);
        add({ result: 'retried' }, d.retries);
        add({ result: 'dead_lettered' }, d.failed);
      },
    });
    const track = totalTracker(deliveryCounter);
    new Gauge({
      name: 'firehook_delivery_queue_depth',
      help: 'Deliveries waiting, by state: in_flight, queued (for a target slot or breaker), scheduled (memory-mode retries).',
      labelNames: ['state'],
      registers,
      collect() {
        const d = s.deliveries();
        if (!d) return;
        this.set({ state: 'in_flight' }, d.inFlight);
        this.set({ state: 'queued' }, d.queued);
        this.set({ state: 'scheduled' }, d.scheduled);
      },
    });
    new Gauge({
      name: 'firehook_delivery_open_breakers',
      help: 'Targets whose breaker is open or half-open.',
      registers,
      collect() {
        this.set(s.deliveries()?.openBreakers.length ?? 0);
      },
    });
    const sandboxCounter = new Counter({
      name: 'firehook_sandbox_total',
      help: 'JS sandbox activity: invocations (events run), crossings (batches into the isolate), rebuilds (process restarts), generations (isolates built).',
      labelNames: ['kind'],
      registers,
      collect() {
        const x = s.sandbox();
        if (!x) return;
        trackSandbox({ kind: 'invocations' }, x.events);
        trackSandbox({ kind: 'crossings' }, x.crossings);
        trackSandbox({ kind: 'rebuilds' }, x.restarts);
        trackSandbox({ kind: 'generations' }, x.generations);
      },
    });
    const trackSandbox = totalTracker(sandboxCounter);
    new Gauge({
      name: 'firehook_sandbox_queue_depth',
      help: 'JS handler events waiting for the sandbox, and crossings in flight.',
      labelNames: ['state'],
      registers,
      collect() {
        const x = s.sandbox();
        if (!x) return;
        this.set({ state: 'queued' }, x.queued);
        this.set({ state: 'in_flight' }, x.inflightCrossings);
      },
    });
    new Gauge({
      name: 'firehook_global_webhooks',
      help: 'Global webhooks in the registry (not counting deleted ones).',
      registers,
      collect() {
        const n = s.globalWebhooks();
        if (n !== undefined) this.set(n);
      },
    });
  }
}
