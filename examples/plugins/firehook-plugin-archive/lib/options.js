// @ts-check
/**
 * Options of `fh_ndjson_archive`: the same names in a Classic `handler_meta` (matched
 * case-insensitively) and in a Tyk OAS `eventHandlers` entry.
 */

/**
 * @typedef {object} ArchiveOptions
 * @property {string} directory Where files go; relative paths resolve against the gateway config's directory.
 * @property {string} [file_prefix] Default `events`: `events.ndjson` is written, rotated files are `events-<stamp>-<seq>.ndjson`.
 * @property {number} [max_bytes] Rotate before a file would exceed this; default 64 MiB.
 * @property {number} [max_files] Rotated files kept (oldest deleted); 0 (default) keeps all.
 * @property {'always' | 'interval' | 'never'} [fsync] Default `interval`.
 * @property {string} [fsync_interval] Go duration for `interval`; default `1s`.
 * @property {import('./record.js').RequestMode} [originating_request] Default `raw`.
 * @property {string} [id]
 * @property {string} [name]
 * @property {boolean} [disabled]
 */

export const DEFAULTS = {
  file_prefix: 'events',
  max_bytes: 64 * 1024 * 1024,
  max_files: 0,
  fsync: 'interval',
  fsync_interval: '1s',
  originating_request: 'raw',
};

/** @type {import('firehook').JsonSchema} */
export const archiveOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['directory'],
  properties: {
    directory: { type: 'string', minLength: 1 },
    file_prefix: {
      type: 'string',
      pattern: '^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$',
      errorMessage: 'must be 1-64 letters, digits, ".", "_" or "-" (not starting with "." or "-")',
    },
    max_bytes: { type: 'integer', minimum: 1024 },
    max_files: { type: 'integer', minimum: 0 },
    fsync: { enum: ['always', 'interval', 'never'] },
    fsync_interval: {
      type: 'string',
      pattern: '^(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+$',
      errorMessage: 'must be a Go duration such as "1s" or "250ms"',
    },
    originating_request: { enum: ['raw', 'decoded', 'both', 'omit'] },
    id: { type: 'string' },
    name: { type: 'string' },
    disabled: { type: 'boolean' },
  },
};

const OAS_ENVELOPE = new Set(['enabled', 'trigger', 'type']);

/**
 * @param {Readonly<Record<string, unknown>>} meta
 * @param {import('firehook').HandlerSource} source
 * @returns {Record<string, unknown>}
 */
export function normalizeArchiveOptions(meta, source) {
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
