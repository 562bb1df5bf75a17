/**
 * IP address parsing and the special-purpose ranges Firehook refuses to connect to when private
 * networks are denied (IANA IPv4/IPv6 special-purpose registries, RFC 6890 and successors).
 * Addresses are handled as bigints: 32 bits for IPv4, 128 bits for IPv6.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface ParsedAddress {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

/** Parse an IPv4 or IPv6 literal (brackets and a `%zone` suffix tolerated); `undefined` if it is not one. */
export function parseAddress(text: string): ParsedAddress | undefined {
  let ip = text;
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const zone = ip.indexOf('%');
  if (zone !== -1) ip = ip.slice(0, zone);
  if (isIPv4(ip)) return { family: 4, value: parseV4(ip) };
  if (isIPv6(ip)) return { family: 6, value: parseV6(ip) };
  return undefined;
}

function parseV4(ip: string): bigint {
  let value = 0n;
  for (const part of ip.split('.')) value = (value << 8n) | BigInt(Number(part));
  return value;
}

function parseV6(ip: string): bigint {
  let text = ip.toLowerCase();
  // An embedded dotted IPv4 tail (`::ffff:1.2.3.4`) becomes two hex groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseV4(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups];
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(parseInt(group, 16));
  return value;
}

/** Parse `a.b.c.d/n`, `x::/n` or a bare address (a /32 or /128); `undefined` when invalid. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const address = parseAddress(slash === -1 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const bits = address.family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash !== -1) {
    const prefixText = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > bits) return undefined;
  }
  return { family: address.family, base: address.value & mask(bits, prefix), prefix };
}

function mask(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return prefix === 0 ? 0n : all ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** Whether `address` lies inside `cidr` (families must match). */
export function cidrContains(cidr: Cidr, address: ParsedAddress): boolean {
  if (cidr.family !== address.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  return (address.value & mask(bits, cidr.prefix)) === cidr.base;
}

interface Range {
  cidr: Cidr;
  label: string;
  /** For IPv6 ranges embedding an IPv4 address: judge the embedded address instead. */
  embedsV4?: (value: bigint) => bigint;
}

function range(text: string, label: string, embedsV4?: (value: bigint) => bigint): Range {
  return { cidr: parseCidr(text)!, label, ...(embedsV4 ? { embedsV4 } : {}) };
}

const low32 = (value: bigint): bigint => value & 0xffffffffn;

const V4_RANGES: readonly Range[] = [
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.100.100.200/32', 'cloud-metadata'), // Alibaba Cloud
  range('100.64.0.0/10', 'cgnat'),
  range('127.0.0.0/8', 'loopback'),
  range('169.254.169.254/32', 'cloud-metadata'), // AWS, GCP, Azure, OpenStack, ...
  range('169.254.170.2/32', 'cloud-metadata'), // AWS ECS task credentials
  range('169.254.0.0/16', 'link-local'),
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'),
  range('192.0.2.0/24', 'documentation'),
  range('192.88.99.0/24', 'reserved'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'benchmarking'),
  range('198.51.100.0/24', 'documentation'),
  range('203.0.113.0/24', 'documentation'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'),
];

const V6_RANGES: readonly Range[] = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::ffff:0:0/96', 'ipv4-mapped', low32),
  range('::/96', 'ipv4-compatible'),
  range('64:ff9b::/96', 'nat64', low32),
  range('64:ff9b:1::/48', 'nat64-local'),
  range('100::/64', 'discard'),
  range('2001:db8::/32', 'documentation'),
  range('2001::/23', 'reserved'),
  range('2002::/16', '6to4', (value) => (value >> 80n) & 0xffffffffn),
  range('3fff::/20', 'documentation'),
  range('5f00::/16', 'reserved'),
  range('fd00:ec2::254/128', 'cloud-metadata'), // AWS IMDS over IPv6
  range('fc00::/7', 'private'),
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'site-local'),
  range('ff00::/8', 'multicast'),
];

/**
 * The special-purpose range an address falls in (`loopback`, `private`, `link-local`,
 * `cloud-metadata`, `cgnat`, `multicast`, ...), or `undefined` for an ordinary public address.
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are judged by the embedded address.
 */
export function classifyAddress(address: ParsedAddress): string | undefined {
  const ranges = address.family === 4 ? V4_RANGES : V6_RANGES;
  for (const r of ranges) {
    if (!cidrContains(r.cidr, address)) continue;
    if (r.embedsV4) {
      const inner = classifyAddress({ family: 4, value: r.embedsV4(address.value) });
      return inner === undefined ? undefined : `${r.label}:${inner}`;
    }
    return r.label;
  }
  return undefined;
}

/**
 * `true` when `ip` is an IP literal in a loopback, private, link-local, CGNAT, unspecified,
 * multicast or otherwise reserved range (IPv4-mapped and other embedding IPv6 forms included).
 * Text that is not an IP literal gives `false`.
 */
export function isPrivateAddress(ip: string): boolean {
  const parsed = parseAddress(ip);
  return parsed !== undefined && classifyAddress(parsed) !== undefined;
}

/**
 * `true` for an IP literal in 127.0.0.0/8 or `::1`, IPv4-mapped forms included, as a socket or
 * `server.address()` reports it; `undefined` or text that is not an IP literal gives `false`.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  const parsed = address === undefined ? undefined : parseAddress(address);
  if (parsed === undefined) return false;
  const range = classifyAddress(parsed);
  return range === 'loopback' || range === 'ipv4-mapped:loopback';
}
