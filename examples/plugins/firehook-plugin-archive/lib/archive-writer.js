// @ts-check
/**
 * Appends NDJSON lines to `<directory>/<prefix>.ndjson`, rotating it to
 * `<prefix>-<UTC stamp>-<seq>.ndjson` before it would exceed `maxBytes` (rotated files are complete
 * and never written again: a consumer may ship them). Lines arriving while a write is in progress
 * are written together (group commit). Every file operation runs on one serial chain, so writes,
 * fsyncs, rotation and close never overlap.
 *
 * fsync policy: `always` (an append resolves after its bytes are fsynced), `interval` (fsync at
 * most every `fsyncIntervalMs` when something was written), `never` (leave it to the OS). Whatever
 * the policy, `append` resolves only once its line reached the OS, and `flush({fsync: true})` and
 * `close()` fsync: a clean shutdown loses nothing that was accepted.
 */
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * @typedef {object} WriterSettings
 * @property {number} maxBytes
 * @property {number} maxFiles 0 keeps every rotated file.
 * @property {'always' | 'interval' | 'never'} fsync
 * @property {number} fsyncIntervalMs
 */

/** @typedef {{ file: string, bytes: number, lines: number }} RotatedFile */

/** The file being written: `<directory>/<prefix>.ndjson`. @param {string} directory @param {string} prefix */
export function activeFile(directory, prefix) {
  return join(directory, `${prefix}.ndjson`);
}

export class ArchiveWriter {
  /** @type {import('node:fs/promises').FileHandle | undefined} */
  #fd;
  #size = 0;
  #lines = 0;
  #dirty = false;
  #closed = false;
  #scheduled = false;
  #seq = 0;
  /** @type {{ data: string, resolve: () => void, reject: (error: unknown) => void }[]} */
  #queue = [];
  /** @type {Promise<unknown>} */
  #tail = Promise.resolve();
  /** @type {NodeJS.Timeout | undefined} */
  #timer;
  /** @type {WriterSettings} */
  #settings;

  /**
   * @param {string} directory
   * @param {string} prefix
   * @param {WriterSettings} settings
   * @param {(rotated: RotatedFile) => void} [onRotate]
   */
  constructor(directory, prefix, settings, onRotate) {
    this.directory = directory;
    this.prefix = prefix;
    this.path = activeFile(directory, prefix);
    this.#settings = settings;
    this.onRotate = onRotate;
    this.#armTimer();
  }

  get settings() {
    return this.#settings;
  }

  /** Apply new settings (a reload); takes effect from the next write. @param {WriterSettings} settings */
  configure(settings) {
    const timerChanged = settings.fsync !== this.#settings.fsync || settings.fsyncIntervalMs !== this.#settings.fsyncIntervalMs;
    this.#settings = settings;
    if (timerChanged) this.#armTimer();
  }

  /** Open (creating the directory) now, so a bad directory fails at setup, not on the first event. */
  ready() {
    return this.#run(() => this.#open());
  }

  /**
   * Append one line (without its newline). Resolves once it reached the OS (and the disk, with
   * fsync `always`); rejects when the write failed.
   * @param {string} line
   * @returns {Promise<void>}
   */
  append(line) {
    if (this.#closed) return Promise.reject(new Error(`archive ${this.path} is closed`));
    const done = new Promise((resolve, reject) => this.#queue.push({ data: `${line}\n`, resolve: () => resolve(undefined), reject }));
    if (!this.#scheduled) {
      this.#scheduled = true;
      // Let appends from the same turn of the event loop join one write.
      setImmediate(() => {
        this.#scheduled = false;
        void this.#run(() => this.#drain()).catch(() => undefined);
      });
    }
    return /** @type {Promise<void>} */ (done);
  }

  /** Write everything queued; with `fsync`, also fsync. @param {{ fsync?: boolean }} [options] */
  flush(options = {}) {
    return this.#run(async () => {
      await this.#drain();
      if (options.fsync) await this.#sync();
    });
  }

  /** Flush, fsync and close. Idempotent; appends after it are refused. */
  async close() {
    if (this.#closed) return this.#tail.then(() => undefined);
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#run(async () => {
      await this.#drain();
      await this.#sync();
      await this.#fd?.close();
      this.#fd = undefined;
    });
  }

  /**
   * @template T
   * @param {() => Promise<T>} task
   * @returns {Promise<T>}
   */
  #run(task) {
    const result = this.#tail.then(task);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  #armTimer() {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#settings.fsync !== 'interval' || this.#closed) return;
    this.#timer = setInterval(() => {
      if (this.#dirty) void this.#run(() => this.#sync()).catch(() => undefined);
    }, this.#settings.fsyncIntervalMs);
    this.#timer.unref();
  }

  async #open() {
    if (this.#fd) return this.#fd;
    await mkdir(this.directory, { recursive: true });
    const fd = await open(this.path, 'a+', 0o600);
    const { size } = await fd.stat();
    this.#size = size;
    this.#lines = 0;
    if (size > 0) {
      // A line torn by a crash must not swallow the next one.
      const last = Buffer.alloc(1);
      await fd.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) {
        await fd.write('\n');
        this.#size += 1;
      }
    }
    this.#fd = fd;
    return fd;
  }

  async #drain() {
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0);
      try {
        await this.#write(batch.map((b) => b.data));
        if (this.#settings.fsync === 'always') await this.#sync();
        for (const item of batch) item.resolve();
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
  }

  /** @param {string[]} lines */
  async #write(lines) {
    let fd = await this.#open();
    /** @type {string[]} */
    let chunk = [];
    let chunkBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (this.#size + chunkBytes + bytes > this.#settings.maxBytes && this.#size + chunkBytes > 0) {
        if (chunk.length > 0) await this.#writeChunk(fd, chunk, chunkBytes);
        chunk = [];
        chunkBytes = 0;
        fd = await this.#rotate();
      }
      chunk.push(line);
      chunkBytes += bytes;
    }
    if (chunk.length > 0) await this.#writeChunk(fd, chunk, chunkBytes);
  }

  /**
   * @param {import('node:fs/promises').FileHandle} fd
   * @param {string[]} chunk
   * @param {number} bytes
   */
  async #writeChunk(fd, chunk, bytes) {
    const buffer = Buffer.from(chunk.join(''));
    let offset = 0;
    while (offset < buffer.length) offset += (await fd.write(buffer, offset)).bytesWritten;
    this.#size += bytes;
    this.#lines += chunk.length;
    this.#dirty = true;
  }

  async #sync() {
    if (!this.#fd || !this.#dirty) return;
    this.#dirty = false;
    await this.#fd.sync();
  }

  async #rotate() {
    const fd = /** @type {import('node:fs/promises').FileHandle} */ (this.#fd);
    this.#dirty = true;
    await this.#sync();
    await fd.close();
    this.#fd = undefined;
    const rotated = await this.#freeName();
    await rename(this.path, rotated);
    await syncDirectory(this.directory);
    const info = { file: rotated, bytes: this.#size, lines: this.#lines };
    await this.#prune();
    const next = await this.#open();
    this.onRotate?.(info);
    return next;
  }

  async #freeName() {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
    for (;;) {
      const name = join(this.directory, `${this.prefix}-${stamp}-${String(++this.#seq).padStart(6, '0')}.ndjson`);
      if (!(await stat(name).catch(() => undefined))) return name;
    }
  }

  async #prune() {
    if (this.#settings.maxFiles <= 0) return;
    const files = await this.rotatedFiles();
    for (const old of files.slice(0, Math.max(0, files.length - this.#settings.maxFiles))) await rm(old, { force: true });
  }

  /** Rotated files of this archive, oldest first (absolute paths). */
  async rotatedFiles() {
    const pattern = new RegExp(`^${this.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-\\d{8}T\\d{9}Z-\\d{6,}\\.ndjson$`);
    const names = (await readdir(this.directory)).filter((n) => pattern.test(n)).sort();
    return names.map((n) => join(this.directory, n));
  }
}

/** fsync a directory so a rename survives a crash (best effort: not every platform allows it). @param {string} directory */
async function syncDirectory(directory) {
  try {
    const handle = await open(directory, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported here
  }
}
