/** One benchmark figure: an absolute value, and a ratio against a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
  /** value / baseline.value (or as the bench defines it). */
  ratio?: number;
  /** The target in words, e.g. "<= 3x". */
  target?: string;
  /** Whether the target was met, when the bench can tell. */
  met?: boolean;
}

/** Print results as JSON on the last line, for bench/run.ts, and as text for a person. */
export function report(file: string, results: BenchResult[]): void {
  for (const r of results) {
    const base = r.baseline ? `  baseline ${r.baseline.name}: ${fmt(r.baseline.value)}` : '';
    const ratio = r.ratio !== undefined ? `  ratio ${r.ratio.toFixed(2)}` : '';
    const target = r.target ? `  target ${r.target}${r.met === undefined ? '' : r.met ? ' (met)' : ' (NOT met)'}` : '';
    process.stderr.write(`${file}: ${r.name}: ${fmt(r.value)} ${r.unit}${base}${ratio}${target}\n`);
  }
  process.stdout.write(`${JSON.stringify({ file, results })}\n`);
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);
}

/** Time `fn` over `iterations`, best of `rounds`; returns ns per iteration. */
export function timeLoop(iterations: number, rounds: number, fn: (i: number) => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    const ns = Number(process.hrtime.bigint() - start) / iterations;
    if (ns < best) best = ns;
  }
  return best;
}

/** The p-th percentile (nearest rank below) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** The median (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Two runs of the same work pooled: total work over total time (the harmonic mean of the rates). */
export function pooledRate(a: number, b: number): number {
  return 2 / (1 / a + 1 / b);
}
