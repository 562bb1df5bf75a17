/**
 * Standard Webhooks signing: `webhook-id`, `webhook-timestamp` and `webhook-signature`
 * (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, keyed by the base64 secret after `whsec_`).
 * During a rotation every listed secret signs; the signatures are space-separated.
 */
import { createHmac } from 'node:crypto';
import { FirehookError } from '../errors/firehook-error.ts';
import type { SigningOptions } from './delivery-service.ts';

const SECRET_PREFIX = 'whsec_';
const keyCache = new Map<string, Buffer>();

/** Decode a `whsec_` secret to its key bytes; throws FH_DELIVERY_INVALID when it is not base64. */
export function decodeSigningSecret(secret: string): Buffer {
  const cached = keyCache.get(secret);
  if (cached) return cached;
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (encoded.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) {
    throw new FirehookError('FH_DELIVERY_INVALID', 'signing secret must be "whsec_" followed by base64');
  }
  const key = Buffer.from(encoded, 'base64');
  if (keyCache.size > 1000) keyCache.clear();
  keyCache.set(secret, key);
  return key;
}

/** Every secret that signs: the current one first, then the previous ones still accepted. */
function signingSecrets(signing: SigningOptions): string[] {
  return [signing.secret, ...(signing.previous_secrets ?? [])];
}

/** The `webhook-signature` value for one message. `timestampSec` is Unix seconds. */
export function signWebhook(id: string, timestampSec: number, body: string, secrets: readonly string[]): string {
  const content = `${id}.${timestampSec}.${body}`;
  let out = '';
  for (const secret of secrets) {
    const mac = createHmac('sha256', decodeSigningSecret(secret)).update(content).digest('base64');
    out += out === '' ? `v1,${mac}` : ` v1,${mac}`;
  }
  return out;
}

/** The three Standard Webhooks headers for an attempt made now. */
export function signatureHeaders(id: string, body: string | undefined, signing: SigningOptions, nowMs = Date.now()): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(id, timestamp, body ?? '', signingSecrets(signing)),
  };
}
