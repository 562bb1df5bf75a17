/**
 * JSON-schema pieces shared by the three places delivery options are written: the gateway config's
 * `webhooks` defaults, a webhook handler's options and a global webhook definition.
 */
import type { JsonSchema } from './json-schema.ts';

/** A Go duration string (`"30s"`, `"1m30s"`, `"0"`, signed); semantic checks come after the schema. */
export const GO_DURATION_PATTERN = '^(?:0|[-+]?(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)$';
/** An unsigned Go duration (global webhook definitions, written through the admin API). */
export const UNSIGNED_GO_DURATION_PATTERN = '^(?:0|(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)$';
/** An HTTP header name (RFC 9110 token). */
export const HTTP_TOKEN_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
/**
 * An HTTP header value undici will send: tab, visible ASCII and Latin-1 (no line breaks, NUL or
 * other control characters, nothing above U+00FF).
 */
export const HTTP_HEADER_VALUE_PATTERN = '^[\\t\\x20-\\x7e\\x80-\\xff]*$';
const HTTP_HEADER_VALUE_MESSAGE =
  'must hold only tabs, visible ASCII and Latin-1 characters (no line breaks, NUL, control characters or characters above U+00FF)';
/** A header value property, with its message. */
export const headerValue = (): JsonSchema => ({ type: 'string', pattern: HTTP_HEADER_VALUE_PATTERN, errorMessage: HTTP_HEADER_VALUE_MESSAGE });
/** A Standard Webhooks signing secret. */
export const SIGNING_SECRET_PATTERN = '^whsec_[A-Za-z0-9+/]+={0,2}$';

const SECRET_MESSAGE = 'must be whsec_ followed by a base64 secret';

/** A Go duration string property; `example` shows up in the error message. */
export function goDuration(example = '"30s" or "1m30s"', pattern = GO_DURATION_PATTERN): JsonSchema {
  return { type: 'string', pattern, errorMessage: `must be a Go duration such as ${example}` };
}

/**
 * The Firehook delivery options every webhook form accepts: `timeout`, `retry_schedule`, `signing`,
 * `deny_private_networks`, `allow_networks`, `tyk_compat_escaping`.
 */
export function deliveryOptionProperties(options: { durationPattern?: string; secretPattern?: string } = {}): Record<string, JsonSchema> {
  const secret = { type: 'string', pattern: options.secretPattern ?? SIGNING_SECRET_PATTERN, errorMessage: SECRET_MESSAGE };
  return {
    timeout: goDuration('"30s" or "1m30s"', options.durationPattern),
    retry_schedule: { type: 'array', items: goDuration('"5s" or "2h"', options.durationPattern) },
    signing: {
      type: 'object',
      additionalProperties: false,
      required: ['secret'],
      properties: { secret, previous_secrets: { type: 'array', items: secret } },
    },
    deny_private_networks: { type: 'boolean' },
    allow_networks: { type: 'array', items: { type: 'string', minLength: 1 } },
    tyk_compat_escaping: { type: 'boolean' },
  };
}
