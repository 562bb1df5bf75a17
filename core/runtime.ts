import { EventEmitter } from 'node:events';
import { EventStream } from './dispatch/event-stream.ts';
import type { GlobalWebhookRegistry } from './global-webhooks/registry.ts';
import { seedGlobalWebhooks } from './global-webhooks/seeds.ts';
import { testFireWebhook, type TestFireInput, type TestFireResult } from './test-fire.ts';
import { MetricsService } from './metrics/metrics-service.ts';
import { observeDispatch } from './metrics/observe-dispatch.ts';
import { ProvidedStatsRegistry } from './stats-registry.ts';
import type { ApiDefinition } from './config/api-definition.ts';
import type { GatewayConfig } from './config/gateway-config.ts';
import { loadGatewayConfig, resolveConfigPath, type GatewayOverrides } from './config/load-gateway-config.ts';
import { builtinPlugins } from './container.ts';
import type { HandlerReport, SlotStats } from './dispatch/handler-slot.ts';
import { Dispatcher, type Admission, type BatchEvent, type DispatchCounters, type EventTime } from './dispatch/dispatcher.ts';
import { ConfigError, formatProblem, type ConfigProblem } from './errors/firehook-error.ts';
import type { EventType, MetaInput } from './event.ts';
import { buildGeneration, disposeGeneration, type Generation } from './generation.ts';
import { createLogger, type Logger } from './logger.ts';
import { loadPluginPackages } from './plugin-loader.ts';
import type { PluginExport } from './plugin.ts';
import { createDefaultServices, type ServiceOverrides, type OwnedServices } from './runtime-defaults.ts';
import { SharedObjects, type RuntimeServices } from './runtime-services.ts';
import type { ManagedDeliveryService } from './delivery/index.ts';
import { createErrorRenderer, type ErrorRenderer } from './error-templates/error-renderer.ts';
import type { QuotaMonitor } from './monitor/quota-monitor.ts';
import type { FirehookSessionStore } from './sessions/create-session-store.ts';
import type { Store } from './store/store.ts';
import { loadApiSet, reportProblems, restartOnlyChanges, watchPathsFor } from './runtime-loading.ts';
import { ReloadWatcher } from './watch.ts';

export interface RuntimeOptions extends ServiceOverrides {
  /** Gateway config file (Tyk `tyk.conf` shape); omitted: the embedded defaults. */
  configFile?: string;
  overrides?: GatewayOverrides;
  logger?: Logger;
  /** Plugins added by embedding code, besides the built-ins and the config's `plugins`. */
  plugins?: PluginExport[];
  /** Watch the config, API definitions, templates and handler files and hot-reload on change. */
  watch?: boolean;
  /** Quiet period before a hot reload. */
  watchDebounceMs?: number;
}

export interface ReloadResult {
  ok: boolean;
  generation: number;
  problems: ConfigProblem[];
}

export interface CloseReport {
  /** Events still queued or running at the deadline. */
  unfinished: number;
  /** Deliveries still pending at the deadline (durable mode keeps them for the next start). */
  undelivered: number;
}

export interface RuntimeStats {
  generation: number;
  dispatch: DispatchCounters;
  handlers: SlotStats[];
}

/**
 * A Firehook runtime: the current configuration generation, the dispatcher and the services
 * that outlive generations (store, sessions, templates, delivery, sandbox).
 */
export class Runtime extends EventEmitter<{ reload: [ReloadResult]; 'reload-failed': [ReloadResult] }> {
  private readonly dispatcher: Dispatcher;
  private watcher: ReloadWatcher | undefined;
  private closing: Promise<CloseReport> | undefined;
  private generationCounter = 1;
  private errorRenderer: ErrorRenderer | undefined;
  private reloading: Promise<ReloadResult> | undefined;
  private metricsService: MetricsService | undefined;
  /** Fired events for the console's live stream (server-sent events); costs nothing while nobody listens. */
  readonly eventStream = new EventStream();

  private constructor(
    private gateway: GatewayConfig,
    readonly logger: Logger,
    private readonly services: RuntimeServices & OwnedServices & { shared: SharedObjects; stats: ProvidedStatsRegistry },
    private readonly pluginExports: PluginExport[],
    private readonly options: RuntimeOptions,
  ) {
    super();
    this.dispatcher = new Dispatcher(logger);
  }

  /** Load, validate and start. Refuses to start on invalid configuration files (ConfigError). */
  static async create(options: RuntimeOptions = {}): Promise<Runtime> {
    const { config, problems } = await loadGatewayConfig(options.configFile, options.overrides);
    if (config === undefined) throw new ConfigError(problems);
    const logger = options.logger ?? createLogger({ level: config.log_level, transports: config.log_transports });
    const packages = await loadPluginPackages(config.plugins, config.base_dir);
    const plugins = [...(await builtinPlugins()), ...packages.flatMap((p) => p.exports), ...(options.plugins ?? [])];
    let runtime: Runtime | undefined;
    const shared = new SharedObjects();
    const stats = new ProvidedStatsRegistry();
    const owned = await createDefaultServices(
      config,
      logger,
      options,
      {
        fire: (apiId, type, meta) => runtime?.fire(apiId, type, meta),
        fireSystem: (type, meta) => runtime?.fireSystem(type, meta),
      },
      () => runtime?.config ?? config,
    );
    const services: RuntimeServices & OwnedServices & { shared: SharedObjects; stats: ProvidedStatsRegistry } = {
      ...owned,
      logger,
      shared,
      stats,
      fire: (apiId, type, meta) => runtime?.fire(apiId, type, meta),
      fireSystem: (type, meta) => runtime?.fireSystem(type, meta),
    };
    runtime = new Runtime(config, logger, services, plugins, options);
    try {
      const seedErrors = owned.globalWebhooks.seedProblems.filter((p) => p.severity === 'error');
      if (seedErrors.length > 0) throw new ConfigError(owned.globalWebhooks.seedProblems);
      const apis = await loadApiSet(config);
      const built = await buildGeneration({ number: 1, gateway: config, apis, plugins, services });
      reportProblems(logger, built.problems);
      if (built.generation === undefined) throw new ConfigError(built.problems);
      runtime.startObserving(config);
      runtime.dispatcher.use(built.generation);
      runtime.errorRenderer = await runtime.loadErrorRenderer(config);
      if (options.watch) await runtime.startWatching();
    } catch (error) {
      await runtime.close(0);
      throw error;
    }
    logger.info(
      { generation: 1, apis: runtime.current.apis.length, handlers: runtime.current.slots.length, store: services.store.kind },
      'firehook runtime started',
    );
    return runtime;
  }

  private get current(): Generation {
    return this.dispatcher.current()!;
  }

  /** The gateway config in force (frozen). */
  get config(): GatewayConfig {
    return this.gateway;
  }

  get store(): Store {
    return this.services.store;
  }

  /** True when webhook deliveries are persisted in Redis before they are attempted. */
  get durable(): boolean {
    return this.services.deliveryEngine !== undefined && this.services.store.kind === 'redis' && this.gateway.webhooks.durable !== false;
  }

  /** The delivery engine (delivery log, dead letters, stats); undefined when embedding code supplied its own. */
  get deliveries(): ManagedDeliveryService | undefined {
    return this.services.deliveryEngine;
  }

  /** The global webhook registry (shared through the store: every node on one Redis sees one set). */
  get globalWebhooks(): GlobalWebhookRegistry {
    return this.services.globalWebhooks;
  }

  /** Prometheus metrics; undefined when `metrics.enabled` is false. */
  get metrics(): MetricsService | undefined {
    return this.metricsService;
  }

  /** Send one sample event through a global webhook (as a reference would), and wait briefly for the first attempt. */
  testFire(input: TestFireInput): Promise<TestFireResult> {
    return testFireWebhook(input, {
      plugins: this.current.plugins,
      services: this.services,
      gateway: this.gateway,
      admin: this.services.deliveryEngine?.admin,
    });
  }

  private startObserving(config: GatewayConfig): void {
    const stream = this.eventStream;
    if (config.metrics?.enabled !== false) {
      this.metricsService = new MetricsService(
        {
          dispatch: () => this.dispatcher.counters,
          generation: () => (this.dispatcher.current() ? { number: this.current.number, handlers: this.current.slots.map((s) => s.stats()) } : undefined),
          deliveries: () => this.services.deliveryEngine?.stats(),
          sandbox: () => this.services.stats.read('sandbox'),
          globalWebhooks: () => this.services.globalWebhooks.size(),
        },
        config.metrics,
      );
    }
    observeDispatch(this.dispatcher, stream, this.metricsService);
    this.services.globalWebhooks.onChange((r) => stream.broadcast('webhook', { id: r.id, revision: r.revision, deleted: r.deleted === true }));
  }

  /** Key sessions (what JS handlers read through TykGetKeyData). */
  get sessions(): FirehookSessionStore {
    return this.services.sessions;
  }

  /** The quota monitor: call `check(session, key)` after decrementing a quota (`key` `""` for org sessions). */
  get monitor(): QuotaMonitor {
    return this.services.monitor;
  }

  /**
   * Error responses from the error templates in `template_path` (Tyk's lookup and escaping), for
   * embedding gateways; Firehook's own HTTP server uses it too. Follows hot reloads.
   */
  get errors(): ErrorRenderer {
    return this.errorRenderer!;
  }

  private async loadErrorRenderer(config: GatewayConfig): Promise<ErrorRenderer> {
    const renderer = createErrorRenderer({
      templateDir: resolveConfigPath(config, config.template_path),
      templates: this.services.templates,
      hideGeneratorHeader: config.hide_generator_header,
      track404Logs: config.track_404_logs,
      logger: this.logger.child({ component: 'error-templates' }),
    });
    await renderer.load();
    return renderer;
  }

  /** Fire an API event. Synchronous, never throws; returns how many handlers it was queued for. */
  fire<T extends EventType>(apiId: string, type: T, meta: MetaInput<T> = {}, time?: EventTime): number {
    return this.dispatcher.fire(apiId, type, meta, time);
  }

  /** Fire a system (gateway-level) event. */
  fireSystem<T extends EventType>(type: T, meta: MetaInput<T> = {}, time?: EventTime): number {
    return this.dispatcher.fireSystem(type, meta, time);
  }

  /** Fire and wait for every handler's outcome. `apiId` undefined fires a system event. */
  fireAndWait<T extends EventType>(apiId: string | undefined, type: T, meta: MetaInput<T> = {}, time?: EventTime): Promise<HandlerReport[]> {
    return this.dispatcher.fireAndWait(apiId, type, meta, time);
  }

  /** Fire a batch whole once the handler queues have room for it, or not at all (see `Dispatcher.admit`). */
  admit(events: readonly BatchEvent[], waitMs: number): Promise<Admission> {
    return this.dispatcher.admit(events, waitMs);
  }

  /** Fire an event with its idempotency key (ingestion in memory mode); returns how many handlers it was queued for. */
  fireKeyed(event: BatchEvent): number {
    return event.apiId === undefined
      ? this.dispatcher.fireSystem(event.type, event.meta, event.time, undefined, event.idempotencyKey)
      : this.dispatcher.fire(event.apiId, event.type, event.meta, event.time, undefined, event.idempotencyKey);
  }

  /** The loaded generation: number, API definitions and handlers. */
  generation(): { number: number; apis: readonly ApiDefinition[]; handlers: SlotStats[] } {
    const g = this.current;
    return { number: g.number, apis: g.apis, handlers: g.slots.map((s) => s.stats()) };
  }

  stats(): RuntimeStats {
    return { generation: this.current.number, dispatch: { ...this.dispatcher.counters }, handlers: this.current.slots.map((s) => s.stats()) };
  }

  /** True when the configuration is loaded and the store answers. */
  async ready(): Promise<boolean> {
    if (this.closing || this.dispatcher.current() === undefined) return false;
    try {
      await this.services.store.ping();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Re-read the gateway config and API definitions, build and validate a new generation and swap
   * it in atomically. Any error keeps the previous generation running. Calls are coalesced.
   */
  reload(): Promise<ReloadResult> {
    if (this.reloading) return this.reloading;
    this.reloading = this.doReload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async doReload(): Promise<ReloadResult> {
    const number = ++this.generationCounter;
    const fail = (problems: ConfigProblem[]): ReloadResult => {
      const result = { ok: false, generation: this.current.number, problems };
      this.logger.error(
        { code: 'FH_RELOAD_FAILED', problems: problems.map(formatProblem) },
        `reload rejected; generation ${this.current.number} keeps running`,
      );
      this.metricsService?.reloaded(false);
      this.emit('reload-failed', result);
      return result;
    };
    if (this.closing) return { ok: false, generation: this.current.number, problems: [] };
    const { config, problems } = await loadGatewayConfig(this.options.configFile, this.options.overrides);
    if (config === undefined) return fail(problems);
    for (const key of restartOnlyChanges(this.gateway, config)) this.logger.warn({ key }, `gateway config key "${key}" changed; it takes effect on restart`);
    const seeds = config.global_webhooks?.seed ?? [];
    if (seeds.length > 0) {
      const seeded = await seedGlobalWebhooks(
        this.services.globalWebhooks,
        seeds.map((p) => resolveConfigPath(config, p)),
        config.global_webhooks?.seed_overwrite === true,
        config.webhooks,
      );
      if (seeded.problems.some((p) => p.severity === 'error')) return fail(seeded.problems);
    }
    let apis: ApiDefinition[];
    try {
      apis = await loadApiSet(config);
    } catch (error) {
      return fail(error instanceof ConfigError ? [...error.problems] : [{ file: config.file, pointer: '', message: String(error), severity: 'error' }]);
    }
    const built = await buildGeneration({ number, gateway: config, apis, plugins: this.pluginExports, services: this.services });
    const errors = built.problems.filter((p) => p.severity === 'error');
    if (built.generation === undefined || errors.length > 0) {
      if (built.generation) void disposeGeneration(built.generation, 0);
      return fail(built.problems);
    }
    reportProblems(this.logger, built.problems);
    const errorRenderer = await this.loadErrorRenderer(config);
    const previous = this.dispatcher.use(built.generation);
    this.gateway = config;
    this.errorRenderer = errorRenderer;
    if (this.watcher) await this.watcher.setPaths(watchPathsFor(this.gateway, this.options.configFile, this.current));
    if (previous) void disposeGeneration(previous, config.dispatch.drain_timeout_ms);
    const result = { ok: true, generation: number, problems: built.problems };
    this.logger.info({ generation: number, apis: apis.length, handlers: built.generation.slots.length }, 'configuration reloaded');
    this.metricsService?.reloaded(true);
    this.emit('reload', result);
    return result;
  }

  private async startWatching(): Promise<void> {
    this.watcher = new ReloadWatcher(async () => void (await this.reload()), {
      debounceMs: this.options.watchDebounceMs,
      onError: (error) => this.logger.error({ err: error }, 'watcher error'),
    });
    await this.watcher.setPaths(watchPathsFor(this.gateway, this.options.configFile, this.current));
  }

  /**
   * Stop intake, drain in-flight work up to the deadline, release everything. Idempotent; reports
   * what could not be finished.
   */
  close(deadlineMs?: number): Promise<CloseReport> {
    this.closing ??= this.doClose(deadlineMs ?? this.gateway.dispatch.drain_timeout_ms);
    return this.closing;
  }

  private async doClose(deadlineMs: number): Promise<CloseReport> {
    this.dispatcher.stop();
    this.eventStream.close();
    await this.watcher?.close();
    await this.reloading;
    const started = Date.now();
    const generation = this.dispatcher.current();
    const { unfinished } = generation ? await disposeGeneration(generation, deadlineMs) : { unfinished: 0 };
    const remaining = Math.max(0, deadlineMs - (Date.now() - started));
    let undelivered = 0;
    try {
      undelivered = (await this.services.closeServices(remaining)).undelivered;
    } finally {
      await this.services.shared.disposeAll();
      this.metricsService?.close();
    }
    if (unfinished > 0 || undelivered > 0) {
      this.logger.warn({ code: 'FH_SHUTDOWN_INCOMPLETE', unfinished, undelivered }, 'closed with work unfinished');
    }
    return { unfinished, undelivered };
  }
}

/** Create and start a runtime (the embedding entry point). */
export function createRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  return Runtime.create(options);
}
