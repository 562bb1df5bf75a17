import type { ApiDefinition, HandlerSpec } from './config/api-definition.ts';
import type { GatewayConfig } from './config/gateway-config.ts';
import { gatewayHandlers } from './config/load-api-definitions.ts';
import { resolveConfigPath } from './config/load-gateway-config.ts';
import { validateAgainst } from './config/validate.ts';
import { createGenerationContainer } from './container.ts';
import { HandlerSlot } from './dispatch/handler-slot.ts';
import { ConfigError, FirehookError, pointerSegment, type ConfigProblem } from './errors/firehook-error.ts';
import { BUILTIN_EVENT_TYPES, isBuiltinEventType } from './event.ts';
import type { Handler, HandlerContext, HandlerPlugin, PluginExport } from './plugin.ts';
import type { RuntimeServices } from './runtime-services.ts';
import { Routes } from './dispatch/routes.ts';
import { createHandlerContext } from './handler-context.ts';
import { pluginOrigin } from './plugin-loader.ts';

export interface GenerationInput {
  number: number;
  gateway: GatewayConfig;
  apis: readonly ApiDefinition[];
  plugins: readonly PluginExport[];
  services: RuntimeServices;
}

/** One loaded configuration: its handlers, routing table and plugins. Immutable once built. */
export interface Generation {
  readonly number: number;
  readonly gateway: GatewayConfig;
  readonly apis: readonly ApiDefinition[];
  readonly routes: Routes;
  readonly slots: readonly HandlerSlot[];
  readonly plugins: readonly HandlerPlugin[];
  /** Handler names and aliases accepted in this generation. */
  readonly handlerNames: readonly string[];
}

interface Target {
  spec: HandlerSpec;
  api: ApiDefinition | undefined;
  /** `'*'`: every API; otherwise the listed API ids (used by discovered handlers). */
  apis?: readonly string[] | '*';
  system: boolean;
}

/**
 * Build a generation: resolve each handler's plugin, normalise and validate its options, create it
 * under the setup timeout. A bad handler is reported and left out; the rest of its API still runs.
 */
export async function buildGeneration(input: GenerationInput): Promise<{ generation: Generation | undefined; problems: ConfigProblem[] }> {
  const { gateway, services } = input;
  const problems: ConfigProblem[] = [];
  let registry;
  try {
    registry = createGenerationContainer(input.plugins).registry;
  } catch (error) {
    problems.push({ file: gateway.file, pointer: '/plugins', message: errorText(error), severity: 'error' });
    return { generation: undefined, problems };
  }
  const targets: Target[] = gatewayHandlers(gateway).map((spec) => ({ spec, api: undefined, system: true }));
  for (const api of input.apis) for (const spec of api.handlers) targets.push({ spec, api, system: false });
  for (const plugin of registry.plugins) {
    if (!plugin.discover) continue;
    try {
      const found = await plugin.discover({
        logger: services.logger.child({ plugin: plugin.name }),
        gateway,
        shared: services.shared,
        stats: services.stats,
        resolvePath: (p) => resolveConfigPath(gateway, p),
      });
      for (const d of found) {
        for (const event of d.events) {
          targets.push({
            spec: { event, handlerName: plugin.name, meta: d.meta, format: 'gateway', file: d.file, pointer: '', metaPointer: '' },
            api: undefined,
            apis: d.apis,
            system: d.system === true,
          });
        }
      }
    } catch (error) {
      problems.push({ file: gateway.file, pointer: '', message: `${plugin.name} discovery failed: ${errorText(error)}`, severity: 'error' });
    }
  }

  const declared = registry.declaredEvents();
  const routes = new Routes(input.apis);
  const slots: HandlerSlot[] = [];
  const counters = new Map<string, number>();
  for (const target of targets) {
    const { spec } = target;
    if (!isBuiltinEventType(spec.event) && !declared.has(spec.event)) problems.push(eventWarning(spec));
    const scope = target.api?.apiId ?? 'system';
    const index = counters.get(`${scope}:${spec.event}`) ?? 0;
    counters.set(`${scope}:${spec.event}`, index + 1);
    const built = await buildHandler(target, `${scope}:${spec.event}:${index}`, registry.resolve.bind(registry), input, problems);
    if (built === undefined) continue;
    const slot = new HandlerSlot(
      built.handler,
      { handler: built.id, plugin: built.plugin.name, event: spec.event, apiId: target.api?.apiId ?? '' },
      built.logger,
      {
        queueSize: gateway.dispatch.queue_size,
        concurrency: built.handler.concurrency ?? gateway.dispatch.concurrency,
        overflow: gateway.dispatch.overflow,
      },
    );
    slots.push(slot);
    if (target.system) routes.addSystem(spec.event, slot);
    else if (target.api) routes.addApi(target.api.apiId, spec.event, slot);
    else routes.addForApis(target.apis ?? '*', spec.event, slot);
  }
  routes.seal();
  // A plugin that cannot set up in time would leave its handlers silently missing: no generation.
  if (problems.some((p) => p.code === 'FH_PLUGIN_SETUP_TIMEOUT')) {
    await Promise.all(slots.map(async (s) => s.handler.dispose?.()));
    return { generation: undefined, problems };
  }
  return {
    generation: { number: input.number, gateway, apis: input.apis, routes, slots, plugins: registry.plugins, handlerNames: registry.names() },
    problems,
  };
}

async function buildHandler(
  target: Target,
  defaultId: string,
  resolvePlugin: (name: string) => HandlerPlugin,
  input: GenerationInput,
  problems: ConfigProblem[],
): Promise<{ handler: Handler; plugin: HandlerPlugin; id: string; logger: HandlerContext['logger'] } | undefined> {
  const { spec } = target;
  const { gateway, services } = input;
  const namePointer = spec.format === 'oas' ? `${spec.pointer}/type` : `${spec.pointer}/handler_name`;
  let plugin: HandlerPlugin;
  try {
    plugin = resolvePlugin(spec.handlerName);
  } catch (error) {
    problems.push({ file: spec.file, pointer: spec.pointer === '' ? '' : namePointer, message: errorText(error), severity: 'error' });
    return undefined;
  }
  const source = { file: spec.file, pointer: spec.metaPointer, format: spec.format };
  if (spec.format === 'oas') {
    const enabled = spec.meta.enabled;
    if (enabled !== undefined && typeof enabled !== 'boolean') {
      problems.push({
        file: spec.file,
        pointer: `${spec.metaPointer}/enabled`,
        message: `must be boolean (got ${JSON.stringify(enabled)})`,
        severity: 'error',
      });
      return undefined;
    }
    if (enabled !== true) return undefined;
  }
  let options: Record<string, unknown>;
  try {
    options = plugin.normalize ? plugin.normalize(spec.meta, source, gateway) : lowerCaseKeys(spec.meta);
  } catch (error) {
    problems.push(...problemsFrom(error, spec.file, spec.metaPointer));
    return undefined;
  }
  const schemaProblems = validateAgainst(plugin.optionsSchema, options, spec.file).map((p) => ({
    ...p,
    pointer: spec.metaPointer + originalPointer(spec.meta, p.pointer),
  }));
  if (schemaProblems.length > 0) {
    problems.push(...schemaProblems);
    return undefined;
  }
  if (options.disabled === true) return undefined;
  const id = typeof options.id === 'string' && options.id !== '' ? options.id : defaultId;
  const logger = services.logger.child({ plugin: plugin.name, api_id: target.api?.apiId ?? '', handler: id });
  const api = target.api ? { apiId: target.api.apiId, orgId: target.api.orgId, name: target.api.name } : undefined;
  const ctx = createHandlerContext({ services, gateway, api, source, event: spec.event, handlerId: id, logger, problems });
  try {
    const origin = pluginOrigin(plugin);
    const what = `${plugin.name} handler ${id}${origin ? ` (plugin package "${origin}")` : ''}`;
    const handler = await withTimeout(Promise.resolve(plugin.create(options as never, ctx)), gateway.dispatch.setup_timeout_ms, what);
    return { handler, plugin, id, logger };
  } catch (error) {
    problems.push(...problemsFrom(error, spec.file, spec.metaPointer));
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FirehookError('FH_PLUGIN_SETUP_TIMEOUT', `${what} did not finish setup within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function problemsFrom(error: unknown, file: string, pointer: string): ConfigProblem[] {
  if (error instanceof ConfigError) return [...error.problems];
  return [{ file, pointer, message: errorText(error), severity: 'error', ...(error instanceof FirehookError ? { code: error.code } : {}) }];
}

function errorText(error: unknown): string {
  if (error instanceof FirehookError) return `${error.message} [${error.code}]`;
  return error instanceof Error ? error.message : String(error);
}

/** Classic handler_meta keys match case-insensitively: the default normalisation lower-cases them. */
function lowerCaseKeys(meta: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) out[k.toLowerCase()] = v;
  return out;
}

/** Map a pointer into normalised options back onto the key spelling the user wrote. */
function originalPointer(meta: Readonly<Record<string, unknown>>, pointer: string): string {
  const [, first, ...rest] = pointer.split('/');
  if (first === undefined) return pointer;
  const original = Object.keys(meta).find((k) => pointerSegment(k.toLowerCase()) === first.toLowerCase());
  return '/' + [original !== undefined ? pointerSegment(original) : first, ...rest].join('/');
}

const CLOSE_NAMES = new Map(BUILTIN_EVENT_TYPES.map((t) => [t.toLowerCase(), t]));

function eventWarning(spec: HandlerSpec): ConfigProblem {
  const near = CLOSE_NAMES.get(spec.event.toLowerCase());
  const hint = near ? `; did you mean "${near}"?` : ' (custom event names are allowed)';
  return { file: spec.file, pointer: spec.pointer, message: `event "${spec.event}" is not a built-in Tyk event${hint}`, severity: 'warning' };
}

/** Dispose a generation's handlers and plugins in reverse order, after its queues drain. */
export async function disposeGeneration(generation: Generation, deadlineMs: number): Promise<{ unfinished: number }> {
  const drained = Promise.all(generation.slots.map((s) => s.idle()));
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, deadlineMs)))]);
  clearTimeout(timer);
  const unfinished = generation.slots.reduce((n, s) => n + s.pending(), 0);
  for (const slot of [...generation.slots].reverse()) {
    try {
      await slot.handler.dispose?.();
    } catch {
      // disposal failures must not stop the rest
    }
  }
  for (const plugin of [...generation.plugins].reverse()) {
    try {
      await plugin.dispose?.();
    } catch {
      // as above
    }
  }
  return { unfinished };
}
