import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { event, loadHandler, loadHandlers, logged, runIn, runOne, startSandbox, type TestSandbox } from './helpers.ts';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let base = '';
const seen: Seen[] = [];
let onNested: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
let t: TestSandbox;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const url = req.url ?? '';
      if (url.startsWith('/echo')) {
        res.setHeader('x-multi', ['a', 'b']);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ method: req.method, body }));
      } else if (url === '/redirect') {
        res.writeHead(302, { location: '/echo' }).end();
      } else if (url === '/big') {
        res.end(Buffer.alloc(300_000, 'z'));
      } else if (url === '/endless') {
        res.writeHead(200);
        const timer = setInterval(() => res.write(Buffer.alloc(16_384, 'e')), 1);
        res.on('close', () => clearInterval(timer));
      } else if (url === '/slow') {
        const timer = setTimeout(() => res.end('late'), 60_000);
        res.on('close', () => clearTimeout(timer));
      } else if (url === '/nested') {
        onNested?.(req, res);
      } else {
        res.writeHead(Number(url.split('/')[2] ?? 200)).end(`status ${url}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t = startSandbox({ timeoutMs: 1_000, limits: { maxResponseBytes: 65_536 } });
});

afterAll(async () => {
  await t.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
});

function request(req: Record<string, unknown>): string {
  return `TykMakeHttpRequest(${JSON.stringify(JSON.stringify(req))})`;
}

describe('TykMakeHttpRequest', () => {
  it('sends method, headers and body and returns Tyk reply JSON with canonical multi-value headers', async () => {
    const file = await loadHandler(
      t,
      `log(${request({ Method: 'post', Domain: '{BASE}', Resource: '/echo?x=1', Headers: { 'X-Api': 'v', Host: 'evil.example', Connection: 'close' }, Body: '{"a":1}' })});`.replace(
        '{BASE}',
        base,
      ),
    );
    expect((await runOne(t, event(file))).ok).toBe(true);
    const reply = JSON.parse(logged(t, file)[0]!) as Record<string, unknown>;
    expect(Object.keys(reply)).toEqual(['Code', 'Body', 'Headers', 'code', 'body', 'headers']);
    expect(reply).toMatchObject({ Code: 200, code: 200, Body: '{"method":"POST","body":"{\\"a\\":1}"}' });
    expect((reply.Headers as Record<string, string[]>)['X-Multi']).toEqual(['a', 'b']);
    expect((reply.Headers as Record<string, string[]>)['Content-Type']).toEqual(['application/json']);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/echo?x=1', body: '{"a":1}' });
    expect(seen[0]!.headers['x-api']).toBe('v');
    expect(seen[0]!.headers.host).toBe(base.slice('http://'.length));
  });

  it('url-encodes FormData the way Go does when no Body is given', async () => {
    const file = await loadHandler(t, `${request({ Method: 'POST', Domain: base, Resource: '/echo', FormData: { zeta: 'a b', alpha: "x*y~z!'" } })};`);
    await runOne(t, event(file));
    expect(seen[0]!.body).toBe('alpha=x%2Ay~z%21%27&zeta=a+b');
    expect(seen[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('returns undefined and sends nothing when the request is invalid or injects CR/LF', async () => {
    const cases = [
      `TykMakeHttpRequest('not json')`,
      `TykMakeHttpRequest(JSON.stringify({ Method: 'GET', Domain: 123 }))`,
      `TykMakeHttpRequest(JSON.stringify({ Method: 'GET', Domain: '${base}', Resource: '/echo', Headers: { 'X-A': 'v\\r\\nX-Injected: 1' } }))`,
      `TykMakeHttpRequest(JSON.stringify({ Method: 'GET', Domain: '${base}', Resource: '/echo', Headers: { 'X-A\\r\\nX-B': 'v' } }))`,
      `TykMakeHttpRequest(JSON.stringify({ Method: 'GET', Domain: '${base}', Resource: '/echo', Headers: { 'X-A': 5 } }))`,
      `TykMakeHttpRequest(JSON.stringify({ Method: 'TRACE', Domain: '${base}', Resource: '/echo' }))`,
      `TykMakeHttpRequest(JSON.stringify({ Method: 'GET', Domain: 'file:///etc/passwd' }))`,
      `TykMakeHttpRequest(JSON.stringify({ Method: 'GET', Domain: '${base}', Resource: '/echo\\r\\nX: y' }))`,
    ];
    const file = await loadHandler(t, `var r = [${cases.join(',')}]; log(JSON.stringify(r.map(function (x) { return typeof x; })));`);
    expect((await runOne(t, event(file))).ok).toBe(true);
    expect(JSON.parse(logged(t, file)[0]!)).toEqual(cases.map(() => 'undefined'));
    expect(seen).toHaveLength(0);
  });

  it('does not follow redirects', async () => {
    const file = await loadHandler(t, `log(JSON.parse(${request({ Method: 'GET', Domain: base, Resource: '/redirect' })}).Code);`);
    await runOne(t, event(file));
    expect(logged(t, file)).toEqual(['302']);
    expect(seen.map((s) => s.url)).toEqual(['/redirect']);
  });

  it('cuts large and endless response bodies at the cap instead of buffering them', async () => {
    const file = await loadHandler(
      t,
      `log(JSON.parse(${request({ Method: 'GET', Domain: base, Resource: '/big' })}).Body.length); log(JSON.parse(${request({ Method: 'GET', Domain: base, Resource: '/endless' })}).Body.length);`,
    );
    expect((await runOne(t, event(file))).ok).toBe(true);
    expect(logged(t, file)).toEqual(['65536', '65536']);
  });

  it('gives up on a slow response after its own timeout and lets the handler finish', async () => {
    const file = await loadHandler(
      t,
      `var started = Date.now(); var r = ${request({ Method: 'GET', Domain: base, Resource: '/slow' })}; log(typeof r + ' ' + (Date.now() - started));`,
    );
    const result = await runOne(t, event(file));
    expect(result.ok).toBe(true);
    const [kind, ms] = logged(t, file)[0]!.split(' ');
    expect(kind).toBe('undefined');
    // /slow answers after a minute, so the handler finishing at all is the timeout's doing
    expect(Number(ms)).toBeGreaterThanOrEqual(400);
    expect(t.logs.some((l) => l.file === file && l.kind === 'warn' && /within/.test(l.message))).toBe(true);
  });

  it('sends at most 10 requests per invocation when a handler floods', async () => {
    const file = await loadHandler(
      t,
      `var n = 0; for (var i = 0; i < 50; i++) { if (${request({ Method: 'GET', Domain: base, Resource: '/echo' })} !== undefined) n++; } log(String(n));`,
    );
    await runOne(t, event(file));
    expect(logged(t, file)).toEqual(['10']);
    expect(seen).toHaveLength(10);
    await runOne(t, event(file));
    expect(seen).toHaveLength(20);
  });

  it('refuses private addresses when they are not allow-listed', async () => {
    const strict = startSandbox({ allow: [] });
    try {
      const file = await loadHandler(strict, `log(typeof ${request({ Method: 'GET', Domain: base, Resource: '/echo' })});`);
      await runOne(strict, event(file));
      expect(logged(strict, file)).toEqual(['undefined']);
      expect(seen).toHaveLength(0);
      expect(strict.logs.some((l) => l.kind === 'warn' && /refused/.test(l.message))).toBe(true);
    } finally {
      await strict.close();
    }
  });

  it('does not deadlock when the request fires an event back into the same isolate', async () => {
    const [outer, inner] = await loadHandlers(t, [
      `log(JSON.parse(${request({ Method: 'POST', Domain: base, Resource: '/nested' })}).Body);`,
      `log('inner ran');`,
    ]);
    let innerResult: Promise<unknown> | undefined;
    onNested = (_req, res) => {
      innerResult = runIn(t, [event(inner!)]);
      res.end('fired');
    };
    const result = await runOne(t, event(outer!));
    expect(result.ok).toBe(true);
    expect(await innerResult).toEqual([expect.objectContaining({ ok: true })]);
    expect(logged(t, outer!)).toEqual(['fired']);
    expect(logged(t, inner!)).toEqual(['inner ran']);
  });

  it('resolves after the HTTP timeout when the server waits for the event it fired back into the same isolate', async () => {
    const [outer, inner] = await loadHandlers(t, [`log(typeof ${request({ Method: 'POST', Domain: base, Resource: '/nested' })});`, `log('inner ran');`]);
    onNested = (_req, res) => {
      void runIn(t, [event(inner!)]).then(() => res.end('after inner'));
    };
    const result = await runOne(t, event(outer!));
    expect(result.ok).toBe(true);
    expect(logged(t, outer!)).toEqual(['undefined']);
    await expect.poll(() => logged(t, inner!)).toEqual(['inner ran']);
  });
});

describe('TykBatchRequest', () => {
  it('returns one reply unit per request, in order, in parallel or sequentially', async () => {
    const batch = (sequential: boolean) =>
      JSON.stringify(
        JSON.stringify({
          requests: [
            { method: 'GET', relative_url: `${base}/echo/1`, headers: {}, body: '' },
            { method: 'POST', relative_url: `${base}/status/201`, headers: { 'X-B': '1' }, body: 'x' },
            { method: 'GET', relative_url: 'http://127.0.0.1:1/unreachable' },
          ],
          suppress_parallel_execution: sequential,
        }),
      );
    const file = await loadHandler(t, `log(TykBatchRequest(${batch(false)})); log(TykBatchRequest(${batch(true)}));`);
    expect((await runOne(t, event(file))).ok).toBe(true);
    for (const line of logged(t, file)) {
      const units = JSON.parse(line) as Array<Record<string, unknown>>;
      expect(units.map((u) => Object.keys(u))).toEqual([
        ['relative_url', 'code', 'headers', 'body'],
        ['relative_url', 'code', 'headers', 'body'],
        ['relative_url', 'code', 'headers', 'body'],
      ]);
      expect(units[0]).toMatchObject({ relative_url: `${base}/echo/1`, code: 200, body: '{"method":"GET","body":""}' });
      expect(units[1]).toMatchObject({ relative_url: `${base}/status/201`, code: 201 });
      expect(units[2]).toEqual({ relative_url: '', code: 0, headers: null, body: '' });
    }
    expect(seen).toHaveLength(4);
  });

  it('refuses a batch that would pass the per-invocation request cap', async () => {
    const requests = Array.from({ length: 11 }, () => ({ method: 'GET', relative_url: `${base}/echo` }));
    const file = await loadHandler(t, `log(typeof TykBatchRequest(${JSON.stringify(JSON.stringify({ requests }))}));`);
    await runOne(t, event(file));
    expect(logged(t, file)).toEqual(['undefined']);
    expect(seen).toHaveLength(0);
  });
});
