// @ts-check
/**
 * firehook-plugin-archive: `fh_ndjson_archive` (OAS `type: "archive"`) appends every event it is
 * configured for to size-rotated NDJSON files, for the "service bus / post-processing" case:
 * another process ships or loads each rotated file. An event counts as handled once its line
 * reached the OS (and the disk, with `fsync: always`); disposal flushes and fsyncs, so a clean
 * shutdown or reload loses nothing that was accepted. Each rotation fires the custom system event
 * `ArchiveFileRotated` (declared in `events`, so configuring a handler for it validates cleanly).
 */
import { ConfigError, definePlugin, parseGoDuration, PLUGIN_CONTRACT_VERSION } from 'firehook/plugin';
import { archiveOptionsSchema, DEFAULTS, normalizeArchiveOptions } from './lib/options.js';
import { archiveRecord } from './lib/record.js';
import { WriterPool } from './lib/writer-pool.js';

export const ARCHIVE_PLUGIN_NAME = 'fh_ndjson_archive';
export const ARCHIVE_ROTATED_EVENT = 'ArchiveFileRotated';
const POOL_KEY = 'firehook-plugin-archive:writers';
/** Cap on a decoded originating request (Firehook's default encoder cap). */
const MAX_REQUEST_BYTES = 1 << 20;

/** @typedef {import('./lib/options.js').ArchiveOptions} ArchiveOptions */

export const plugin = definePlugin({
  name: ARCHIVE_PLUGIN_NAME,
  aliases: ['archive'],
  contractVersion: PLUGIN_CONTRACT_VERSION,
  optionsSchema: archiveOptionsSchema,
  events: [ARCHIVE_ROTATED_EVENT],
  normalize: normalizeArchiveOptions,
  /**
   * @param {ArchiveOptions} options
   * @param {import('firehook').HandlerContext} ctx
   */
  async create(options, ctx) {
    const o = { ...DEFAULTS, ...options };
    const directory = ctx.resolvePath(o.directory);
    const settings = {
      maxBytes: o.max_bytes,
      maxFiles: o.max_files,
      fsync: /** @type {'always' | 'interval' | 'never'} */ (o.fsync),
      fsyncIntervalMs: Math.max(1, parseGoDuration(o.fsync_interval) ?? 1000),
    };
    const pool = ctx.shared.getOrCreate(
      POOL_KEY,
      () => new WriterPool(),
      (p) => p.closeAll(),
    );
    const { writer, shared } = pool.acquire(directory, o.file_prefix, settings);
    try {
      await writer.ready();
    } catch (error) {
      await pool.release(writer);
      const code = /** @type {{code?: string}} */ (error).code;
      throw new ConfigError([
        {
          file: ctx.source.file,
          pointer: `${ctx.source.pointer}/directory`,
          message: `cannot write ${writer.path}: ${/** @type {Error} */ (error).message}${code ? ` [${code}]` : ''}`,
          severity: 'error',
        },
      ]);
    }
    if (shared) ctx.logger.debug({ file: writer.path }, 'archive file shared with another handler; the last loaded settings apply');
    writer.onRotate = (rotated) => {
      ctx.logger.info({ file: rotated.file, bytes: rotated.bytes, lines: rotated.lines }, 'archive file rotated');
      ctx.fireSystem(ARCHIVE_ROTATED_EVENT, {
        Message: 'archive file rotated',
        File: rotated.file,
        Bytes: rotated.bytes,
        Lines: rotated.lines,
        Directory: directory,
      });
    };
    const mode = /** @type {import('./lib/record.js').RequestMode} */ (o.originating_request);
    let released = false;

    return {
      async handle(event) {
        await writer.append(JSON.stringify(archiveRecord(event, mode, MAX_REQUEST_BYTES)));
        return { status: 'ok' };
      },
      async dispose() {
        if (released) return;
        released = true;
        // flushes and fsyncs; the last handler using the file also closes it
        await writer.flush({ fsync: true });
        await pool.release(writer);
      },
    };
  },
});
