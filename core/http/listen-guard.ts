/**
 * The listen guard: without `ingest_secret` the server binds loopback addresses only. The host as
 * written proves nothing (`127.example.test` may resolve anywhere), so a name is resolved first and
 * the server listens on the address it resolved to; after listening, the address actually bound is
 * checked again.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { FirehookError } from '../errors/firehook-error.ts';
import { isLoopbackAddress } from '../net/ip-address.ts';

export type ListenLookup = (host: string) => Promise<{ address: string }>;

function insecure(listen: string, address?: string): FirehookError {
  const bound = address !== undefined && address !== '' ? ` (it resolves to ${address}, which is not a loopback address)` : '';
  return new FirehookError(
    'FH_LISTEN_INSECURE',
    `refusing to listen on ${listen} without ingest_secret${bound}; set ingest_secret or listen on a loopback address`,
  );
}

/** Refuse at once an IP literal that is not loopback; names are judged once resolved. */
export function checkListenLiteral(listen: string, host: string, secret: string): void {
  if (secret === '' && isIP(host) !== 0 && !isLoopbackAddress(host)) throw insecure(listen);
}

/** The address to bind: `host` itself with a secret; without one, the loopback address it resolves to, or FH_LISTEN_INSECURE. */
export async function listenAddress(listen: string, host: string, secret: string, lookup: ListenLookup = dnsLookup): Promise<string> {
  if (secret !== '') return host;
  checkListenLiteral(listen, host, secret);
  if (isIP(host) !== 0) return host;
  let address: string;
  try {
    ({ address } = await lookup(host));
  } catch (error) {
    throw new FirehookError('FH_LISTEN_INSECURE', `cannot resolve the listen host of ${listen}: ${(error as Error).message}`, { cause: error });
  }
  if (!isLoopbackAddress(address)) throw insecure(listen, address);
  return address;
}

/** After listening: the address the server bound must be loopback without a secret. */
export function checkBoundAddress(listen: string, bound: string, secret: string): void {
  if (secret === '' && !isLoopbackAddress(bound)) throw insecure(listen, bound);
}
