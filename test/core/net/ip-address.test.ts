import { describe, expect, it } from 'vitest';
import { classifyAddress, isPrivateAddress, parseAddress, parseCidr } from '../../../core/net/ip-address.ts';

describe('isPrivateAddress', () => {
  const refused: [string, string][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'cloud-metadata'],
    ['169.254.1.1', 'link-local'],
    ['169.254.170.2', 'cloud-metadata'],
    ['100.100.100.200', 'cloud-metadata'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.255', 'cgnat'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'ipv4-mapped:loopback'],
    ['::ffff:7f00:1', 'ipv4-mapped:loopback'],
    ['::ffff:169.254.169.254', 'ipv4-mapped:cloud-metadata'],
    ['64:ff9b::10.0.0.1', 'nat64:private'],
    ['2002:c0a8:0101::1', '6to4:private'],
    ['2001:db8::1', 'documentation'],
    ['[::1]', 'loopback'],
  ];
  it.each(refused)('refuses %s as %s', (ip, label) => {
    expect(isPrivateAddress(ip)).toBe(true);
    expect(classifyAddress(parseAddress(ip)!)).toBe(label);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.253.255.255', '2606:4700:4700::1111', '::ffff:8.8.8.8', '2002:0808:0808::1'])(
    'accepts the public address %s',
    (ip) => {
      expect(isPrivateAddress(ip)).toBe(false);
    },
  );

  it('returns false when the text is not an IP literal', () => {
    expect(isPrivateAddress('localhost')).toBe(false);
    expect(isPrivateAddress('1.2.3')).toBe(false);
    expect(isPrivateAddress('')).toBe(false);
  });
});

describe('parseCidr', () => {
  it('masks the base address when the prefix is shorter than the address', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, base: 10n << 24n, prefix: 8 });
    expect(parseCidr('fd00::1/8')?.prefix).toBe(8);
  });

  it('rejects prefixes longer than the family allows and malformed text', () => {
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('::/129')).toBeUndefined();
    expect(parseCidr('10.0.0.0/x')).toBeUndefined();
    expect(parseCidr('example.com')).toBeUndefined();
  });
});
