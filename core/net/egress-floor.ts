/**
 * The gateway's private-network floor. The gateway config's `webhooks.deny_private_networks: true`
 * is a floor: no handler, global webhook, plugin or admin call can lower it, and only the gateway's
 * own `webhooks.allow_networks` opens it. How a definition's own settings combine with it:
 *
 * - gateway denies: the definition is denied too, whatever it says; its exceptions are the
 *   gateway's `allow_networks` and nothing else. A definition's `deny_private_networks: false` or
 *   an `allow_networks` entry not inside the gateway's list asks to loosen: the admin API and seed
 *   files reject it, API definitions get a warning and the request is ignored.
 * - gateway allows (the default, as in Tyk): a definition may tighten with
 *   `deny_private_networks: true`; its exceptions are the gateway's list plus its own.
 *
 * Cloud-metadata addresses are refused in both cases unless the gateway's `allow_networks` names
 * them (see {@link createEgressPolicy}'s `metadataAllowNetworks`).
 */
import type { ConfigProblem } from '../errors/firehook-error.ts';
import { cidrContains, parseCidr } from './ip-address.ts';
import type { EgressPolicyOptions } from './egress-policy.ts';

/** The gateway config's egress settings (its `webhooks` section). */
export interface GatewayEgress {
  deny_private_networks?: boolean;
  allow_networks?: readonly string[];
}

/** The policy a delivery gets: what it asked for, under the gateway's floor. */
export interface FlooredPolicy extends EgressPolicyOptions {
  allowNetworks: string[];
  /** The gateway's own allow list: the only one that can open cloud-metadata addresses. */
  metadataAllowNetworks: string[];
}

function normaliseHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * Whether an allow-list entry lies inside `list` (so it opens nothing the list does not): a CIDR or
 * IP inside one of the list's CIDRs, a host the list names or one under a `*.suffix` of the list.
 */
export function allowEntryCovered(entry: string, list: readonly string[]): boolean {
  const cidr = parseCidr(entry.trim().replace(/^\[(.*)\]/, '$1'));
  if (cidr) {
    return list.some((raw) => {
      const outer = parseCidr(raw.trim().replace(/^\[(.*)\]/, '$1'));
      return (
        outer !== undefined && outer.family === cidr.family && outer.prefix <= cidr.prefix && cidrContains(outer, { family: cidr.family, value: cidr.base })
      );
    });
  }
  const host = normaliseHost(entry);
  return list.some((raw) => {
    const other = normaliseHost(raw);
    if (other === host) return true;
    if (!other.startsWith('*.')) return false;
    const suffix = other.slice(1);
    const bare = host.startsWith('*.') ? host.slice(1) : host;
    return bare.endsWith(suffix) && bare.length > suffix.length;
  });
}

/**
 * The effective policy of a definition (or a plugin's own delivery options) under the gateway's
 * settings. Idempotent: flooring a floored policy changes nothing.
 */
export function applyEgressFloor(
  requested: { denyPrivateNetworks?: boolean | undefined; allowNetworks?: readonly string[] | undefined },
  gateway: GatewayEgress,
): FlooredPolicy {
  const gatewayAllow = [...(gateway.allow_networks ?? [])];
  if (gateway.deny_private_networks === true) return { denyPrivateNetworks: true, allowNetworks: gatewayAllow, metadataAllowNetworks: gatewayAllow };
  const own = (requested.allowNetworks ?? []).filter((entry) => !gatewayAllow.includes(entry));
  return { denyPrivateNetworks: requested.denyPrivateNetworks === true, allowNetworks: [...gatewayAllow, ...own], metadataAllowNetworks: gatewayAllow };
}

/**
 * What in a definition asks to lower the gateway's floor: `deny_private_networks: false`, or
 * `allow_networks` entries outside the gateway's list, while the gateway denies private networks.
 * `at(key, ...rest)` gives the pointer of a key as written; `severity` is the caller's choice
 * (`error` for the admin API and seed files, `warning` for API definitions, where it is ignored).
 */
export function egressFloorProblems(
  definition: { deny_private_networks?: unknown; allow_networks?: unknown },
  gateway: GatewayEgress,
  file: string,
  at: (key: string, ...rest: (string | number)[]) => string,
  severity: 'error' | 'warning',
): ConfigProblem[] {
  if (gateway.deny_private_networks !== true) return [];
  const problems: ConfigProblem[] = [];
  const outcome = severity === 'warning' ? '; ignored, private networks stay denied' : '';
  if (definition.deny_private_networks === false) {
    problems.push({
      file,
      pointer: at('deny_private_networks'),
      message: `cannot be false: the gateway config denies private networks (webhooks.deny_private_networks: true) and only its webhooks.allow_networks can open them${outcome} [FH_EGRESS_FLOOR]`,
      severity,
    });
  }
  if (Array.isArray(definition.allow_networks)) {
    const gatewayAllow = gateway.allow_networks ?? [];
    definition.allow_networks.forEach((entry, index) => {
      if (typeof entry !== 'string' || entry === '' || allowEntryCovered(entry, gatewayAllow)) return;
      problems.push({
        file,
        pointer: at('allow_networks', index),
        message: `${JSON.stringify(entry)} is not inside the gateway config's webhooks.allow_networks, which alone opens private networks while the gateway denies them${outcome} [FH_EGRESS_FLOOR]`,
        severity,
      });
    });
  }
  return problems;
}
