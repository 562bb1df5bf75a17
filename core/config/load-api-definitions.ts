import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ConfigProblem } from '../errors/firehook-error.ts';
import { toPointer } from '../errors/firehook-error.ts';
import type { ApiDefinition, ApiFormat, EventHandlersSection, HandlerSpec } from './api-definition.ts';
import type { GatewayConfig } from './gateway-config.ts';
import { parseDocumentFile } from './parse-document.ts';
import { classicApiSchema, oasApiSchema, operatorManifestSchema } from './schemas.ts';
import { deepFreeze, validateAgainst } from './validate.ts';

export interface ApiDefinitionsResult {
  apis: ApiDefinition[];
  problems: ConfigProblem[];
  /** Every file considered, for the watcher. */
  files: string[];
}

const API_FILE = /\.(json|ya?ml)$/i;

/** List the API definition files in a directory (Tyk's `app_path`), sorted. A missing dir gives none. */
export async function listApiFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile() && API_FILE.test(e.name))
      .map((e) => join(dir, e.name))
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Load every API definition in `app_path` (or the given files); the format is detected per document. */
export async function loadApiDefinitions(files: string[]): Promise<ApiDefinitionsResult> {
  const apis: ApiDefinition[] = [];
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, string>();
  for (const file of files.map((f) => resolve(f))) {
    const parsed = await parseDocumentFile(file);
    problems.push(...parsed.problems);
    parsed.documents.forEach((doc, index) => {
      const base = parsed.documents.length > 1 ? `/${index}` : '';
      const result = fromDocument(doc, file, base);
      problems.push(...result.problems);
      if (result.api === undefined) return;
      const previous = seen.get(result.api.apiId);
      if (previous !== undefined) {
        problems.push({
          file,
          pointer: base + idPointer(result.api.format),
          message: `duplicate api_id "${result.api.apiId}" (also defined in ${previous})`,
          severity: 'error',
        });
        return;
      }
      seen.set(result.api.apiId, file);
      apis.push(result.api);
    });
  }
  return { apis, problems, files };
}

function idPointer(format: ApiFormat): string {
  if (format === 'oas') return '/x-tyk-api-gateway/info/id';
  if (format === 'operator') return '/spec/api_id';
  return '/api_id';
}

/** Detect the format of one document and extract its handlers. */
export function fromDocument(doc: unknown, file: string, base = ''): { api?: ApiDefinition; problems: ConfigProblem[] } {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { problems: [{ file, pointer: base, message: 'an API definition must be an object', severity: 'error' }] };
  }
  const d = doc as Record<string, unknown>;
  if ('apiVersion' in d || 'kind' in d) return fromOperator(d, file, base);
  if ('openapi' in d || 'x-tyk-api-gateway' in d) return fromOas(d, file, base);
  return fromClassic(d, file, base);
}

function fromClassic(
  d: Record<string, unknown>,
  file: string,
  base: string,
  format: ApiFormat = 'classic',
): { api?: ApiDefinition; problems: ConfigProblem[] } {
  const problems = validateAgainst(classicApiSchema, d, file, base);
  if (problems.length > 0) return { problems };
  const apiId = d.api_id as string;
  return {
    api: deepFreeze({
      apiId,
      orgId: (d.org_id as string | undefined) ?? '',
      name: (d.name as string | undefined) ?? apiId,
      format,
      file,
      handlers: classicHandlers(d.event_handlers as EventHandlersSection | undefined, file, `${base}/event_handlers/events`, format),
      raw: d,
    }),
    problems: [],
  };
}

/** Handler specs from a Classic `event_handlers` section (API or gateway level). */
function classicHandlers(section: EventHandlersSection | undefined, file: string, eventsPointer: string, format: ApiFormat | 'gateway'): HandlerSpec[] {
  const specs: HandlerSpec[] = [];
  for (const [event, entries] of Object.entries(section?.events ?? {})) {
    entries.forEach((entry, i) => {
      const pointer = `${eventsPointer}${toPointer(event, i)}`;
      specs.push({ event, handlerName: entry.handler_name, meta: entry.handler_meta ?? {}, format, file, pointer, metaPointer: `${pointer}/handler_meta` });
    });
  }
  return specs;
}

function fromOas(d: Record<string, unknown>, file: string, base: string): { api?: ApiDefinition; problems: ConfigProblem[] } {
  const problems = validateAgainst(oasApiSchema, d, file, base);
  if (problems.length > 0) return { problems };
  const ext = d['x-tyk-api-gateway'] as { info: { id: string; orgId?: string; name?: string }; server?: { eventHandlers?: Record<string, unknown>[] } };
  const handlers: HandlerSpec[] = (ext.server?.eventHandlers ?? []).map((entry, i) => {
    const pointer = `${base}/x-tyk-api-gateway/server/eventHandlers/${i}`;
    return { event: entry.trigger as string, handlerName: entry.type as string, meta: entry, format: 'oas' as const, file, pointer, metaPointer: pointer };
  });
  const info = (d.info ?? {}) as { title?: string };
  return {
    api: deepFreeze({
      apiId: ext.info.id,
      orgId: ext.info.orgId ?? '',
      name: ext.info.name ?? info.title ?? ext.info.id,
      format: 'oas' as const,
      file,
      handlers,
      raw: d,
    }),
    problems: [],
  };
}

function fromOperator(d: Record<string, unknown>, file: string, base: string): { api?: ApiDefinition; problems: ConfigProblem[] } {
  const problems = validateAgainst(operatorManifestSchema, d, file, base);
  if (problems.length > 0) return { problems };
  const spec = { ...(d.spec as Record<string, unknown>) };
  if (typeof spec.api_id !== 'string') {
    // Tyk Operator derives the id from the resource's namespace and name.
    const meta = (d.metadata ?? {}) as { name?: string; namespace?: string };
    if (!meta.name)
      return {
        problems: [{ file, pointer: `${base}/spec`, message: 'missing required key "api_id" (and metadata.name to derive it from)', severity: 'error' }],
      };
    spec.api_id = Buffer.from(`${meta.namespace ?? 'default'}/${meta.name}`).toString('base64url');
  }
  const result = fromClassic(spec, file, `${base}/spec`, 'operator');
  return result.api ? { api: { ...result.api, raw: deepFreeze(d) }, problems: [] } : result;
}

/**
 * Gateway-level handlers: the config's `event_handlers`, plus the quota monitor's webhook for
 * `TriggerExceeded` when trigger monitors are enabled.
 */
export function gatewayHandlers(config: GatewayConfig): HandlerSpec[] {
  const specs = classicHandlers(config.event_handlers, config.file, '/event_handlers/events', 'gateway');
  if (config.monitor.enable_trigger_monitors) {
    specs.push({
      event: 'TriggerExceeded',
      handlerName: 'eh_web_hook_handler',
      meta: { template_path: `${config.template_path.replace(/\/$/, '')}/monitor_template.json`, ...config.monitor.configuration, name: 'quota-monitor' },
      format: 'gateway',
      file: config.file,
      pointer: '/monitor/configuration',
      metaPointer: '/monitor/configuration',
    });
  }
  return specs;
}
