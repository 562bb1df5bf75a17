/**
 * The runtime-long sandbox (one child process, one isolate per generation), shared by every
 * configuration generation through `ctx.shared`. Its bindings reach the runtime's store and
 * sessions and send script HTTP through the egress policy; those are bound late, from the
 * handler contexts, and follow the latest configuration.
 */
import type { Dispatcher } from 'undici';
import {
  createEgressDispatcher,
  type EgressDispatcher,
  type GatewayConfig,
  type Logger,
  type SessionStore,
  type SharedScope,
  type StatsRegistry,
  type Store,
} from '../../core/plugin-api.ts';
import { createSandbox, type Sandbox, type SandboxHost, type SandboxLogLine, type SandboxWarning } from '../../sandbox/index.ts';

export const SHARED_SANDBOX_KEY = 'firehook:eh_dynamic_handler:sandbox';

export interface SharedSandbox {
  readonly sandbox: Sandbox;
  /** Point the bindings at these services and this configuration's egress settings and logger. */
  bind(binding: { gateway: Readonly<GatewayConfig>; logger: Logger; store?: Store; sessions?: SessionStore }): void;
  close(): Promise<void>;
}

/** `jsvm_timeout` in ms (<= 0 means 5 s, as in Tyk). */
export function jsvmTimeoutMs(gateway: Readonly<GatewayConfig>): number {
  const seconds = typeof gateway.jsvm_timeout === 'number' && gateway.jsvm_timeout > 0 ? gateway.jsvm_timeout : 5;
  return Math.round(seconds * 1000);
}

/** The runtime's one sandbox, made on first use; its activity is offered to the metrics (`ctx.stats`). */
export function sharedSandbox(shared: SharedScope, stats: StatsRegistry, gateway: Readonly<GatewayConfig>, logger: Logger): SharedSandbox {
  let withdraw: (() => void) | undefined;
  return shared.getOrCreate(
    SHARED_SANDBOX_KEY,
    () => {
      const created = createSharedSandbox(gateway, logger);
      withdraw = stats.provide('sandbox', () => created.sandbox.stats());
      return created;
    },
    async (s) => {
      withdraw?.();
      await s.close();
    },
  );
}

/** Script HTTP follows the webhook egress settings, but denies private networks unless told otherwise. */
function egressSettings(gateway: Readonly<GatewayConfig>): { denyPrivateNetworks: boolean; allowNetworks: string[] } {
  const webhooks = gateway.webhooks ?? {};
  return { denyPrivateNetworks: webhooks.deny_private_networks ?? true, allowNetworks: [...(webhooks.allow_networks ?? [])] };
}

function createSharedSandbox(gateway: Readonly<GatewayConfig>, initialLogger: Logger): SharedSandbox {
  let store: Store | undefined;
  let sessions: SessionStore | undefined;
  let logger = initialLogger;
  let egressKey = '';
  let dispatcher: EgressDispatcher | undefined;

  const unavailable = (): never => {
    throw new Error('runtime services are not bound yet');
  };
  const host: SandboxHost = {
    get storage() {
      return store ?? (unavailable() as Store);
    },
    get sessions() {
      return (sessions ?? unavailable()) as SandboxHost['sessions'];
    },
    http: {
      // An EgressDispatcher is an undici Dispatcher at runtime (see its doc); the sandbox speaks undici.
      get dispatcher() {
        return (dispatcher ?? unavailable()) as Dispatcher;
      },
    },
  };

  const sandbox = createSandbox({
    timeoutMs: jsvmTimeoutMs(gateway),
    memoryLimitMb: gateway.jsvm_memory_limit,
    sharedContext: gateway.jsvm_shared_context,
    host,
    onLog: (line) => writeLog(logger, line),
    onWarning: (warning) => writeWarning(logger, warning),
  });

  return {
    sandbox,
    bind(binding) {
      logger = binding.logger;
      store = binding.store ?? store;
      sessions = binding.sessions ?? sessions;
      const settings = egressSettings(binding.gateway);
      const key = JSON.stringify(settings);
      if (key !== egressKey) {
        const previous = dispatcher;
        dispatcher = createEgressDispatcher({ ...settings, connections: 16 });
        egressKey = key;
        // Let requests in flight on the old policy finish.
        void previous?.close().catch(() => undefined);
      }
    },
    async close() {
      await sandbox.close();
      await dispatcher?.close().catch(() => undefined);
    },
  };
}

function writeLog(logger: Logger, line: SandboxLogLine): void {
  const fields = { api_id: line.apiId || undefined, handler: line.label ?? line.handler, file: line.file, event: line.eventType };
  if (line.kind === 'log') logger.info({ prefix: 'jsvm', type: 'log-msg', ...fields }, line.message);
  else if (line.kind === 'raw') logger.info({ type: 'rawlog', ...fields }, line.message);
  else logger.warn({ prefix: 'jsvm', ...fields }, line.message);
}

function writeWarning(logger: Logger, warning: SandboxWarning): void {
  logger.warn({ code: warning.code, file: warning.file, handler: warning.handler }, warning.message);
}
