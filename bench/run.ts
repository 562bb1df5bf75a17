/**
 * `npm run bench`: run every bench file in its own process (so one cannot disturb another) and
 * print one report: machine, each figure with its same-run baseline and ratio, and targets.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, relative } from 'node:path';
import type { BenchResult } from './bench-format.ts';

const root = import.meta.dirname;
const only = process.argv.slice(2);

function find(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.bench.ts') ? [path] : [];
  });
}

const files = find(root)
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
const lines: string[] = [
  `# Firehook benchmark report`,
  ``,
  `Machine: ${machine}`,
  `Date: ${new Date().toISOString()}`,
  ``,
  `| bench | figure | value | baseline (same run) | ratio | target |`,
  `| --- | --- | --- | --- | --- | --- |`,
];
let failures = 0;
for (const file of files) {
  const name = relative(root, file).replace(/\.bench\.ts$/, '');
  process.stderr.write(`running ${name} ...\n`);
  const child = spawnSync(process.execPath, ['--no-node-snapshot', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 15 * 60_000 });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  let results: BenchResult[] = [];
  try {
    results = (JSON.parse(last) as { results: BenchResult[] }).results;
  } catch {
    failures++;
    lines.push(`| ${name} | failed (exit ${child.status}) | | | | |`);
    continue;
  }
  for (const r of results) {
    const value = `${fmt(r.value)} ${r.unit}`;
    const base = r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)}` : '';
    const ratio = r.ratio !== undefined ? r.ratio.toFixed(2) : '';
    const target = r.target ? `${r.target}${r.met === undefined ? '' : r.met ? ' ✓' : ' ✗'}` : '';
    lines.push(`| ${name} | ${r.name} | ${value} | ${base} | ${ratio} | ${target} |`);
  }
}
const text = lines.join('\n') + '\n';
process.stdout.write(text);
if (process.env.BENCH_REPORT) writeFileSync(process.env.BENCH_REPORT, text);
process.exit(failures > 0 ? 1 : 0);

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3);
}
