import type { ProvidedStats, StatsRegistry } from './plugin.ts';

/** The runtime's `ctx.stats`: what plugins offered, read by the metrics at scrape time. */
export class ProvidedStatsRegistry implements StatsRegistry {
  private readonly readers = new Map<keyof ProvidedStats, () => unknown>();

  provide<K extends keyof ProvidedStats>(name: K, read: () => ProvidedStats[K]): () => void {
    this.readers.set(name, read);
    return () => {
      if (this.readers.get(name) === read) this.readers.delete(name);
    };
  }

  /** The statistics offered under `name`, or `undefined` when nothing offers them. */
  read<K extends keyof ProvidedStats>(name: K): ProvidedStats[K] | undefined {
    return this.readers.get(name)?.() as ProvidedStats[K] | undefined;
  }
}
