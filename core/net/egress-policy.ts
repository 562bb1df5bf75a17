/**
 * The private-network egress policy shared by webhooks and the JS sandbox's HTTP bindings.
 * Targets are judged on the address actually dialled: hostnames through a guarded DNS lookup
 * handed to `net.connect`, IP literals before the socket opens, so there is no DNS-rebinding gap
 * between a check and the connect.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { FirehookError } from '../errors/firehook-error.ts';
import { cidrContains, classifyAddress, parseAddress, parseCidr, type Cidr, type ParsedAddress } from './ip-address.ts';

export interface EgressPolicyOptions {
  /** Refuse loopback, private, link-local, CGNAT, metadata and other reserved addresses. */
  denyPrivateNetworks: boolean;
  /** Exceptions: host names (`hooks.internal`, `*.corp.example`), IPs or CIDRs. */
  allowNetworks: readonly string[];
  /**
   * The entries that may open cloud-metadata addresses (169.254.169.254, fd00:ec2::254, ...),
   * which are refused even when private networks are allowed: the gateway config's own
   * `allow_networks`. Default: `allowNetworks`.
   */
  metadataAllowNetworks?: readonly string[];
}

export interface EgressPolicy {
  readonly denyPrivateNetworks: boolean;
  /** Why connecting to `ip` (reached through `hostname`) is refused, or `undefined` when allowed. */
  check(ip: string, hostname?: string): string | undefined;
  /** Whether a host name is on the allow-list (its addresses are then not checked). */
  hostAllowed(hostname: string): boolean;
}

/** A connection refused by the egress policy. */
export class EgressDeniedError extends FirehookError {
  readonly host: string;
  readonly address: string;
  readonly range: string;

  constructor(host: string, address: string, range: string) {
    const via = host === address ? '' : ` (${host})`;
    super('FH_EGRESS_DENIED', `egress to ${address}${via} refused: ${range} address and not in allow_networks`);
    this.name = 'EgressDeniedError';
    this.host = host;
    this.address = address;
    this.range = range;
  }
}

export interface AllowListProblem {
  index: number;
  entry: string;
  message: string;
}

interface AllowRules {
  cidrs: Cidr[];
  hosts: Set<string>;
  suffixes: string[];
}

const HOST_NAME = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/** Parse allow-list entries; every invalid entry is reported (for config validation). */
export function parseAllowNetworks(entries: readonly string[]): { rules: AllowRules; problems: AllowListProblem[] } {
  const rules: AllowRules = { cidrs: [], hosts: new Set(), suffixes: [] };
  const problems: AllowListProblem[] = [];
  entries.forEach((raw, index) => {
    const entry = typeof raw === 'string' ? raw.trim() : '';
    const cidr = parseCidr(entry.replace(/^\[(.*)\]/, '$1'));
    if (cidr) {
      rules.cidrs.push(cidr);
      return;
    }
    const host = normaliseHost(entry);
    if (host.length > 0 && host.length <= 253 && HOST_NAME.test(host) && !/^[\d.]+$/.test(host)) {
      if (host.startsWith('*.')) rules.suffixes.push(host.slice(1));
      else rules.hosts.add(host);
      return;
    }
    problems.push({ index, entry: String(raw), message: 'not a host name, IP address or CIDR' });
  });
  return { rules, problems };
}

/** Build a policy; throws FH_EGRESS_INVALID_ALLOW naming every bad allow-list entry. */
function compileRules(entries: readonly string[]): AllowRules {
  const { rules, problems } = parseAllowNetworks(entries);
  if (problems.length > 0) {
    throw new FirehookError('FH_EGRESS_INVALID_ALLOW', `invalid allow_networks entries: ${problems.map((p) => JSON.stringify(p.entry)).join(', ')}`);
  }
  return rules;
}

function hostMatches(rules: AllowRules, hostname: string): boolean {
  const host = normaliseHost(hostname);
  if (rules.hosts.has(host)) return true;
  return rules.suffixes.some((suffix) => host.endsWith(suffix));
}

function addressMatches(rules: AllowRules, parsed: ParsedAddress): boolean {
  if (rules.cidrs.some((cidr) => cidrContains(cidr, parsed))) return true;
  // An IPv4-mapped IPv6 address is also allowed by an IPv4 rule for the address it maps.
  if (parsed.family === 6 && parsed.value >> 32n === 0xffffn) {
    const v4 = { family: 4 as const, value: parsed.value & 0xffffffffn };
    if (rules.cidrs.some((cidr) => cidrContains(cidr, v4))) return true;
  }
  return false;
}

/** Build a policy; throws FH_EGRESS_INVALID_ALLOW naming every bad allow-list entry. */
export function createEgressPolicy(options: EgressPolicyOptions): EgressPolicy {
  const rules = compileRules(options.allowNetworks);
  const metadataRules = options.metadataAllowNetworks === undefined ? rules : compileRules(options.metadataAllowNetworks);
  const hostAllowed = (hostname: string): boolean => hostMatches(rules, hostname);
  return {
    denyPrivateNetworks: options.denyPrivateNetworks,
    hostAllowed,
    check(ip, hostname) {
      const parsed = parseAddress(ip);
      if (!parsed) return options.denyPrivateNetworks ? 'unparseable' : undefined;
      const range = classifyAddress(parsed);
      // Cloud metadata: refused whatever the private-network setting, unless the gateway names it.
      if (range !== undefined && range.endsWith('cloud-metadata')) {
        return (hostname !== undefined && hostMatches(metadataRules, hostname)) || addressMatches(metadataRules, parsed) ? undefined : range;
      }
      if (!options.denyPrivateNetworks) return undefined;
      if (hostname !== undefined && hostAllowed(hostname)) return undefined;
      if (addressMatches(rules, parsed)) return undefined;
      return range;
    },
  };
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `net.connect` lookup that resolves like `dns.lookup` and drops addresses the policy refuses;
 * when none remain the connect fails with {@link EgressDeniedError}.
 */
export function createGuardedLookup(policy: EgressPolicy, resolve: LookupFunction = dnsLookup as LookupFunction): LookupFunction {
  const guarded = (hostname: string, options: LookupAllOptions | Record<string, unknown>, callback: LookupCallback): void => {
    const wantAll = (options as { all?: boolean }).all === true;
    resolve(hostname, { ...options, all: true }, ((err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (err) {
        callback(err, wantAll ? [] : '', undefined);
        return;
      }
      const list = Array.isArray(addresses) ? addresses : [];
      let refused: { address: string; range: string } | undefined;
      const allowed = list.filter((entry) => {
        const range = policy.check(entry.address, hostname);
        if (range !== undefined) refused ??= { address: entry.address, range };
        return range === undefined;
      });
      const first = allowed[0];
      if (first === undefined) {
        const error = refused
          ? new EgressDeniedError(hostname, refused.address, refused.range)
          : Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
        callback(error as NodeJS.ErrnoException, wantAll ? [] : '', undefined);
        return;
      }
      if (wantAll) callback(null, allowed);
      else callback(null, first.address, first.family);
    }) as never);
  };
  return guarded as unknown as LookupFunction;
}

/**
 * Synchronous check of a target URL for `firehook validate`: the reason a literal IP or a
 * `localhost` name would be refused, or `undefined` (host names are only judged at connect time).
 */
export function checkTargetUrl(url: string, options: EgressPolicyOptions): string | undefined {
  let hostname: string;
  try {
    hostname = new URL(url).hostname;
  } catch {
    return undefined;
  }
  const policy = createEgressPolicy({ ...options, denyPrivateNetworks: true, metadataAllowNetworks: options.metadataAllowNetworks ?? options.allowNetworks });
  const host = normaliseHost(hostname);
  if (parseAddress(host)) return policy.check(host);
  if ((host === 'localhost' || host.endsWith('.localhost')) && !policy.hostAllowed(host)) return 'loopback';
  return undefined;
}
