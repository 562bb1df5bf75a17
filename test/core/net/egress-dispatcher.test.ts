import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type Dispatcher } from 'undici';
import { checkTargetUrl, createEgressDispatcher, createEgressPolicy, parseAllowNetworks, type EgressDispatcher } from '../../../core/net/index.ts';

let server: Server;
let port: number;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/redirect') {
      res.writeHead(302, { location: '/target' }).end();
      return;
    }
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function attempt(dispatcher: EgressDispatcher, url: string): Promise<{ status?: number; code?: string }> {
  try {
    // As documented on EgressDispatcher: an undici Dispatcher at runtime, typed by the caller's undici import.
    const res = await request(url, { dispatcher: dispatcher as Dispatcher });
    await res.body.dump();
    return { status: res.statusCode };
  } catch (error) {
    return { code: (error as { code?: string }).code };
  }
}

describe('createEgressDispatcher', () => {
  it('refuses a loopback IP literal when private networks are denied', async () => {
    const dispatcher = createEgressDispatcher({ denyPrivateNetworks: true, allowNetworks: [] });
    const before = hits;
    expect(await attempt(dispatcher, `http://127.0.0.1:${port}/`)).toEqual({ code: 'FH_EGRESS_DENIED' });
    expect(hits).toBe(before);
    await dispatcher.close();
  });

  it('refuses a host name that resolves to 127.0.0.1 when private networks are denied', async () => {
    const dispatcher = createEgressDispatcher({ denyPrivateNetworks: true, allowNetworks: [] });
    const before = hits;
    expect(await attempt(dispatcher, `http://localhost:${port}/`)).toEqual({ code: 'FH_EGRESS_DENIED' });
    expect(hits).toBe(before);
    await dispatcher.close();
  });

  it('checks the address the resolver returns at connect time when the name looks public', async () => {
    // A rebinding resolver: a public-looking name whose answer is the metadata / loopback address.
    const lookup = ((_host: string, _opts: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: '127.0.0.1', family: 4 }])) as never;
    const dispatcher = createEgressDispatcher({ denyPrivateNetworks: true, allowNetworks: [], lookup });
    expect(await attempt(dispatcher, `http://hooks.example.com:${port}/`)).toEqual({ code: 'FH_EGRESS_DENIED' });
    await dispatcher.close();
  });

  it.each([
    ['127.0.0.0/8', '127.0.0.1'],
    ['127.0.0.1', '127.0.0.1'],
    ['localhost', 'localhost'],
    ['*.localhost', 'api.localhost'],
  ])('connects when %s is allow-listed and the target host is %s', async (allow, host) => {
    const lookup = ((_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: '127.0.0.1', family: 4 }])) as never;
    const dispatcher = createEgressDispatcher({ denyPrivateNetworks: true, allowNetworks: [allow], lookup });
    expect(await attempt(dispatcher, `http://${host}:${port}/`)).toEqual({ status: 200 });
    await dispatcher.close();
  });

  it('connects to loopback when private networks are allowed', async () => {
    const dispatcher = createEgressDispatcher({ denyPrivateNetworks: false, allowNetworks: [] });
    expect(await attempt(dispatcher, `http://127.0.0.1:${port}/`)).toEqual({ status: 200 });
    await dispatcher.close();
  });

  it('does not follow a redirect when the target answers 302', async () => {
    const dispatcher = createEgressDispatcher({ denyPrivateNetworks: false, allowNetworks: [] });
    const before = hits;
    expect(await attempt(dispatcher, `http://127.0.0.1:${port}/redirect`)).toEqual({ status: 302 });
    expect(hits).toBe(before + 1);
    await dispatcher.close();
  });

  it('throws FH_EGRESS_INVALID_ALLOW when an allow-list entry is malformed', () => {
    expect(() => createEgressDispatcher({ denyPrivateNetworks: true, allowNetworks: ['10.0.0.0/40'] })).toThrow(
      expect.objectContaining({ code: 'FH_EGRESS_INVALID_ALLOW' }),
    );
    expect(parseAllowNetworks(['ok.example', 'bad host', '::1/200']).problems.map((p) => p.index)).toEqual([1, 2]);
  });
});

describe('createEgressPolicy', () => {
  it('allows an IPv4-mapped address when its IPv4 form is allow-listed', () => {
    const policy = createEgressPolicy({ denyPrivateNetworks: true, allowNetworks: ['10.0.0.0/8'] });
    expect(policy.check('::ffff:10.1.1.1')).toBeUndefined();
    expect(policy.check('::ffff:192.168.1.1')).toBe('ipv4-mapped:private');
  });
});

describe('checkTargetUrl', () => {
  it('names the range when the URL host is a private literal or localhost', () => {
    expect(checkTargetUrl('http://169.254.169.254/latest/meta-data', { denyPrivateNetworks: false, allowNetworks: [] })).toBe('cloud-metadata');
    expect(checkTargetUrl('http://[::1]:8080/', { denyPrivateNetworks: false, allowNetworks: [] })).toBe('loopback');
    expect(checkTargetUrl('http://localhost/', { denyPrivateNetworks: false, allowNetworks: [] })).toBe('loopback');
    expect(checkTargetUrl('http://2130706433/', { denyPrivateNetworks: false, allowNetworks: [] })).toBe('loopback');
  });

  it('returns undefined when the host is public, a plain name, or allow-listed', () => {
    expect(checkTargetUrl('https://8.8.8.8/', { denyPrivateNetworks: false, allowNetworks: [] })).toBeUndefined();
    expect(checkTargetUrl('https://hooks.example.com/', { denyPrivateNetworks: false, allowNetworks: [] })).toBeUndefined();
    expect(checkTargetUrl('http://10.0.0.5/', { denyPrivateNetworks: false, allowNetworks: ['10.0.0.0/24'] })).toBeUndefined();
  });
});
