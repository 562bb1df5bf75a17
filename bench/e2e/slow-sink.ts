/**
 * A webhook receiver for end-to-end benches, run as its own process: answers 200 after
 * `argv[2]` ms (0: at once). Prints its port, then on SIGTERM the count it served (stderr).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const delayMs = Number(process.argv[2] ?? 0);
let count = 0;
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const answer = (): void => {
      count++;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => {
  process.stderr.write(`sink served ${count}\n`);
  process.exit(0);
});
