/**
 * Test-fire a global webhook: build a throwaway handler through the webhook plugin itself (same
 * resolution, template, headers, signing and delivery as a real reference, without a cooldown),
 * send one sample event, and wait briefly for the first attempt to be recorded.
 *
 * The target is first judged by the egress policy the delivery would get (the gateway's floor
 * included, core/net/egress-floor.ts): a refused target is answered with the refusal and never
 * contacted (no delivery is created). For an allowed target the answer shows the status and at
 * most {@link TEST_FIRE_BODY_LIMIT} bytes of the response body, with credentials redacted; no
 * response headers are shown.
 */
import { lookup as dnsLookup } from 'node:dns';
import { createHandlerContext } from './handler-context.ts';
import type { GatewayConfig } from './config/gateway-config.ts';
import type { AttemptRecord, DeliveryAdmin } from './delivery/delivery-service.ts';
import { buildEvent } from './dispatch/dispatcher.ts';
import { FirehookError, formatProblem, type ConfigProblem } from './errors/firehook-error.ts';
import type { HandlerOutcome, HandlerPlugin } from './plugin.ts';
import type { RuntimeServices } from './runtime-services.ts';
import { resolveDeliveryOptions } from './delivery/delivery-options.ts';
import { createEgressPolicy, createGuardedLookup, EgressDeniedError } from './net/egress-policy.ts';
import { parseAddress } from './net/ip-address.ts';
import type { GlobalWebhookInput } from './global-webhooks/global-webhook.ts';
import { sampleMeta } from './sample-events.ts';

/** Bytes of the response body a test-fire shows. */
const TEST_FIRE_BODY_LIMIT = 2048;

export interface TestFireInput {
  webhookId: string;
  type: string;
  apiId?: string;
  /** Metadata to send; default: a sample for the type. */
  meta?: Record<string, unknown>;
  /** How long to wait for the first attempt (ms, default 5000; 0 = do not wait). */
  waitMs?: number;
}

interface TestFireRefusal {
  code: 'FH_EGRESS_DENIED';
  message: string;
  /** The address refused and its range (`loopback`, `private`, `cloud-metadata`, ...). */
  address: string;
  range: string;
}

export interface TestFireResult {
  /** `refused`: the egress policy refused the target; nothing was sent. */
  status: HandlerOutcome['status'] | 'refused';
  refusal?: TestFireRefusal;
  /** The first attempt's answer: status and a bounded, redacted body. */
  response?: { status: number; body: string; truncated: boolean };
  detail?: string;
  deliveryId?: string;
  event: { type: string; api_id: string; meta: Record<string, unknown> };
  attempts: AttemptRecord[];
  warnings: string[];
}

export interface TestFireDeps {
  plugins: readonly HandlerPlugin[];
  services: RuntimeServices;
  gateway: GatewayConfig;
  admin: DeliveryAdmin | undefined;
  /** The definition being fired (its URL and delivery options are judged before sending). */
  webhook?: GlobalWebhookInput;
  /** Resolver for the pre-check (tests); its answers are judged like dns.lookup's. */
  lookup?: typeof dnsLookup;
}

const WEBHOOK_PLUGIN = 'eh_web_hook_handler';

export async function testFireWebhook(input: TestFireInput, deps: TestFireDeps): Promise<TestFireResult> {
  const plugin = deps.plugins.find((p) => p.name === WEBHOOK_PLUGIN);
  if (!plugin) throw new FirehookError('FH_PLUGIN_NOT_FOUND', `no ${WEBHOOK_PLUGIN} plugin is loaded`);
  const { services, gateway } = deps;
  const apiId = input.apiId ?? '';
  const eventMeta = input.meta ?? sampleMeta(input.type, apiId);
  const webhook = deps.webhook ?? (await services.globalWebhooks?.lookup(input.webhookId));
  if (webhook) {
    const refusal = await egressRefusal(webhook, gateway, deps.lookup);
    if (refusal)
      return { status: 'refused', refusal, detail: refusal.message, event: { type: input.type, api_id: apiId, meta: eventMeta }, attempts: [], warnings: [] };
  }
  const handlerId = `test:${input.webhookId}`;
  const problems: ConfigProblem[] = [];
  const source = { file: '<admin test-fire>', pointer: '', format: 'gateway' as const };
  const meta = { id: input.webhookId, event_timeout: 0 };
  const options = plugin.normalize ? plugin.normalize(meta, source, gateway) : meta;
  const logger = services.logger.child({ plugin: WEBHOOK_PLUGIN, api_id: apiId, handler: handlerId });
  const api = apiId ? { apiId, orgId: '', name: apiId } : undefined;
  const ctx = createHandlerContext({ services, gateway, api, source, event: input.type, handlerId, logger, problems });
  const handler = await plugin.create(options as never, ctx);
  try {
    const outcome = (await handler.handle(buildEvent(input.type, eventMeta as never, apiId, ''))) ?? { status: 'ok' as const };
    const deliveryId = outcome.deliveryId;
    const attempts = (deliveryId && deps.admin ? await firstAttempts(deps.admin, deliveryId, input.waitMs ?? 5_000) : []).map(boundedAttempt);
    const first = attempts.find((a) => a.responseCode !== undefined);
    return {
      status: outcome.status,
      ...(first ? { response: { status: first.responseCode!, body: first.responseBody ?? '', truncated: first.truncated } } : {}),
      ...(outcome.detail ? { detail: outcome.detail } : {}),
      ...(deliveryId ? { deliveryId } : {}),
      event: { type: input.type, api_id: apiId, meta: eventMeta },
      attempts: attempts.map(withoutFlag),
      warnings: problems.map(formatProblem),
    };
  } finally {
    await handler.dispose?.();
  }
}

async function firstAttempts(admin: DeliveryAdmin, deliveryId: string, waitMs: number): Promise<AttemptRecord[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const attempts = await admin.attempts({ deliveryId, limit: 10 });
    if (attempts.length > 0 || Date.now() >= deadline) return attempts;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Why the policy the delivery would get refuses the webhook's target, or `undefined`. */
async function egressRefusal(webhook: GlobalWebhookInput, gateway: GatewayConfig, resolve: typeof dnsLookup = dnsLookup): Promise<TestFireRefusal | undefined> {
  let host: string;
  try {
    host = new URL(webhook.url).hostname;
  } catch {
    return undefined; // the delivery reports it
  }
  if (host.startsWith('[')) host = host.slice(1, -1);
  const options = resolveDeliveryOptions(webhook, gateway.webhooks);
  const policy = createEgressPolicy(options);
  const refused = (address: string, range: string): TestFireRefusal => {
    const error = new EgressDeniedError(host, address, range);
    return { code: 'FH_EGRESS_DENIED', message: error.message, address, range };
  };
  if (parseAddress(host)) {
    const range = policy.check(host);
    return range === undefined ? undefined : refused(host, range);
  }
  const guarded = createGuardedLookup(policy, resolve as never);
  return new Promise((done) => {
    guarded(host, { all: true }, ((error: NodeJS.ErrnoException | null) => {
      if (error instanceof EgressDeniedError) done(refused(error.address, error.range));
      else done(undefined); // resolved and allowed, or not resolvable: the delivery reports it
    }) as never);
  });
}

type BoundedAttempt = AttemptRecord & { truncated: boolean };

function withoutFlag(attempt: BoundedAttempt): AttemptRecord {
  const copy: Partial<BoundedAttempt> = { ...attempt };
  delete copy.truncated;
  return copy as AttemptRecord;
}

/** The attempt as a test-fire shows it: the body redacted, then cut to TEST_FIRE_BODY_LIMIT bytes. */
function boundedAttempt(attempt: AttemptRecord): BoundedAttempt {
  if (attempt.responseBody === undefined) return { ...attempt, truncated: false };
  // Redact a prefix a few times the limit (bounded work; a credential crossing the cut is gone with it).
  const prefix = attempt.responseBody.slice(0, TEST_FIRE_BODY_LIMIT * 4);
  const { text, truncated } = cutUtf8(redactResponseBody(prefix), TEST_FIRE_BODY_LIMIT);
  return { ...attempt, responseBody: text, truncated: truncated || prefix.length < attempt.responseBody.length };
}

function cutUtf8(text: string, limit: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return { text, truncated: false };
  let end = limit;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}

const REDACTED = '[redacted]';
/** Names whose values are credentials: JSON keys, form/query keys, header names. */
const SECRET_NAME = String.raw`[\w.-]{0,48}(?:secret|token|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key|private[_-]?key|credential|authorization|cookie|session|signature|bearer)[\w.-]{0,48}`;
const CREDENTIAL_HEADERS = String.raw`set-cookie|cookie|authorization|proxy-authorization|www-authenticate|proxy-authenticate|x-api-key|x-auth-token|x-amz-security-token|x-csrf-token|x-xsrf-token`;
const PATTERNS: [RegExp, string | ((...m: string[]) => string)][] = [
  // PEM private keys
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
  // header lines (an echoed request or a raw dump)
  [new RegExp(String.raw`^([ \t]*(?:${CREDENTIAL_HEADERS})[ \t]*:)[^\r\n]*`, 'gim'), (_m, name) => `${name} ${REDACTED}`],
  // "key": "value" and "key": value (JSON, any depth)
  [new RegExp(String.raw`("(?:${SECRET_NAME}|${CREDENTIAL_HEADERS})"\s*:\s*)("(?:[^"\\]|\\.)*(?:"|$)|[^\s,}\]]+)`, 'gi'), (_m, key) => `${key}"${REDACTED}"`],
  // key=value (query strings, forms, env dumps)
  [new RegExp(String.raw`\b(${SECRET_NAME}=)[^&\s"'<>]+`, 'gi'), (_m, key) => `${key}${REDACTED}`],
  // token shapes anywhere
  [/\b(Bearer|Basic|Digest)\s+[A-Za-z0-9._~+/=-]{8,}/g, (_m, scheme) => `${scheme} ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, REDACTED], // JWT
  [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, REDACTED], // AWS access key id
  [/\bwhsec_[A-Za-z0-9+/=]{8,}/g, REDACTED],
  [/\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|sk-[A-Za-z0-9_-]{16,}|glpat-[A-Za-z0-9_-]{16,})/g, REDACTED],
];

/** A response body with credentials (secret-named fields, credential headers, token shapes) replaced by `[redacted]`. */
function redactResponseBody(body: string): string {
  let out = body;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement as never);
  return out;
}
