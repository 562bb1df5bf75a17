/**
 * Map a webhook handler's configuration onto {@link WebhookOptions}: Classic `handler_meta` (keys
 * match case-insensitively, unknown keys ignored) or a Tyk OAS `eventHandlers` entry (`url`,
 * `bodyTemplate`, `headers`, `cooldownPeriod`, `enabled`), plus Firehook's delivery options.
 * Everything is validated here so each problem points at the key the user wrote. An `id` without
 * a URL is a reference to a global webhook, resolved when the handler is created.
 */
import {
  ConfigError,
  dedupeProblems,
  deliveryOptionProblems,
  parseGoDuration,
  showValue,
  toPointer,
  validateOptions,
  type ConfigProblem,
  type HandlerSource,
} from '../../core/plugin-api.ts';
import { oasHeadersSchema, webhookOptionsSchema, type WebhookOptions } from './options-schema.ts';
import { goRequestTarget } from './checksum.ts';

const CLASSIC_KEYS = ['method', 'target_path', 'template_path', 'header_map', 'event_timeout', 'name', 'id', 'disabled'];
const FIREHOOK_KEYS = ['timeout', 'retry_schedule', 'signing', 'deny_private_networks', 'allow_networks', 'tyk_compat_escaping'];
const OAS_KEYS: Record<string, string> = { url: 'target_path', method: 'method', bodyTemplate: 'template_path', name: 'name', id: 'id' };

function show(value: unknown): string {
  const text = showValue(value);
  return text ? ` (got ${text})` : '';
}

/** Normalise and validate; throws ConfigError listing every problem with its pointer. */
export function normalizeWebhookOptions(meta: Readonly<Record<string, unknown>>, source: HandlerSource): WebhookOptions {
  const options: Record<string, unknown> = {};
  /** Normalised top-level key -> the key as written in the source. */
  const written = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  const at = (key: string, ...rest: (string | number)[]): string => source.pointer + toPointer(key, ...rest);
  let headerIndex = new Map<string, number>();

  if (source.format === 'oas') {
    for (const [from, to] of Object.entries(OAS_KEYS)) {
      if (meta[from] !== undefined) {
        options[to] = meta[from];
        written.set(to, from);
      }
    }
    for (const key of FIREHOOK_KEYS) if (meta[key] !== undefined) options[key] = meta[key];
    options.disabled = meta.enabled !== true;
    written.set('disabled', 'enabled');
    if (meta.headers !== undefined) {
      written.set('header_map', 'headers');
      const headerProblems = validateOptions(oasHeadersSchema, meta.headers, source.file, source.pointer, (path) => toPointer('headers', ...path));
      if (headerProblems.length > 0) {
        problems.push(...headerProblems);
      } else {
        const map: Record<string, string> = {};
        headerIndex = new Map();
        (meta.headers as { name: string; value: string }[]).forEach((h, i) => {
          map[h.name] = h.value; // duplicates: the last one wins
          headerIndex.set(h.name, i);
        });
        options.header_map = map;
      }
    }
    const cooldown = meta.cooldownPeriod;
    if (cooldown !== undefined) {
      const ms = typeof cooldown === 'string' ? parseGoDuration(cooldown) : undefined;
      if (ms === undefined || ms < 0)
        problems.push({
          file: source.file,
          pointer: at('cooldownPeriod'),
          message: `must be a Go duration such as "10s" or "1m30s"${show(cooldown)}`,
          severity: 'error',
        });
      else options.event_timeout = Math.floor(ms / 1000);
    }
  } else {
    const known = new Set([...CLASSIC_KEYS, ...FIREHOOK_KEYS]);
    for (const [key, value] of Object.entries(meta)) {
      const lower = key.toLowerCase();
      if (!known.has(lower)) continue; // Tyk ignores unknown keys
      options[lower] = value;
      written.set(lower, key);
    }
  }

  const cooldownWritten = options.event_timeout !== undefined;
  const reference = typeof options.id === 'string' && options.id !== '';
  if (options.method === undefined || options.method === '') options.method = 'GET';
  else if (typeof options.method === 'string') options.method = options.method.toUpperCase();
  options.template_path ??= '';
  options.header_map ??= {};
  options.event_timeout ??= 0;
  options.disabled ??= false;

  if (options.target_path === undefined && !reference) {
    problems.push({
      file: source.file,
      pointer: source.pointer,
      message: `missing required key "${source.format === 'oas' ? 'url' : 'target_path'}"`,
      severity: 'error',
    });
  }
  const schemaProblems = validateOptions(webhookOptionsSchema, options, source.file, source.pointer, (path) => {
    const [first, ...rest] = path;
    if (first === undefined) return '';
    if (first === 'header_map' && source.format === 'oas' && rest[0] !== undefined && headerIndex.has(rest[0])) {
      return toPointer('headers', headerIndex.get(rest[0])!, 'value');
    }
    return toPointer(written.get(first) ?? first, ...rest);
  });
  // a missing target_path is reported above, naming the key of the source format
  problems.push(...schemaProblems.filter((p) => p.message !== 'missing required key "target_path"'));
  problems.push(...deliveryOptionProblems(options, source.file, (key, ...rest) => at(written.get(key) ?? key, ...rest)));
  if (typeof options.target_path === 'string' && problems.every((p) => !p.pointer.endsWith(toPointer(written.get('target_path') ?? 'target_path')))) {
    const reason = urlProblem(options.target_path);
    if (reason !== undefined)
      problems.push({
        file: source.file,
        pointer: at(written.get('target_path') ?? 'target_path'),
        message: `${reason}${show(options.target_path)}`,
        severity: 'error',
      });
  }
  if (problems.length > 0) throw new ConfigError(dedupeProblems(problems));
  // A reference to a global webhook keeps a cooldown it sets itself; otherwise the global's applies.
  if (cooldownWritten) COOLDOWN_WRITTEN.add(options);
  return options as unknown as WebhookOptions;
}

const COOLDOWN_WRITTEN = new WeakSet<object>();

/** True when these normalised options had a cooldown written (`event_timeout` / `cooldownPeriod`). */
export function cooldownWasWritten(options: WebhookOptions): boolean {
  return COOLDOWN_WRITTEN.has(options);
}

function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
  if (parsed.hostname === '') return 'must name a host';
  try {
    goRequestTarget(url);
  } catch (error) {
    const message = (error as Error).message;
    return `is not a URL Go can request: ${message.slice(message.lastIndexOf(': ') + 2)}`;
  }
  return undefined;
}
