/**
 * The error catalogue: every stable code Firehook reports, alphabetised, with one line on its meaning.
 * A retired code is never reused. `test/core/errors/codes.test.ts` checks this against `docs/errors.md`.
 */
export const ERROR_CODES = {
  FH_CONFIG_INVALID: 'A configuration document failed validation; each problem names file and JSON pointer.',
  FH_CONFIG_UNREADABLE: 'A configuration file could not be read or parsed (JSON or YAML syntax).',
  FH_DELIVERY_CLOSED: 'The delivery service is closed or closing and takes no more deliveries.',
  FH_DELIVERY_FAILED: 'A webhook delivery failed finally (non-retryable response or retries exhausted); it went to the dead letters.',
  FH_DELIVERY_INVALID: 'A delivery request was malformed (URL, method, headers or signing secret).',
  FH_DELIVERY_NOT_FOUND: 'No dead letter or delivery with that id exists.',
  FH_DELIVERY_PERSIST_FAILED: 'A durable delivery could not be written to the Redis outbox; it was not queued.',
  FH_DELIVERY_TARGET_GONE: 'A target answered 410 Gone; the delivery stopped retrying.',
  FH_DISPATCH_DROPPED: 'An event was dropped because a handler queue was full (overflow policy).',
  FH_EGRESS_DENIED: 'An outbound connection was refused by the private-network egress policy (resolved address checked at connect time).',
  FH_EGRESS_INVALID_ALLOW: 'An allow_networks entry is not a host name, IP address or CIDR.',
  FH_ERRORTPL_NOT_LOADED: 'renderSync was called before the error templates were loaded.',
  FH_ERRORTPL_RENDER_FAILED: 'An error template failed to load or render; the built-in error body was served instead.',
  FH_HANDLER_DISABLED: 'A handler was not built because its configuration is invalid; the rest of its API still runs.',
  FH_HANDLER_FAILED: 'A handler threw or rejected while handling an event.',
  FH_HANDLER_UNSUPPORTED: 'The handler name is known from Tyk but not supported by Firehook (cp_dynamic_handler).',
  FH_INGEST_BAD_REQUEST: 'An ingestion request body was malformed; nothing from it was accepted.',
  FH_INGEST_TOO_LARGE: 'An ingestion request body exceeded the configured limit.',
  FH_INGEST_UNAUTHORIZED: 'An ingestion request lacked the bearer token configured as ingest_secret.',
  FH_LISTEN_INSECURE: 'Refused to listen on a non-loopback address without ingest_secret.',
  FH_MONITOR_CLAIM_FAILED: 'The quota monitor could not claim a threshold in the store; it did not fire and retries on the next check.',
  FH_PLUGIN_DUPLICATE: 'Two handler plugins claim the same handler name.',
  FH_PLUGIN_INVALID: 'A handler plugin does not satisfy the plugin contract.',
  FH_PLUGIN_NOT_FOUND: 'No handler plugin is registered under the handler name.',
  FH_PLUGIN_SETUP_TIMEOUT: 'A handler plugin did not finish creating a handler within its setup timeout.',
  FH_RELOAD_FAILED: 'A hot reload produced an invalid generation; the previous one keeps running.',
  FH_REQUEST_MALFORMED: 'An originating request could not be read, encoded or decoded (bad base64, bad HTTP/1.1 wire form, body already consumed).',
  FH_REQUEST_TOO_LARGE: 'An originating request exceeded its size cap (default 1 MiB).',
  FH_RUNTIME_CLOSED: 'The runtime is closed or closing and takes no more events.',
  FH_SESSION_INVALID: 'A session failed validation: not a JSON object, too deep or too large, a __proto__ key, or a typed field of the wrong type.',
  FH_SESSION_KEY_INVALID: 'A session key was empty, longer than 512 bytes, or held control characters.',
  FH_SESSION_ORG_MISMATCH: 'A session belongs to another organisation than the caller, or an org-scoped update tried to change its org_id.',
  FH_SHUTDOWN_INCOMPLETE: 'Close reached its deadline with work unfinished.',
  FH_STORE_INVALID_ARGUMENT: 'A store operation got an invalid key, value or TTL.',
  FH_STORE_UNAVAILABLE: 'The store (Redis) could not be reached; the operation failed and the client reconnects.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
