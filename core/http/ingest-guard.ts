/**
 * Who may post events when no `ingest_secret` is set. Without a bearer token the only thing keeping
 * a web page out is the browser's own rules, so the server refuses what a page can make a browser
 * send and a program posting events never does: an `Origin` other than this server's (cross-site
 * `fetch`, form posts, `sendBeacon`), a `Host` that is not a loopback name or the bound address (a
 * DNS-rebound page addresses us by the attacker's name), and a body whose type is not JSON or NDJSON
 * (the CORS-safelisted types a page can send without a preflight: forms, `text/plain`, none).
 */
import type { IncomingMessage } from 'node:http';
import { isLoopbackAddress } from '../net/ip-address.ts';

/** What the request was refused for; `undefined` when it may go on. */
export interface GuardRefusal {
  status: 403;
  message: string;
}

/** The server's own names: the listen host as written and the address actually bound. */
export interface ServerIdentity {
  listenHost: string;
  boundAddress: string;
  port: number;
}

/** A host name (no port, no brackets) that always means this machine: `localhost` or a loopback address. */
function isLoopbackName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return n === 'localhost' || isLoopbackAddress(n);
}

/** Split a Host header (`name`, `name:port`, `[v6]:port`) into lower-cased name and port. */
function parseHost(host: string): { name: string; port: string } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return undefined;
  return { name: (m[1] ?? m[2]!).toLowerCase().replace(/\.$/, ''), port: m[3] ?? '80' };
}

function isOwnName(name: string, self: ServerIdentity): boolean {
  return isLoopbackName(name) || name === self.listenHost.toLowerCase() || name === self.boundAddress.toLowerCase();
}

/** Check `Host` and `Origin` of an ingestion request made without a secret. */
export function checkBrowserSafe(req: IncomingMessage, self: ServerIdentity): GuardRefusal | undefined {
  const host = req.headers.host;
  if (host !== undefined) {
    const parsed = parseHost(host);
    if (parsed === undefined || !isOwnName(parsed.name, self)) {
      return {
        status: 403,
        message: `Host "${printable(host)}" is not this server's loopback name; without ingest_secret only loopback names are served (DNS rebinding)`,
      };
    }
  }
  const origin = req.headers.origin;
  if (origin !== undefined && !isOwnOrigin(origin, self)) {
    return {
      status: 403,
      message: `cross-origin request from "${printable(origin)}" refused; without ingest_secret only this server's own origin may post events`,
    };
  }
  return undefined;
}

/** An `Origin` naming this server: plain http, our port, one of our names. `null` (sandboxed, file:) is foreign. */
function isOwnOrigin(origin: string, self: ServerIdentity): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:') return false;
  const port = url.port === '' ? 80 : Number(url.port);
  const name = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return port === self.port && isOwnName(name.toLowerCase(), self);
}

/** A header value fit to quote in an error message: short, visible ASCII. */
function printable(value: string): string {
  const text = value.replace(/[^\x20-\x7e]/g, '?');
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
