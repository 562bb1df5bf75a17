import { randomBytes } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeOriginatingRequest,
  encodeOriginatingRequest,
  encodeOriginatingRequestSync,
  originatingRequestWireForm,
} from '../../core/originating-request/index.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Start a server whose handler encodes each request; resolves with the encoded string per request. */
async function captureServer(encode: (req: IncomingMessage) => Promise<string>): Promise<{ port: number; next: () => Promise<string> }> {
  const results: Array<Promise<string>> = [];
  let wake: (() => void) | undefined;
  const server = createServer((req, res) => {
    const result = encode(req);
    results.push(result);
    wake?.();
    result.then(
      () => res.end('ok'),
      () => {
        res.statusCode = 413;
        res.end('too large');
      },
    );
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    next: async () => {
      while (results.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      return results.shift()!;
    },
  };
}

function send(
  port: number,
  options: { method: string; path: string; headers: Record<string, string | string[]>; chunks: Buffer[]; trailers?: Record<string, string> },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    for (const chunk of options.chunks) req.write(chunk);
    if (options.trailers) req.addTrailers(options.trailers);
    req.end();
  });
}

describe('encodeOriginatingRequest', () => {
  it('writes the bytes Go Request.Write gives when the request is a plain object', () => {
    const wire = originatingRequestWireForm({
      method: 'POST',
      url: '/hook?x=1',
      headers: { host: 'example.com', 'content-type': 'application/json', 'x-b': ['1', '2'], accept: '*/*' },
      body: '{}',
    });
    expect(wire.toString('latin1')).toBe(
      'POST /hook?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: 2\r\n' +
        'Accept: */*\r\nContent-Type: application/json\r\nX-B: 1\r\nX-B: 2\r\n\r\n{}',
    );
  });

  it('omits Content-Length for an empty GET and writes 0 for an empty POST', () => {
    expect(originatingRequestWireForm({ method: 'GET', url: '/', headers: { Host: 'h', 'User-Agent': 'curl/8' } }).toString()).toBe(
      'GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: curl/8\r\n\r\n',
    );
    expect(originatingRequestWireForm({ method: 'POST', url: '/p', headers: { Host: 'h' } }).toString()).toBe(
      'POST /p HTTP/1.1\r\nHost: h\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: 0\r\n\r\n',
    );
    expect(originatingRequestWireForm({ method: 'DELETE', url: '/p', headers: { Host: 'h' } }).toString()).toBe(
      'DELETE /p HTTP/1.1\r\nHost: h\r\nUser-Agent: Go-http-client/1.1\r\n\r\n',
    );
  });

  it('takes path and host from an absolute URL, drops fragments and defaults an empty path to /', () => {
    const wire = originatingRequestWireForm({ method: 'GET', url: 'http://api.example.com:8080?q=1#frag', headers: { host: 'ignored' } });
    expect(wire.toString()).toMatch(/^GET \/\?q=1 HTTP\/1\.1\r\nHost: api\.example\.com:8080\r\n/);
    expect(originatingRequestWireForm({ url: '/a#b', headers: { host: 'h' } }).toString()).toMatch(/^GET \/a HTTP\/1\.1\r\n/);
  });

  it('writes Connection: close for an HTTP/1.0 request without keep-alive, as Go does', () => {
    const http10 = originatingRequestWireForm({ url: '/', httpVersion: '1.0', headers: { host: 'h', 'user-agent': 'x' } }).toString();
    expect(http10).toBe('GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: x\r\nConnection: close\r\n\r\n');
    const keepAlive = originatingRequestWireForm({
      url: '/',
      httpVersion: '1.0',
      headers: { host: 'h', 'user-agent': 'x', connection: 'keep-alive' },
    }).toString();
    expect(keepAlive).toBe('GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: x\r\nConnection: keep-alive\r\n\r\n');
  });

  it('replaces newlines in header values and adds Cache-Control for Pragma: no-cache', () => {
    const wire = originatingRequestWireForm({ url: '/', headers: { host: 'h', 'x-evil': 'a\r\nInjected: 1', pragma: 'no-cache' } }).toString();
    expect(wire).toContain('X-Evil: a  Injected: 1\r\n');
    expect(wire).toContain('Cache-Control: no-cache\r\nPragma: no-cache\r\n');
    expect(wire).not.toContain('\r\nInjected');
  });

  it('round-trips a binary body, repeated headers and their order through a real HTTP server', async () => {
    const { port, next } = await captureServer((req) => encodeOriginatingRequest(req));
    const body = randomBytes(70_000);
    const status = send(port, {
      method: 'PUT',
      path: '/upload/x?y=%20z',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length), 'X-Multi': ['one', 'two', 'three'], 'x-lower': 'v' },
      chunks: [body.subarray(0, 1000), body.subarray(1000)],
    });
    const decoded = decodeOriginatingRequest(await next());
    expect(await status).toBe(200);
    expect(decoded.method).toBe('PUT');
    expect(decoded.url).toBe('/upload/x?y=%20z');
    expect(decoded.httpVersion).toBe('1.1');
    expect(decoded.body.equals(body)).toBe(true);
    expect(decoded.headers.filter(([n]) => n === 'X-Multi').map(([, v]) => v)).toEqual(['one', 'two', 'three']);
    expect(decoded.headers[0]).toEqual(['Host', `127.0.0.1:${port}`]);
    expect(decoded.headers[1]).toEqual(['User-Agent', 'Go-http-client/1.1']);
    expect(decoded.headers[2]).toEqual(['Content-Length', String(body.length)]);
    const rest = decoded.headers.slice(3).map(([n]) => n);
    expect(rest).toEqual([...rest].sort());
    expect(rest).toContain('X-Lower');
  });

  it('re-chunks a chunked body in 32 KiB chunks and keeps declared trailers', async () => {
    const { port, next } = await captureServer((req) => encodeOriginatingRequest(req));
    const body = randomBytes(40_000);
    const status = send(port, {
      method: 'POST',
      path: '/stream',
      headers: { 'Transfer-Encoding': 'chunked', Trailer: 'x-checksum' },
      chunks: [body.subarray(0, 10), body.subarray(10)],
      trailers: { 'x-checksum': 'abc' },
    });
    const encoded = await next();
    expect(await status).toBe(200);
    const wire = Buffer.from(encoded, 'base64');
    const head = wire.subarray(0, wire.indexOf('\r\n\r\n') + 4).toString('latin1');
    expect(head).toContain('\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n');
    expect(head).not.toContain('Content-Length');
    const bodyStart = head.length;
    expect(wire.subarray(bodyStart, bodyStart + 6).toString()).toBe('8000\r\n');
    expect(wire.subarray(wire.length - 24).toString()).toBe('\r\n0\r\nX-Checksum: abc\r\n\r\n');
    const decoded = decodeOriginatingRequest(encoded);
    expect(decoded.body.equals(body)).toBe(true);
    expect(decoded.trailers).toEqual([['X-Checksum', 'abc']]);
  });

  it('fails with FH_REQUEST_TOO_LARGE past the cap and leaves the server able to answer', async () => {
    const { port, next } = await captureServer((req) => encodeOriginatingRequest(req, { maxBytes: 10_000 }));
    const status = send(port, { method: 'POST', path: '/big', headers: { 'Content-Length': '50000' }, chunks: [randomBytes(50_000)] });
    await expect(next()).rejects.toMatchObject({ code: 'FH_REQUEST_TOO_LARGE' });
    expect(await status).toBe(413);
    expect(() => encodeOriginatingRequestSync({ url: '/', body: 'x'.repeat(100) }, { maxBytes: 50 })).toThrow(
      expect.objectContaining({ code: 'FH_REQUEST_TOO_LARGE' }),
    );
  });

  it('uses the given body when the stream was already consumed, and refuses to guess otherwise', async () => {
    const { port, next } = await captureServer(async (req) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      await expect(encodeOriginatingRequest(req)).rejects.toMatchObject({ code: 'FH_REQUEST_MALFORMED' });
      return encodeOriginatingRequest(req, { body: Buffer.concat(chunks) });
    });
    const status = send(port, { method: 'POST', path: '/', headers: { 'Content-Length': '5' }, chunks: [Buffer.from('hello')] });
    expect(decodeOriginatingRequest(await next()).body.toString()).toBe('hello');
    expect(await status).toBe(200);
  });

  it('encodes a fetch Request with its host from the URL', async () => {
    const request = new Request('https://example.org/v1/items?limit=2', {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'user-agent': 'firehook-test' },
      body: 'hi',
    });
    const wire = Buffer.from(await encodeOriginatingRequest(request), 'base64').toString();
    expect(wire).toBe(
      'POST /v1/items?limit=2 HTTP/1.1\r\nHost: example.org\r\nUser-Agent: firehook-test\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nhi',
    );
  });
});

describe('decodeOriginatingRequest', () => {
  it('decodes a Tyk-style payload with bare LF lines and obsolete folding', () => {
    const text = 'GET /x HTTP/1.1\nHost: a\nX-Fold: one\n two\n\n';
    const decoded = decodeOriginatingRequest(Buffer.from(text).toString('base64'));
    expect(decoded.headers).toEqual([
      ['Host', 'a'],
      ['X-Fold', 'one two'],
    ]);
    expect(decoded.body.length).toBe(0);
  });

  it('rejects bad input with FH_REQUEST_MALFORMED and oversize input with FH_REQUEST_TOO_LARGE', () => {
    for (const bad of [
      '',
      '!!!',
      Buffer.from('NOT HTTP\r\n\r\n').toString('base64'),
      Buffer.from('POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nab').toString('base64'),
    ]) {
      expect(() => decodeOriginatingRequest(bad)).toThrow(expect.objectContaining({ code: 'FH_REQUEST_MALFORMED' }));
    }
    const big = encodeOriginatingRequestSync({ url: '/', headers: { host: 'h' }, body: Buffer.alloc(5000) });
    expect(() => decodeOriginatingRequest(big, { maxBytes: 1000 })).toThrow(expect.objectContaining({ code: 'FH_REQUEST_TOO_LARGE' }));
  });

  it('round-trips any method, target, headers and body (property)', () => {
    const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
    const value = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        fc.stringMatching(/^\/[A-Za-z0-9._~%/-]{0,40}(\?[A-Za-z0-9=&]{0,20})?$/),
        fc.array(fc.tuple(token, value), { maxLength: 8 }),
        fc.uint8Array({ maxLength: 2000 }),
        fc.boolean(),
        (method, url, headers, body, chunked) => {
          const filtered = headers.filter(
            ([n]) => !['host', 'user-agent', 'content-length', 'transfer-encoding', 'trailer', 'pragma', 'cache-control'].includes(n.toLowerCase()),
          );
          const all: Array<[string, string]> = [['Host', 'example.com'], ...filtered];
          if (chunked) all.push(['Transfer-Encoding', 'chunked']);
          const decoded = decodeOriginatingRequest(encodeOriginatingRequestSync({ method, url, headers: all, body }));
          expect(decoded.method).toBe(method);
          expect(decoded.url).toBe(url);
          expect(Buffer.from(body).equals(decoded.body)).toBe(true);
          for (const [name, v] of filtered) {
            expect(decoded.headers.some(([n, dv]) => n.toLowerCase() === name.toLowerCase() && dv === v)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
