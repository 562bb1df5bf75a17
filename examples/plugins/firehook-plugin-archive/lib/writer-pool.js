// @ts-check
/**
 * One ArchiveWriter per archive file for the whole runtime, shared by every handler that names
 * it (several APIs and events, and the old and new generation during a reload), so lines never
 * interleave and rotation never races. Reference-counted: the last handler to let go closes it.
 * Lives in `ctx.shared`, so it is per runtime (tests may run several in one process).
 */
import { activeFile, ArchiveWriter } from './archive-writer.js';

export class WriterPool {
  /** @type {Map<string, { writer: ArchiveWriter, refs: number }>} */
  #entries = new Map();

  /**
   * @param {string} directory absolute
   * @param {string} prefix
   * @param {import('./archive-writer.js').WriterSettings} settings
   * @returns {{ writer: ArchiveWriter, shared: boolean }} `shared`: another handler already used this file.
   */
  acquire(directory, prefix, settings) {
    const path = activeFile(directory, prefix);
    const existing = this.#entries.get(path);
    if (existing) {
      existing.refs++;
      existing.writer.configure(settings);
      return { writer: existing.writer, shared: true };
    }
    const writer = new ArchiveWriter(directory, prefix, settings);
    this.#entries.set(path, { writer, refs: 1 });
    return { writer, shared: false };
  }

  /** @param {ArchiveWriter} writer */
  async release(writer) {
    const entry = this.#entries.get(writer.path);
    if (!entry || entry.writer !== writer) return;
    entry.refs--;
    if (entry.refs > 0) {
      await writer.flush({ fsync: true });
      return;
    }
    this.#entries.delete(writer.path);
    await writer.close();
  }

  async closeAll() {
    const writers = [...this.#entries.values()].map((e) => e.writer);
    this.#entries.clear();
    await Promise.all(writers.map((w) => w.close()));
  }
}
