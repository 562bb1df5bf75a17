/** A minimal HTTP receiver for delivery benchmarks, run as its own process; prints its port. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let count = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    count++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => {
  const { user, system } = process.cpuUsage();
  process.stderr.write(`sink served ${count} (${((user + system) / Math.max(1, count)).toFixed(1)} µs CPU per request)\n`);
  process.exit(0);
});
