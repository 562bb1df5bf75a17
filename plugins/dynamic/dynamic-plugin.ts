/**
 * `eh_dynamic_handler` (OAS `custom`): Tyk JavaScript event handlers run in the sandbox.
 * One plugin instance per configuration generation: it builds that generation's sandbox
 * generation from the self-registering files of `event_handlers_path` (discover) and each
 * configured handler's file (create), batches events into the sandbox, and releases the sandbox
 * generation when disposed (after its events drained).
 */
import {
  ConfigError,
  definePlugin,
  FirehookError,
  PLUGIN_CONTRACT_VERSION,
  tykView,
  type ConfigProblem,
  type DiscoverContext,
  type DiscoveredHandler,
  type GatewayConfig,
  type HandlerContext,
  type HandlerOutcome,
  type HandlerPlugin,
} from '../../core/plugin-api.ts';
import { SandboxError, type FileReport, type RunResult, type SandboxScope } from '../../sandbox/index.ts';
import { EventBatcher } from './event-batcher.ts';
import { GenerationFiles } from './generation-files.ts';
import { candidatePaths, findHandlerFile, listHandlerFiles, mayRegisterItself } from './handler-files.ts';
import { ScriptError } from './script-error.ts';
import { jsvmTimeoutMs, sharedSandbox, type SharedSandbox } from './shared-sandbox.ts';

export interface DynamicOptions {
  /** The global variable holding the handler object (OAS `functionName`), or `#n` for a self-registration. */
  name?: string;
  /** The handler file. */
  path?: string;
  id?: string;
  disabled?: boolean;
}

const OK: HandlerOutcome = Object.freeze({ status: 'ok' });

/** A sandbox result as a handler outcome: ok, or the error the handler slot reports. */
function outcome(result: RunResult): HandlerOutcome {
  if (result.ok) return OK;
  throw new ScriptError(result.error);
}

/** Events one JS handler may have in flight (queued for or inside a sandbox batch). */
const JS_HANDLER_CONCURRENCY = 512;

/** The plugin factory: call once per configuration generation. */
export function createDynamicPlugin(): HandlerPlugin<DynamicOptions> & { watchPaths(): string[] } {
  let shared: SharedSandbox | undefined;
  let files: GenerationFiles | undefined;
  let batcher: EventBatcher<HandlerOutcome> | undefined;
  const watched = new Set<string>();

  const setup = (
    gateway: Readonly<GatewayConfig>,
    ctx: Pick<HandlerContext, 'logger' | 'shared' | 'stats' | 'resolvePath'> & Partial<Pick<HandlerContext, 'store' | 'sessions'>>,
  ) => {
    shared ??= sharedSandbox(ctx.shared, ctx.stats, gateway, ctx.logger);
    shared.bind({ gateway, logger: ctx.logger, ...(ctx.store ? { store: ctx.store } : {}), ...(ctx.sessions ? { sessions: ctx.sessions } : {}) });
    const sandbox = shared.sandbox;
    if (!files) {
      files = new GenerationFiles(sandbox, {
        timeoutMs: jsvmTimeoutMs(gateway),
        memoryLimitMb: gateway.jsvm_memory_limit,
        sharedContext: gateway.jsvm_shared_context,
        ...(gateway.tyk_js_path ? { bootstrapExtraPath: ctx.resolvePath(gateway.tyk_js_path) } : {}),
      });
      const owned = files;
      batcher = new EventBatcher((items) => sandbox.run(items, owned.id === undefined ? {} : { generation: owned.id }), outcome);
      watched.add(ctx.resolvePath(gateway.event_handlers_path));
      if (gateway.tyk_js_path) watched.add(ctx.resolvePath(gateway.tyk_js_path));
    }
    return { files, batcher: batcher! };
  };

  return {
    ...definePlugin<DynamicOptions>({
      name: 'eh_dynamic_handler',
      aliases: ['custom'],
      contractVersion: PLUGIN_CONTRACT_VERSION,
      optionsSchema: {
        type: 'object',
        properties: {
          name: { type: 'string' },
          path: { type: 'string' },
          id: { type: 'string' },
          disabled: { type: 'boolean' },
        },
      },
      normalize(meta, source) {
        if (source.format === 'oas') {
          const out: Record<string, unknown> = {};
          if (meta.functionName !== undefined) out.name = meta.functionName;
          if (meta.path !== undefined) out.path = meta.path;
          if (meta.id !== undefined) out.id = meta.id;
          return out;
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(meta)) out[k.toLowerCase()] = v;
        return out;
      },

      async discover(ctx: DiscoverContext): Promise<DiscoveredHandler[]> {
        if (!ctx.gateway.enable_jsvm) return [];
        const dir = ctx.resolvePath(ctx.gateway.event_handlers_path);
        const candidates = (await listHandlerFiles(dir)).filter((f) => mayRegisterItself(f.source));
        if (candidates.length === 0) return [];
        const { files: generation } = setup(ctx.gateway, ctx);
        const { reports, warnings } = await generation.ensure(candidates);
        for (const w of warnings) ctx.logger.warn({ code: w.code, file: w.file }, w.message);
        const failed = [...reports.values()].filter((r) => !r.ok);
        if (failed.length > 0) {
          throw new FirehookError(
            'FH_SANDBOX_LOAD_FAILED',
            `self-registering handler files failed to load: ${failed.map((r) => r.error?.message ?? r.path).join('; ')}`,
          );
        }
        const found: DiscoveredHandler[] = [];
        for (const report of reports.values()) {
          for (const reg of report.registrations) {
            const meta = { name: reg.name, path: reg.file };
            const every = reg.apis.includes('*');
            found.push({ events: reg.events, apis: every ? '*' : reg.apis, meta, file: reg.file });
            if (every) found.push({ events: reg.events, apis: '*', system: true, meta, file: reg.file });
          }
        }
        return found;
      },

      async create(options, ctx) {
        const problem = (pointer: string, message: string): ConfigError =>
          new ConfigError([{ file: ctx.source.file, pointer: ctx.source.pointer + pointer, message, severity: 'error' } satisfies ConfigProblem]);
        const oas = ctx.source.format === 'oas';
        if (!ctx.gateway.enable_jsvm) throw problem('', 'eh_dynamic_handler needs "enable_jsvm": true in the gateway config');
        const name = options.name;
        if (typeof name !== 'string' || name === '')
          throw problem(oas ? '/functionName' : '/name', 'the handler name (the global variable holding the handler object) is missing');
        const configured = options.path;
        if (typeof configured !== 'string' || configured === '') throw problem('/path', 'the handler file path is missing');
        if (!configured.endsWith('.js')) throw problem('/path', `only .js files load as handlers (got "${configured}")`);
        const eventHandlersDir = ctx.resolvePath(ctx.gateway.event_handlers_path);
        const candidates = candidatePaths(configured, eventHandlersDir, ctx.gateway.base_dir);
        const path = await findHandlerFile(candidates);
        if (path === undefined) throw problem('/path', `handler file "${configured}" not found (looked at ${candidates.join(', ')})`);

        const { files: generation, batcher: events } = setup(ctx.gateway, ctx);
        let report: FileReport;
        try {
          const loaded = await generation.ensurePath(path);
          report = loaded.report;
          for (const w of loaded.warnings) ctx.warn('', `${w.message} [${w.code}]`);
        } catch (error) {
          if (error instanceof SandboxError) throw new ScriptError(error);
          throw problem('/path', `handler file ${path} could not be read (${(error as { code?: string }).code ?? String(error)})`);
        }
        if (!report.ok) throw new ScriptError(report.error!);
        watched.add(path);
        const known = name.startsWith('#') ? report.registrations.some((r) => r.name === name) : report.handlers.includes(name);
        if (!known && !ctx.gateway.jsvm_shared_context) {
          const found = report.handlers.length > 0 ? `; handler objects found: ${report.handlers.join(', ')}` : '';
          throw problem(oas ? '/functionName' : '/name', `${path} defines no global "${name}" with a DoProcessEvent function (declare it with var)${found}`);
        }

        const api = ctx.api;
        const scope: SandboxScope = api ? { kind: 'org', orgId: api.orgId } : { kind: 'gateway' };
        return {
          // Events cross into the sandbox in batches: let enough be in flight for whole batches to form.
          concurrency: JS_HANDLER_CONCURRENCY,
          handle(event) {
            return events.submit({
              file: path,
              name,
              event: tykView(event),
              context: { APIID: api?.apiId ?? event.apiId, OrgID: api?.orgId ?? event.orgId },
              scope,
              label: ctx.handlerId,
            });
          },
        };
      },

      async dispose() {
        await files?.release();
      },
    }),
    watchPaths: () => [...watched],
  };
}
