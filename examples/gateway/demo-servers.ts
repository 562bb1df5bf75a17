/**
 * The two servers the example configuration points at, for trying the gateway by hand:
 * - an upstream on 127.0.0.1:8000: `/health` answers 200 (`/health?down` toggles it to 503 and
 *   back), `/flaky` always answers 500 (to trip the circuit breaker), anything else echoes the request;
 * - an event receiver on 127.0.0.1:8001 that prints every webhook (`/events`, `/monitor`) and every
 *   JS handler observation (`/js`) it receives.
 * Run: node examples/gateway/demo-servers.ts
 */
import { createServer, type IncomingMessage } from 'node:http';

let healthy = true;

function readText(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => resolve(text));
  });
}

createServer((req, res) => {
  void readText(req).then((body) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (url.pathname === '/health') {
      if (url.searchParams.has('down')) healthy = !healthy;
      res.writeHead(healthy ? 200 : 503).end(healthy ? 'ok' : 'down');
    } else if (url.pathname === '/flaky') {
      res.writeHead(500).end('upstream failure');
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    }
  });
}).listen(8000, '127.0.0.1', () => console.log('upstream on http://127.0.0.1:8000'));

createServer((req, res) => {
  void readText(req).then((body) => {
    let shown = body;
    try {
      shown = JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      // not JSON: print as received
    }
    console.log(`--- ${req.method} ${req.url}\n${shown}`);
    res.writeHead(200).end('ok');
  });
}).listen(8001, '127.0.0.1', () => console.log('event receiver on http://127.0.0.1:8001'));
