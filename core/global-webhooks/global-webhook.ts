/**
 * Global webhooks: webhook definitions kept in the store and referenced from API definitions by
 * `id` (Tyk Dashboard's global webhooks). A definition has the fields of a Tyk OAS webhook event
 * handler (`url`, `method`, `headers` as `[{name, value}]`, `bodyTemplate`, `cooldownPeriod`) plus
 * Firehook's delivery options, so it validates (and reports pointers) exactly like one.
 */
import { deliveryOptionProblems } from '../config/delivery-option-checks.ts';
import { deliveryOptionProperties, headerValue, HTTP_TOKEN_PATTERN, UNSIGNED_GO_DURATION_PATTERN } from '../config/schema-fragments.ts';
import { validateAgainst } from '../config/validate.ts';
import { toPointer, type ConfigProblem } from '../errors/firehook-error.ts';
import { egressFloorProblems, type GatewayEgress } from '../net/egress-floor.ts';
import type { JsonSchema } from '../config/json-schema.ts';
import type { HandlerDeliveryConfig } from '../delivery/delivery-options.ts';
import type { SigningOptions } from '../delivery/delivery-service.ts';

/** What users write (API body, seed file). */
export interface GlobalWebhookInput extends HandlerDeliveryConfig {
  id: string;
  name?: string;
  url: string;
  /** GET, PUT, POST, PATCH or DELETE (any case); empty or missing means GET, as in Tyk. */
  method?: string;
  headers?: { name: string; value: string }[];
  /** Template file path (resolved against each node's config directory); empty: the default template. */
  bodyTemplate?: string;
  /** Default cooldown (Go duration) for references that set none. */
  cooldownPeriod?: string;
}

/** A stored definition: the input plus bookkeeping. A deleted one is kept as a tombstone (its last copy). */
export interface GlobalWebhookRecord extends GlobalWebhookInput {
  /** Starts at 1, +1 on every change (If-Match / `revision` guards concurrent edits). */
  revision: number;
  createdAt: string;
  updatedAt: string;
  deleted?: boolean;
  deletedAt?: string;
}

/** Fields that belong to the definition (the rest is bookkeeping). */
const DEFINITION_KEYS = [
  'id',
  'name',
  'url',
  'method',
  'headers',
  'bodyTemplate',
  'cooldownPeriod',
  'timeout',
  'retry_schedule',
  'signing',
  'deny_private_networks',
  'allow_networks',
  'tyk_compat_escaping',
] as const;
const BOOKKEEPING_KEYS = ['revision', 'createdAt', 'updatedAt', 'deleted', 'deletedAt'];

const GLOBAL_WEBHOOK_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';
const DURATION = UNSIGNED_GO_DURATION_PATTERN;
const TOKEN = HTTP_TOKEN_PATTERN;
/** A secret, or its mask as API answers show it (sent back unchanged to keep the stored one). */
const SECRET = '^whsec_(?:[A-Za-z0-9+/]+={0,2}|\\*{4}.{0,8})$';

export const globalWebhookSchema: JsonSchema = {
  type: 'object',
  required: ['id', 'url'],
  additionalProperties: false,
  properties: {
    id: {
      type: 'string',
      pattern: GLOBAL_WEBHOOK_ID_PATTERN,
      errorMessage: 'must be 1-128 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
    },
    name: { type: 'string', maxLength: 200 },
    url: {
      type: 'string',
      minLength: 1,
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+(?:[/?#]\\S*)?$',
      errorMessage: 'must be an absolute http:// or https:// URL',
    },
    method: {
      type: 'string',
      pattern: '^(?:|[Gg][Ee][Tt]|[Pp][Uu][Tt]|[Pp][Oo][Ss][Tt]|[Pp][Aa][Tt][Cc][Hh]|[Dd][Ee][Ll][Ee][Tt][Ee])$',
      errorMessage: 'must be one of GET, PUT, POST, PATCH, DELETE',
    },
    headers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'value'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: TOKEN, errorMessage: 'must be a valid HTTP header name' },
          value: headerValue(),
        },
      },
    },
    bodyTemplate: { type: 'string' },
    cooldownPeriod: { type: 'string', pattern: `(?:^$)|${DURATION}`, errorMessage: 'must be a Go duration such as "10s" or "1m30s"' },
    // Deliberately unsigned durations, and masked secrets accepted.
    ...deliveryOptionProperties({ durationPattern: DURATION, secretPattern: SECRET }),
    revision: { type: 'integer' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    deleted: { type: 'boolean' },
    deletedAt: { type: 'string' },
  },
};

/**
 * Validate a definition; problems point into `value` (prefixed with `base`). Bookkeeping fields
 * are accepted and dropped, so a GET body can be edited and sent back. With the gateway's `egress`
 * settings, a definition that asks to lower the private-network floor is an error (see
 * core/net/egress-floor.ts).
 */
export function parseGlobalWebhook(
  value: unknown,
  file: string,
  base = '',
  egress?: GatewayEgress,
): { webhook?: GlobalWebhookInput; problems: ConfigProblem[] } {
  const problems = validateAgainst(globalWebhookSchema, value, file, base);
  const at = (key: string, ...rest: (string | number)[]): string => base + toPointer(key, ...rest);
  if (problems.length === 0) problems.push(...deliveryOptionProblems(value as Record<string, unknown>, file, at));
  if (problems.length === 0 && egress) problems.push(...egressFloorProblems(value as Record<string, unknown>, egress, file, at, 'error'));
  if (problems.length > 0) return { problems };
  const input: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) if (!BOOKKEEPING_KEYS.includes(key)) input[key] = v;
  if (typeof input.method === 'string') input.method = input.method.toUpperCase();
  return { webhook: input as unknown as GlobalWebhookInput, problems: [] };
}

/** Only the definition fields, in a stable order (for comparing and for the plugin). */
export function definitionOf(record: GlobalWebhookInput): GlobalWebhookInput {
  const out: Record<string, unknown> = {};
  for (const key of DEFINITION_KEYS) if (record[key] !== undefined) out[key] = record[key];
  return out as unknown as GlobalWebhookInput;
}

/** The definition as a Tyk OAS webhook event handler entry (what the webhook plugin normalises). */
export function globalWebhookAsOasHandler(record: GlobalWebhookInput): Record<string, unknown> {
  return { type: 'webhook', enabled: true, ...definitionOf(record) };
}

/** Mask signing secrets for API answers and logs: `whsec_****` plus the last 4 characters. */
export function maskSecrets<T extends GlobalWebhookInput>(record: T): T {
  if (!record.signing) return record;
  const mask = (s: string): string => `whsec_****${s.slice(-4)}`;
  const signing: SigningOptions = { secret: mask(record.signing.secret) };
  if (record.signing.previous_secrets) signing.previous_secrets = record.signing.previous_secrets.map(mask);
  return { ...record, signing };
}

/** A masked secret sent back unchanged (an edit form round trip) keeps the stored secret. */
export function keepMaskedSecrets(next: GlobalWebhookInput, previous: GlobalWebhookInput | undefined): { webhook: GlobalWebhookInput; problems: string[] } {
  if (!next.signing) return { webhook: next, problems: [] };
  const problems: string[] = [];
  const masked = (s: string): boolean => /^whsec_\*{4}/.test(s);
  const resolve = (s: string, pointer: string, old: string[]): string => {
    if (!masked(s)) return s;
    const found = old.find((o) => `whsec_****${o.slice(-4)}` === s);
    if (found === undefined) problems.push(`${pointer}: a masked secret must match a stored one; send the full secret`);
    return found ?? s;
  };
  const stored = previous?.signing ? [previous.signing.secret, ...(previous.signing.previous_secrets ?? [])] : [];
  const signing: SigningOptions = { secret: resolve(next.signing.secret, '/signing/secret', stored) };
  if (next.signing.previous_secrets)
    signing.previous_secrets = next.signing.previous_secrets.map((s, i) => resolve(s, `/signing/previous_secrets/${i}`, stored));
  return { webhook: { ...next, signing }, problems };
}
