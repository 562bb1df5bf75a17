// @ts-check
/**
 * Options of `fh_chat_notifier`: the same names in a Classic `handler_meta` (matched
 * case-insensitively) and in a Tyk OAS `eventHandlers` entry, so Firehook maps every schema
 * problem back onto the key the user wrote (`<file>#<pointer>: message`).
 */

/**
 * @typedef {object} ChatOptions
 * @property {string} url Incoming-webhook URL (Slack, Mattermost, Rocket.Chat, ...).
 * @property {string} [cooldown] Go duration; identical messages within it are posted once. Default none.
 * @property {string} [title] Header prefix; default `Firehook`.
 * @property {string} [channel] Override the webhook's channel (where the service allows it).
 * @property {string} [username]
 * @property {string} [icon_emoji] e.g. `:rotating_light:`.
 * @property {string} [template_path] A `.json` template (Tyk Go template or `.hbs`) for the whole message instead of the built-in blocks.
 * @property {string} [timeout] Go duration per attempt; default from the gateway's `webhooks.timeout`.
 * @property {string[]} [retry_schedule] Go durations before each retry; default from `webhooks.retry_schedule`.
 * @property {boolean} [deny_private_networks] Default from `webhooks.deny_private_networks`.
 * @property {string[]} [allow_networks] Added to `webhooks.allow_networks`.
 * @property {string} [id]
 * @property {string} [name]
 * @property {boolean} [disabled]
 */

/** A Go duration without sign (`"30s"`, `"1m30s"`, `"250ms"`, `"0"`). */
const GO_DURATION = '^(?:0|(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+)$';
const duration = { type: 'string', pattern: GO_DURATION, errorMessage: 'must be a Go duration such as "30s" or "1m30s"' };

/** @type {import('firehook').JsonSchema} */
export const chatOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]+(?:[/?#]\\S*)?$', errorMessage: 'must be an http or https URL' },
    cooldown: duration,
    title: { type: 'string', maxLength: 100 },
    channel: { type: 'string', minLength: 1 },
    username: { type: 'string', minLength: 1 },
    icon_emoji: { type: 'string', pattern: '^:[a-z0-9_+-]+:$', errorMessage: 'must be an emoji code such as ":rotating_light:"' },
    template_path: { type: 'string', minLength: 1 },
    timeout: duration,
    retry_schedule: { type: 'array', items: duration, maxItems: 20 },
    deny_private_networks: { type: 'boolean' },
    allow_networks: { type: 'array', items: { type: 'string', minLength: 1 } },
    id: { type: 'string' },
    name: { type: 'string' },
    disabled: { type: 'boolean' },
  },
};

/** Keys of an OAS `eventHandlers` entry that belong to Tyk, not to this plugin. */
const OAS_ENVELOPE = new Set(['enabled', 'trigger', 'type']);

/**
 * Raw configuration -> options the schema validates. Classic keys match case-insensitively (as
 * Tyk's handler_meta does); an OAS entry loses its envelope (`enabled` was already honoured by
 * Firehook: a disabled entry never reaches the plugin).
 * @param {Readonly<Record<string, unknown>>} meta
 * @param {import('firehook').HandlerSource} source
 * @returns {Record<string, unknown>}
 */
export function normalizeChatOptions(meta, source) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [key, value] of Object.entries(meta)) {
    if (source.format === 'oas') {
      if (!OAS_ENVELOPE.has(key)) out[key] = value;
    } else {
      out[key.toLowerCase()] = value;
    }
  }
  return out;
}
