import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request, type Dispatcher } from 'undici';
import { allowEntryCovered, applyEgressFloor, createEgressDispatcher, createEgressPolicy, egressFloorProblems } from '../../../core/net/index.ts';

describe('applyEgressFloor', () => {
  it('keeps private networks denied when the gateway denies them, whatever the definition asks', () => {
    const gateway = { deny_private_networks: true, allow_networks: ['10.0.0.0/8'] };
    expect(applyEgressFloor({ denyPrivateNetworks: false, allowNetworks: ['192.168.0.0/16'] }, gateway)).toEqual({
      denyPrivateNetworks: true,
      allowNetworks: ['10.0.0.0/8'],
      metadataAllowNetworks: ['10.0.0.0/8'],
    });
    expect(applyEgressFloor({}, gateway)).toEqual({ denyPrivateNetworks: true, allowNetworks: ['10.0.0.0/8'], metadataAllowNetworks: ['10.0.0.0/8'] });
  });

  it('lets a definition tighten a gateway that allows private networks, adding its own exceptions', () => {
    const gateway = { allow_networks: ['10.0.0.0/8'] };
    expect(applyEgressFloor({ denyPrivateNetworks: true, allowNetworks: ['hooks.internal', '10.0.0.0/8'] }, gateway)).toEqual({
      denyPrivateNetworks: true,
      allowNetworks: ['10.0.0.0/8', 'hooks.internal'],
      metadataAllowNetworks: ['10.0.0.0/8'],
    });
    expect(applyEgressFloor({ denyPrivateNetworks: false, allowNetworks: [] }, {})).toEqual({
      denyPrivateNetworks: false,
      allowNetworks: [],
      metadataAllowNetworks: [],
    });
  });

  it('is idempotent', () => {
    for (const gateway of [{ deny_private_networks: true, allow_networks: ['10.0.0.0/8'] }, { allow_networks: ['10.0.0.0/8'] }, {}]) {
      const once = applyEgressFloor({ denyPrivateNetworks: true, allowNetworks: ['hooks.internal'] }, gateway);
      expect(applyEgressFloor(once, gateway)).toEqual(once);
    }
  });
});

describe('allowEntryCovered', () => {
  it('judges CIDRs by containment and host names by name or suffix', () => {
    const list = ['10.0.0.0/8', 'fd00::/8', 'hooks.internal', '*.corp.example'];
    expect(allowEntryCovered('10.1.0.0/16', list)).toBe(true);
    expect(allowEntryCovered('10.1.2.3', list)).toBe(true);
    expect(allowEntryCovered('10.0.0.0/7', list)).toBe(false);
    expect(allowEntryCovered('192.168.1.1', list)).toBe(false);
    expect(allowEntryCovered('[fd00::1]', list)).toBe(true);
    expect(allowEntryCovered('HOOKS.internal.', list)).toBe(true);
    expect(allowEntryCovered('a.corp.example', list)).toBe(true);
    expect(allowEntryCovered('*.b.corp.example', list)).toBe(true);
    expect(allowEntryCovered('corp.example', list)).toBe(false);
    expect(allowEntryCovered('other.internal', list)).toBe(false);
  });
});

describe('egressFloorProblems', () => {
  const at = (key: string, ...rest: (string | number)[]): string => `/x/${[key, ...rest].join('/')}`;

  it('names deny_private_networks: false and every allow_networks entry outside the gateway list', () => {
    const problems = egressFloorProblems(
      { deny_private_networks: false, allow_networks: ['10.2.0.0/16', '127.0.0.1', 'hooks.internal'] },
      { deny_private_networks: true, allow_networks: ['10.0.0.0/8'] },
      'seed.json',
      at,
      'error',
    );
    expect(problems.map((p) => [p.pointer, p.severity])).toEqual([
      ['/x/deny_private_networks', 'error'],
      ['/x/allow_networks/1', 'error'],
      ['/x/allow_networks/2', 'error'],
    ]);
    expect(problems[0]!.message).toContain('FH_EGRESS_FLOOR');
    expect(problems[0]!.file).toBe('seed.json');
  });

  it('has nothing to say when the gateway allows private networks, or the definition does not loosen', () => {
    expect(egressFloorProblems({ deny_private_networks: false, allow_networks: ['127.0.0.1'] }, {}, 'f', at, 'error')).toEqual([]);
    expect(
      egressFloorProblems(
        { deny_private_networks: true, allow_networks: ['10.1.0.0/16'] },
        { deny_private_networks: true, allow_networks: ['10.0.0.0/8'] },
        'f',
        at,
        'error',
      ),
    ).toEqual([]);
  });
});

describe('cloud-metadata addresses', () => {
  it('are refused even when private networks are allowed, unless the gateway list names them', () => {
    const open = createEgressPolicy({ denyPrivateNetworks: false, allowNetworks: [] });
    expect(open.check('169.254.169.254')).toBe('cloud-metadata');
    expect(open.check('fd00:ec2::254')).toBe('cloud-metadata');
    expect(open.check('::ffff:169.254.169.254')).toBe('ipv4-mapped:cloud-metadata');
    expect(open.check('127.0.0.1')).toBeUndefined();
    expect(open.check('fd00::1')).toBeUndefined();
    // a definition's own exception does not open them; the gateway's does
    const own = createEgressPolicy({ denyPrivateNetworks: true, allowNetworks: ['169.254.169.254'], metadataAllowNetworks: [] });
    expect(own.check('169.254.169.254')).toBe('cloud-metadata');
    const gateway = createEgressPolicy({ denyPrivateNetworks: true, allowNetworks: ['169.254.169.254'], metadataAllowNetworks: ['169.254.169.254'] });
    expect(gateway.check('169.254.169.254')).toBeUndefined();
    const byName = createEgressPolicy({ denyPrivateNetworks: false, allowNetworks: [], metadataAllowNetworks: ['metadata.google.internal'] });
    expect(byName.check('169.254.169.254', 'metadata.google.internal')).toBeUndefined();
    expect(byName.check('169.254.169.254', 'evil.example')).toBe('cloud-metadata');
  });
});

describe('a dispatcher that allows private networks', () => {
  let server: Server;
  let port: number;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('still refuses a name that resolves to a cloud-metadata address, before any connection', async () => {
    // The answer a metadata name (or a rebinding one) gives; the request would go to our server if it were dialled.
    const lookup = ((_host: string, _opts: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: '169.254.169.254', family: 4 }])) as never;
    const egress = createEgressDispatcher({ denyPrivateNetworks: false, allowNetworks: [], lookup });
    const dispatcher = egress as Dispatcher;
    const before = hits;
    const error = await request(`http://metadata.example:${port}/latest/meta-data/`, { dispatcher }).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('FH_EGRESS_DENIED');
    expect(hits).toBe(before);
    // and loopback is fine there
    const res = await request(`http://127.0.0.1:${port}/`, { dispatcher });
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    await egress.close();
  });
});
