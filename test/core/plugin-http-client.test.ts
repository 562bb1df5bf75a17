import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig, WebhookDefaultsConfig } from '../../core/config/gateway-config.ts';
import { createPluginHttpClient, type ManagedPluginHttpClient } from '../../core/plugin-http-client.ts';

let server: Server;
let base: string;
const seen: { method: string; url: string; body: string }[] = [];

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ method: req.method ?? '', url: req.url ?? '', body });
  if (req.url === '/big') {
    res.end('x'.repeat(100_000));
  } else if (req.url === '/slow') {
    setTimeout(() => res.end('late'), 60_000).unref();
  } else if (req.url === '/redirect') {
    res.writeHead(302, { location: '/elsewhere' }).end();
  } else {
    res.setHeader('x-multi', ['a', 'b']);
    res.writeHead(201, { 'content-type': 'text/plain' }).end(`${req.method} ${req.url} ${body}`);
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function clientFor(webhooks: () => WebhookDefaultsConfig): ManagedPluginHttpClient {
  return createPluginHttpClient({ gateway: () => ({ webhooks: webhooks() }) as GatewayConfig });
}

describe('createPluginHttpClient', () => {
  it('sends a request and returns status, lower-case headers and the body when private networks are allowed', async () => {
    const http = clientFor(() => ({}));
    try {
      const res = await http.request(`${base}/echo?q=1`, { method: 'post', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      expect(res).toMatchObject({ status: 201, body: 'POST /echo?q=1 hello', truncated: false });
      expect(res.headers['content-type']).toBe('text/plain');
      expect(res.headers['x-multi']).toBe('a, b');
    } finally {
      await http.close();
    }
  });

  it('refuses a loopback target with FH_EGRESS_DENIED when the webhooks policy denies private networks, and sends nothing', async () => {
    const http = clientFor(() => ({ deny_private_networks: true }));
    const before = seen.length;
    try {
      await expect(http.request(`${base}/denied`)).rejects.toMatchObject({ code: 'FH_EGRESS_DENIED' });
      expect(seen.length).toBe(before);
    } finally {
      await http.close();
    }
  });

  it('reaches a denied range when allow_networks lists it, and follows a policy change in the gateway config', async () => {
    let webhooks: WebhookDefaultsConfig = { deny_private_networks: true, allow_networks: ['127.0.0.1'] };
    const http = clientFor(() => webhooks);
    try {
      expect((await http.request(`${base}/allowed`)).status).toBe(201);
      webhooks = { deny_private_networks: true };
      await expect(http.request(`${base}/allowed`)).rejects.toMatchObject({ code: 'FH_EGRESS_DENIED' });
      // the dispatcher handed out follows the same policy
      const { request } = await import('undici');
      await expect(request(`${base}/via-dispatcher`, { dispatcher: http.dispatcher as import('undici').Dispatcher })).rejects.toMatchObject({
        code: 'FH_EGRESS_DENIED',
      });
    } finally {
      await http.close();
    }
  });

  it('cuts the response body at maxResponseBytes and says so', async () => {
    const http = clientFor(() => ({}));
    try {
      const res = await http.request(`${base}/big`, { maxResponseBytes: 1000 });
      expect(res.body.length).toBe(1000);
      expect(res.truncated).toBe(true);
    } finally {
      await http.close();
    }
  });

  it('fails with FH_HTTP_TIMEOUT when no complete response arrives before the deadline', async () => {
    const http = clientFor(() => ({}));
    try {
      // /slow answers after a minute: any answer before that is the timeout's
      await expect(http.request(`${base}/slow`, { timeoutMs: 150 })).rejects.toMatchObject({ code: 'FH_HTTP_TIMEOUT' });
    } finally {
      await http.close();
    }
  });

  it('takes its default deadline from the webhooks timeout', async () => {
    const http = clientFor(() => ({ timeout: '100ms' }));
    try {
      await expect(http.request(`${base}/slow`)).rejects.toMatchObject({ code: 'FH_HTTP_TIMEOUT', message: expect.stringContaining('100 ms') });
    } finally {
      await http.close();
    }
  });

  it('does not follow redirects', async () => {
    const http = clientFor(() => ({}));
    try {
      const res = await http.request(`${base}/redirect`);
      expect(res.status).toBe(302);
      expect(res.headers.location).toBe('/elsewhere');
      expect(seen.some((s) => s.url === '/elsewhere')).toBe(false);
    } finally {
      await http.close();
    }
  });

  it('rejects bad URLs, protocols and methods with FH_HTTP_INVALID, and everything after close with FH_HTTP_FAILED', async () => {
    const http = clientFor(() => ({}));
    await expect(http.request('not a url')).rejects.toMatchObject({ code: 'FH_HTTP_INVALID' });
    await expect(http.request('file:///etc/passwd')).rejects.toMatchObject({ code: 'FH_HTTP_INVALID' });
    await expect(http.request(`${base}/x`, { method: 'GE T' })).rejects.toMatchObject({ code: 'FH_HTTP_INVALID' });
    await http.close();
    await http.close();
    await expect(http.request(`${base}/x`)).rejects.toMatchObject({ code: 'FH_HTTP_FAILED' });
  });

  it('reports a refused connection as FH_HTTP_FAILED with the cause, naming only the origin', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const http = clientFor(() => ({}));
    try {
      const error = await http.request(`http://127.0.0.1:${port}/secret-path?token=abc`).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'FH_HTTP_FAILED' });
      expect((error as Error).cause).toBeDefined();
      expect((error as Error).message).not.toContain('secret-path');
      expect((error as Error).message).not.toContain('token');
    } finally {
      await http.close();
    }
  });
});
