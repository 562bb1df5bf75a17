// @ts-check
/**
 * Slack-compatible incoming-webhook message for one event: a `text` fallback (notifications,
 * clients without blocks) and Block Kit blocks: header, the event's message, a fields section
 * (event, API, path, origin, obfuscated key, then event-specific details) and a context line.
 * Everything taken from the event is escaped for Slack's mrkdwn and cut to Slack's limits.
 * The message holds nothing time-varying, so identical events give identical bodies and the
 * cooldown (a checksum of the body) can absorb duplicates.
 */
import { obfuscateKey } from 'firehook/plugin';

/** Slack: at most 10 fields per section, 150 characters in a header, 2000 per field. */
const MAX_FIELDS = 10;
const MAX_HEADER = 150;
const MAX_VALUE = 300;
const MAX_MESSAGE = 3000;

/** Meta fields shown by the standard rows or never shown (raw request, secrets). */
const SKIPPED = new Set(['Message', 'OriginatingRequest', 'Path', 'Origin', 'Key']);
const SECRET_NAME = /secret|password|token|authori[sz]ation|signature|cookie/i;
const CIRCUIT_EVENTS = { 0: 'tripped', 1: 'reset' };

/** @typedef {{ type: 'plain_text' | 'mrkdwn', text: string, emoji?: boolean }} TextObject */
/** @typedef {{ type: 'header' | 'section' | 'context', text?: TextObject, fields?: TextObject[], elements?: TextObject[] }} Block */

/**
 * @typedef {object} ChatMessage
 * @property {string} text
 * @property {Block[]} blocks
 * @property {string} [channel]
 * @property {string} [username]
 * @property {string} [icon_emoji]
 */

/**
 * @param {import('firehook').EventMessage} event
 * @param {import('firehook').ApiContext | undefined} api The API the handler serves (undefined for gateway-level handlers).
 * @param {{ title?: string, channel?: string, username?: string, icon_emoji?: string, handlerId: string }} options
 * @returns {ChatMessage}
 */
export function formatChatMessage(event, api, options) {
  const meta = event.Meta;
  const apiLabel = api ? `${api.name} (${api.apiId})` : event.apiId !== '' ? event.apiId : 'gateway';
  const message = typeof meta.Message === 'string' ? meta.Message : '';
  const title = options.title ?? 'Firehook';

  /** @type {[string, string][]} */
  const rows = [
    ['Event', escape(event.Type)],
    ['API', escape(apiLabel)],
  ];
  if (typeof meta.Path === 'string' && meta.Path !== '') rows.push(['Path', code(meta.Path)]);
  if (typeof meta.Origin === 'string' && meta.Origin !== '') rows.push(['Origin', escape(meta.Origin)]);
  if (typeof meta.Key === 'string' && meta.Key !== '') rows.push(['Key', code(obfuscateKey(meta.Key))]);
  for (const [label, value] of details(meta)) {
    if (rows.length >= MAX_FIELDS) break;
    rows.push([label, escape(value)]);
  }

  /** @type {Block[]} */
  const blocks = [{ type: 'header', text: { type: 'plain_text', text: cut(`${title}: ${event.Type}`, MAX_HEADER), emoji: true } }];
  if (message !== '') blocks.push({ type: 'section', text: { type: 'mrkdwn', text: fit(message, MAX_MESSAGE) } });
  blocks.push({ type: 'section', fields: rows.map(([label, value]) => ({ type: 'mrkdwn', text: `*${label}*\n${value}` })) });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escape(`Firehook handler ${options.handlerId}`) }] });

  /** @type {ChatMessage} */
  const out = { text: fit(`${title}: ${event.Type} on ${apiLabel}${message ? `: ${message}` : ''}`, MAX_MESSAGE), blocks };
  if (options.channel) out.channel = options.channel;
  if (options.username) out.username = options.username;
  if (options.icon_emoji) out.icon_emoji = options.icon_emoji;
  return out;
}

/**
 * Event-specific rows: host checks, breaker state, quota triggers, then any other scalar Meta
 * field (custom events), never one whose name suggests a secret.
 * @param {Readonly<Record<string, unknown>>} meta
 * @returns {[string, string][]}
 */
function details(meta) {
  /** @type {[string, string][]} */
  const rows = [];
  const host = meta.HostInfo;
  if (host !== null && typeof host === 'object') {
    const info = /** @type {Record<string, unknown>} */ (host);
    if (typeof info.CheckURL === 'string') rows.push(['Check URL', info.CheckURL]);
    if (info.ResponseCode !== undefined) rows.push(['Response code', String(info.ResponseCode)]);
    if (info.IsTCPError === true) rows.push(['TCP error', 'yes']);
  }
  for (const [name, value] of Object.entries(meta)) {
    if (SKIPPED.has(name) || name === 'HostInfo' || SECRET_NAME.test(name)) continue;
    if (name === 'CircuitEvent' && (value === 0 || value === 1)) {
      rows.push(['Circuit', CIRCUIT_EVENTS[value]]);
      continue;
    }
    if (name.endsWith('Key') && typeof value === 'string') {
      rows.push([name, obfuscateKey(value)]);
      continue;
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') rows.push([name, String(value)]);
  }
  return rows.filter(([, v]) => v !== '');
}

/**
 * A value for a field: cut to a sane length, then escaped for Slack's mrkdwn (`&`, `<`, `>`),
 * so `<!channel>` or `<url|label>` in event data never turns into a mention or a link.
 * @param {string} text
 */
export function escape(text) {
  return mrkdwn(cut(text, MAX_VALUE));
}

/** Escape without cutting (the fallback `text` is parsed as mrkdwn too). @param {string} text */
function mrkdwn(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escape, then cut to `max` characters without splitting an entity (Slack counts escaped text).
 * @param {string} text
 * @param {number} max
 */
function fit(text, max) {
  const escaped = mrkdwn(text);
  return escaped.length <= max ? escaped : `${escaped.slice(0, max - 1).replace(/&[a-z]{0,3}$/, '')}…`;
}

/** @param {string} text */
function code(text) {
  return '`' + escape(text.replace(/`/g, "'")) + '`';
}

/**
 * @param {string} text
 * @param {number} max
 */
function cut(text, max) {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
