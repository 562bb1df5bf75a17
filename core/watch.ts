import { watch, type FSWatcher } from 'chokidar';

export interface WatcherOptions {
  /** Quiet period after the last change before a rebuild starts. */
  debounceMs?: number;
  onError?: (error: unknown) => void;
}

/**
 * Hot reload trigger: watches files and directories, debounces and coalesces changes, and never
 * runs two rebuilds at once (a change during a rebuild schedules exactly one more).
 */
export class ReloadWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private watched = new Set<string>();
  private readonly debounceMs: number;

  constructor(
    private readonly rebuild: () => Promise<void>,
    private readonly options: WatcherOptions = {},
  ) {
    this.debounceMs = options.debounceMs ?? 25;
  }

  /** Watch exactly these paths (files or directories); adds new ones and drops the rest. */
  async setPaths(paths: Iterable<string>): Promise<void> {
    const next = new Set(paths);
    if (this.watcher === undefined) {
      this.watcher = watch([...next], { ignoreInitial: true, atomic: false });
      this.watcher.on('all', () => this.schedule());
      this.watcher.on('error', (error) => this.options.onError?.(error));
      await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    } else {
      const added = [...next].filter((p) => !this.watched.has(p));
      const removed = [...this.watched].filter((p) => !next.has(p));
      if (removed.length > 0) this.watcher.unwatch(removed);
      if (added.length > 0) this.watcher.add(added);
    }
    this.watched = next;
  }

  /** Request a rebuild (debounced). */
  schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.trigger();
    }, this.debounceMs);
  }

  private async trigger(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    do {
      this.again = false;
      this.running = this.rebuild().catch((error: unknown) => this.options.onError?.(error));
      await this.running;
      this.running = undefined;
    } while (this.again);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
