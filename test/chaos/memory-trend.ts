/** RSS sampling of a child process (Linux /proc) and a least-squares trend over the samples. */
import { readFile } from 'node:fs/promises';

export interface MemorySample {
  /** Seconds since sampling started. */
  t: number;
  rssMb: number;
}

/** VmRSS of `pid` in MB; undefined when the process is gone. */
export async function rssMb(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Sample `pid` every `everyMs` until `stop()`; returns the samples. */
export function sampleRss(pid: number, everyMs: number): { samples: MemorySample[]; stop(): void } {
  const samples: MemorySample[] = [];
  const started = performance.now();
  const timer = setInterval(() => {
    void rssMb(pid).then((mb) => {
      if (mb !== undefined) samples.push({ t: (performance.now() - started) / 1000, rssMb: mb });
    });
  }, everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

export interface Trend {
  /** Least-squares slope, MB per minute. */
  slopeMbPerMin: number;
  /** Median of the first and last quarter of the samples. */
  firstMb: number;
  lastMb: number;
  peakMb: number;
}

export function trend(samples: readonly MemorySample[]): Trend {
  const n = samples.length;
  const mt = samples.reduce((a, s) => a + s.t, 0) / n;
  const mr = samples.reduce((a, s) => a + s.rssMb, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.t - mt) * (s.rssMb - mr);
    den += (s.t - mt) ** 2;
  }
  const quarter = Math.max(1, Math.floor(n / 4));
  return {
    slopeMbPerMin: den === 0 ? 0 : (num / den) * 60,
    firstMb: median(samples.slice(0, quarter).map((s) => s.rssMb)),
    lastMb: median(samples.slice(n - quarter).map((s) => s.rssMb)),
    peakMb: Math.max(...samples.map((s) => s.rssMb)),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
