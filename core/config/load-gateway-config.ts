import { dirname, resolve } from 'node:path';
import { toPointer, type ConfigProblem } from '../errors/firehook-error.ts';
import { packageRoot } from '../package-root.ts';
import { parseGoDuration } from '../go/time.ts';
import { deliveryOptionProblems } from './delivery-option-checks.ts';
import type { GatewayConfig, StorageConfig, WebhookDefaultsConfig } from './gateway-config.ts';
import { parseDocumentFile } from './parse-document.ts';
import { gatewayConfigSchema } from './schemas.ts';
import { deepFreeze, validateAgainst } from './validate.ts';

/** Default of `ingest_max_events` (lowered to `dispatch.queue_size` when that is smaller). */
const DEFAULT_MAX_EVENTS = 10_000;

/** Name shown for the built-in configuration. */
export const EMBEDDED_DEFAULTS = '<embedded defaults>';

const DEFAULT_STORAGE: StorageConfig = {
  type: 'memory',
  host: '127.0.0.1',
  port: 6379,
  addrs: [],
  username: '',
  password: '',
  database: 0,
  enable_cluster: false,
  use_ssl: false,
  key_prefix: '',
};

export interface GatewayConfigResult {
  config: GatewayConfig | undefined;
  problems: ConfigProblem[];
}

/** Overrides from the command line or embedding code, applied after the file. */
export interface GatewayOverrides {
  listen?: string;
  redisUrl?: string;
  [key: string]: unknown;
}

/**
 * Load the gateway config from a file, or the embedded defaults when `file` is undefined
 * (in-memory store, the bundled example API definitions, templates and event handlers).
 */
export async function loadGatewayConfig(file: string | undefined, overrides: GatewayOverrides = {}): Promise<GatewayConfigResult> {
  let raw: Record<string, unknown> = {};
  let baseDir: string;
  let name: string;
  if (file === undefined) {
    baseDir = packageRoot();
    name = EMBEDDED_DEFAULTS;
    raw = { app_path: 'examples/apps' };
  } else {
    name = resolve(file);
    baseDir = dirname(name);
    const parsed = await parseDocumentFile(name);
    if (parsed.problems.length > 0) return { config: undefined, problems: parsed.problems };
    const doc = parsed.documents[0];
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
      return { config: undefined, problems: [{ file: name, pointer: '', message: 'must be a JSON object', severity: 'error' }] };
    }
    raw = doc as Record<string, unknown>;
  }
  const problems = validateAgainst(gatewayConfigSchema, raw, name);
  if (problems.length === 0 && raw.webhooks !== undefined) problems.push(...webhookDefaultsProblems(raw.webhooks as WebhookDefaultsConfig, name));
  if (problems.length === 0) problems.push(...ingestLimitProblems(raw as Partial<GatewayConfig>, name));
  if (problems.length > 0) return { config: undefined, problems };
  return { config: deepFreeze(applyDefaults(raw, name, baseDir, overrides)), problems: [] };
}

/** What the schema cannot say about the `webhooks` defaults (it has checked the types and shapes). */
function webhookDefaultsProblems(w: WebhookDefaultsConfig, file: string): ConfigProblem[] {
  const at = (key: string, ...rest: (string | number)[]): string => toPointer('webhooks', key, ...rest);
  const problems = deliveryOptionProblems(w, file, at);
  const problem = (pointer: string, message: string, value: unknown): void => {
    problems.push({ file, pointer, message: `${message} (got ${JSON.stringify(value)})`, severity: 'error' });
  };
  const ms = (text: string | undefined): number | undefined => (text === undefined ? undefined : parseGoDuration(text));
  const open = ms(w.breaker?.open);
  const maxOpen = ms(w.breaker?.max_open);
  if (open !== undefined && open <= 0) problem(at('breaker', 'open'), 'must be a positive Go duration', w.breaker?.open);
  if (maxOpen !== undefined && maxOpen <= 0) problem(at('breaker', 'max_open'), 'must be a positive Go duration', w.breaker?.max_open);
  else if (maxOpen !== undefined && open !== undefined && maxOpen < open)
    problem(at('breaker', 'max_open'), 'must not be shorter than breaker.open', w.breaker?.max_open);
  const claimIdle = ms(w.claim_idle);
  if (claimIdle !== undefined && claimIdle < 1_000) problem(at('claim_idle'), 'must be at least 1s', w.claim_idle);
  return problems;
}

/** Ingestion limits the schema cannot judge alone: a positive read timeout, a batch that fits one handler queue. */
function ingestLimitProblems(r: Partial<GatewayConfig>, file: string): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (r.ingest_read_timeout !== undefined && !(parseGoDuration(r.ingest_read_timeout)! > 0)) {
    problems.push({
      file,
      pointer: '/ingest_read_timeout',
      message: `must be a positive Go duration (got ${JSON.stringify(r.ingest_read_timeout)})`,
      severity: 'error',
    });
  }
  const queueSize = r.dispatch?.queue_size ?? 10_000;
  if (r.ingest_max_events !== undefined && r.ingest_max_events > queueSize) {
    problems.push({
      file,
      pointer: '/ingest_max_events',
      message: `must not exceed dispatch.queue_size (${queueSize}): a bigger batch could never be queued whole (got ${r.ingest_max_events})`,
      severity: 'error',
    });
  }
  return problems;
}

function applyDefaults(raw: Record<string, unknown>, file: string, baseDir: string, overrides: GatewayOverrides): GatewayConfig {
  const r = raw as Partial<GatewayConfig> & Record<string, unknown>;
  const monitor = (r.monitor ?? {}) as Partial<GatewayConfig['monitor']>;
  const storage: StorageConfig = { ...DEFAULT_STORAGE, ...r.storage } as StorageConfig;
  // Tyk's tyk.conf always says `"type": "redis"`; an empty type keeps the in-memory default.
  if (!r.storage?.type) storage.type = r.storage?.url ? 'redis' : 'memory';
  if (overrides.redisUrl) {
    storage.type = 'redis';
    storage.url = overrides.redisUrl;
  }
  const dispatch = (r.dispatch ?? {}) as Partial<GatewayConfig['dispatch']>;
  return {
    ...r,
    file,
    base_dir: baseDir,
    event_handlers: { events: r.event_handlers?.events ?? {} },
    template_path: r.template_path || 'templates',
    app_path: r.app_path || 'apps',
    monitor: {
      enable_trigger_monitors: monitor.enable_trigger_monitors ?? false,
      configuration: monitor.configuration ?? {},
      global_trigger_limit: monitor.global_trigger_limit ?? 0,
      monitor_user_keys: monitor.monitor_user_keys ?? false,
      monitor_org_keys: monitor.monitor_org_keys ?? false,
      obfuscate_keys: monitor.obfuscate_keys ?? false,
    },
    enable_jsvm: r.enable_jsvm ?? true,
    jsvm_timeout: typeof r.jsvm_timeout === 'number' && r.jsvm_timeout > 0 ? r.jsvm_timeout : 5,
    jsvm_memory_limit: r.jsvm_memory_limit ?? 128,
    jsvm_shared_context: r.jsvm_shared_context ?? false,
    tyk_js_path: r.tyk_js_path ?? '',
    hide_generator_header: r.hide_generator_header ?? false,
    track_404_logs: r.track_404_logs ?? false,
    ignore_canonical_mime_header_key: r.ignore_canonical_mime_header_key ?? false,
    storage,
    listen: overrides.listen ?? r.listen ?? '127.0.0.1:7070',
    ingest_secret: r.ingest_secret ?? '',
    ingest_body_limit: r.ingest_body_limit ?? 1024 * 1024,
    ingest_max_events: r.ingest_max_events ?? Math.min(DEFAULT_MAX_EVENTS, dispatch.queue_size ?? 10_000),
    ingest_read_timeout: r.ingest_read_timeout ?? '10s',
    ingest_max_connections: r.ingest_max_connections ?? 1024,
    event_handlers_path: r.event_handlers_path || 'event_handlers',
    plugins: r.plugins ?? [],
    log_level: r.log_level ?? 'info',
    log_transports: r.log_transports ?? [],
    webhooks: r.webhooks ?? {},
    dispatch: {
      queue_size: dispatch.queue_size ?? 10_000,
      concurrency: dispatch.concurrency ?? 16,
      overflow: dispatch.overflow ?? 'drop-oldest',
      setup_timeout_ms: dispatch.setup_timeout_ms ?? 10_000,
      drain_timeout_ms: dispatch.drain_timeout_ms ?? 10_000,
    },
  };
}

/** Resolve a path from the config against its base directory. */
export function resolveConfigPath(config: Pick<GatewayConfig, 'base_dir'>, path: string): string {
  return resolve(config.base_dir, path);
}
