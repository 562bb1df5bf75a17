/**
 * A webhook receiver for latency benches, run as its own process. Each body is JSON with `t`, the
 * sender's wall-clock time in ms (fractional, `performance.timeOrigin + performance.now()`); the
 * sink keeps arrival - t. A line `report` on stdin prints `{count, p50, p99}` (ms) and resets.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

let latencies: number[] = [];
const now = (): number => performance.timeOrigin + performance.now();
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const arrived = now();
    try {
      const t = Number((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { t: unknown }).t);
      if (Number.isFinite(t)) latencies.push(arrived - t);
    } catch {
      // not a timed body
    }
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'report') return;
  const sorted = latencies.sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  process.stdout.write(`${JSON.stringify({ count: sorted.length, p50: at(50), p99: at(99) })}\n`);
  latencies = [];
});
process.on('SIGTERM', () => process.exit(0));
