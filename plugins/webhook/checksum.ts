/**
 * Tyk's webhook cooldown checksum, byte for byte, so Firehook and Go gateways sharing one Redis
 * suppress each other's duplicates: md5 hex of the request as Go's `http.NewRequest(...).Write`
 * serialises it (method, URL and rendered body only), or for certificate events md5 of
 * `Type + CertID + CertName + <expiry as Go time text> + APIID`. Cooldown key: `webhook.cache.<md5>`.
 */
import { hash } from 'node:crypto';
import { domainToASCII } from 'node:url';
import { FirehookError, formatGoTime, parseRfc3339 } from '../../core/plugin-api.ts';

/* oxlint-disable no-control-regex -- Go rejects control characters in URLs; so do we */

/** Prefix of cooldown keys, as Tyk's webhook handler stores them. */
export const COOLDOWN_KEY_PREFIX = 'webhook.cache.';

export interface WebhookChecksumInput {
  method: string;
  url: string;
  body: string;
}

function invalid(url: string, reason: string): never {
  throw new FirehookError('FH_DELIVERY_INVALID', `cannot checksum webhook URL ${JSON.stringify(url)}: ${reason}`);
}

const HEX = '0123456789ABCDEF';

/** Go's url.shouldEscape for a path byte (encodePath mode). */
function pathByteNeedsEscape(c: number): boolean {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39)) return false;
  switch (c) {
    case 0x2d: // -
    case 0x5f: // _
    case 0x2e: // .
    case 0x7e: // ~
    case 0x24: // $
    case 0x26: // &
    case 0x2b: // +
    case 0x2c: // ,
    case 0x2f: // /
    case 0x3a: // :
    case 0x3b: // ;
    case 0x3d: // =
    case 0x40: // @
      return false;
    default:
      return true;
  }
}

/** Go's url.validEncoded(s, encodePath): may the raw path be sent as written? */
function validEncodedPath(bytes: Buffer): boolean {
  for (const c of bytes) {
    if ("!$&'()*+,;=:@[]%".includes(String.fromCharCode(c))) continue;
    if (pathByteNeedsEscape(c)) return false;
  }
  return true;
}

/** Percent-decode (Go's url.unescape in path mode); undefined for a bad escape. */
function unescapeBytes(bytes: Buffer): Buffer | undefined {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c !== 0x25) {
      out.push(c);
      continue;
    }
    const hex = bytes.subarray(i + 1, i + 3).toString('latin1');
    if (!/^[0-9a-fA-F]{2}$/.test(hex)) return undefined;
    out.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(out);
}

/** Go's URL.EscapedPath() for a raw path as written in the URL. */
function escapedPath(rawPath: string, url: string): string {
  const raw = Buffer.from(rawPath, 'utf8');
  const decoded = unescapeBytes(raw) ?? invalid(url, 'invalid URL escape in path');
  if (validEncodedPath(raw)) return rawPath;
  let out = '';
  for (const c of decoded) out += pathByteNeedsEscape(c) ? '%' + HEX[c >> 4] + HEX[c & 15] : String.fromCharCode(c);
  return out;
}

/** Host header value as Go writes it: userinfo dropped, empty port removed, IDNA, zone removed. */
function hostHeader(authority: string, url: string): string {
  let host = authority.slice(authority.lastIndexOf('@') + 1);
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close === -1) invalid(url, "missing ']' in host");
    if (!/^(?::[0-9]*)?$/.test(host.slice(close + 1))) invalid(url, 'invalid port after host');
  } else if (host.includes(':') && !/^:[0-9]*$/.test(host.slice(host.lastIndexOf(':')))) {
    invalid(url, 'invalid port after host');
  }
  if (/[^A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%\u0080-\uffff]/.test(host)) invalid(url, 'invalid character in host name');
  if (host.includes('%') && !host.startsWith('[')) {
    try {
      host = decodeURIComponent(host);
    } catch {
      invalid(url, 'invalid URL escape in host');
    }
  }
  if (host.endsWith(':')) host = host.slice(0, -1);
  if (/[^\u0000-\u007f]/.test(host)) {
    const colon = host.lastIndexOf(':');
    const name = colon === -1 ? host : host.slice(0, colon);
    const ascii = domainToASCII(name);
    if (ascii === '') invalid(url, 'host name is not valid IDNA');
    host = ascii + (colon === -1 ? '' : host.slice(colon));
  }
  // removeZone: "[fe80::1%en0]:80" -> "[fe80::1]:80"
  return host.replace(/^\[([^\]%]*)%[^\]]*\]/, '[$1]');
}

/** The request line target and Host header Go writes for a URL. */
export function goRequestTarget(url: string): { requestUri: string; host: string } {
  if (/[\u0000-\u001f\u007f]/.test(url)) invalid(url, 'invalid control character in URL');
  const withoutFragment = url.split('#', 1)[0]!;
  const scheme = /^[A-Za-z][A-Za-z0-9+\-.]*:/.exec(withoutFragment);
  if (scheme === null) invalid(url, 'missing protocol scheme');
  let rest = withoutFragment.slice(scheme![0].length);
  let query: string | undefined;
  if (rest.endsWith('?') && rest.indexOf('?') === rest.length - 1) {
    query = '';
    rest = rest.slice(0, -1);
  } else if (rest.includes('?')) {
    query = rest.slice(rest.indexOf('?') + 1);
    rest = rest.slice(0, rest.indexOf('?'));
  }
  if (!rest.startsWith('//')) invalid(url, 'URL must be absolute (scheme://host/path)');
  const slash = rest.indexOf('/', 2);
  const authority = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  const requestPath = escapedPath(path, url) || '/';
  return { requestUri: query === undefined ? requestPath : `${requestPath}?${query}`, host: hostHeader(authority, url) };
}

/** Request line, Host and User-Agent: the part of the wire form that depends on method and URL only. */
function goRequestHead(method: string, url: string): string {
  const { requestUri, host } = goRequestTarget(url);
  return `${method || 'GET'} ${requestUri} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: Go-http-client/1.1\r\n`;
}

function contentLengthLine(method: string, body: string): string {
  const length = Buffer.byteLength(body, 'utf8');
  if (length > 0) return `Content-Length: ${length}\r\n`;
  // Go sends `Content-Length: 0` for an empty body only for these methods.
  return method === 'POST' || method === 'PUT' || method === 'PATCH' ? 'Content-Length: 0\r\n' : '';
}

/** The exact bytes (as a string) Go's Request.Write produces for this webhook. */
export function webhookWireForm(input: WebhookChecksumInput): string {
  const method = input.method || 'GET';
  return goRequestHead(method, input.url) + contentLengthLine(method, input.body) + '\r\n' + input.body;
}

/** md5 hex of {@link webhookWireForm}: Tyk's webhook checksum. */
export function webhookChecksum(input: WebhookChecksumInput): string {
  return hash('md5', webhookWireForm(input), 'hex');
}

/**
 * A checksum function for one webhook (fixed method and URL): the request head is computed once,
 * and the results for recently seen bodies are remembered (duplicates are the common case a
 * cooldown absorbs). With `keyPrefix` (e.g. {@link COOLDOWN_KEY_PREFIX}) it returns the whole
 * cooldown key, so a remembered key is reused as is. `cacheSize` 0 disables the memory.
 */
export function createWebhookChecksum(
  target: { method: string; url: string },
  options: { cacheSize?: number; maxCachedBodyLength?: number; keyPrefix?: string } = {},
): (body: string) => string {
  const method = target.method || 'GET';
  const head = goRequestHead(method, target.url);
  // Small on purpose: one per handler; bursts of duplicates involve few distinct bodies.
  const cacheSize = options.cacheSize ?? 64;
  const maxCached = options.maxCachedBodyLength ?? 4096;
  const prefix = options.keyPrefix ?? '';
  const recent = new Map<string, string>();
  return (body: string): string => {
    const cached = recent.get(body);
    if (cached !== undefined) return cached;
    const result = prefix + hash('md5', head + contentLengthLine(method, body) + '\r\n' + body, 'hex');
    if (cacheSize > 0 && body.length <= maxCached) {
      if (recent.size >= cacheSize) recent.delete(recent.keys().next().value!);
      recent.set(body, result);
    }
    return result;
  };
}

export interface CertificateChecksumInput {
  type: string;
  certId: string;
  certName: string;
  /** ExpiresAt / ExpiredAt: Go time text, or RFC 3339 (converted to Go's UTC text). */
  expiry: string;
  apiId: string;
}

/** Go's `time.Time.String()` for an expiry given as RFC 3339; Go time text passes through. */
export function goExpiryText(expiry: string): string {
  const parsed = parseRfc3339(expiry);
  if (parsed === undefined) return expiry;
  return formatGoTime(parsed.epochMs, parsed.nanosOfSecond);
}

/** Tyk's checksum for CertificateExpiringSoon / CertificateExpired (their bodies always differ). */
export function certificateChecksum(input: CertificateChecksumInput): string {
  return hash('md5', `${input.type}${input.certId}${input.certName}${goExpiryText(input.expiry)}${input.apiId}`, 'hex');
}

/** The store key for a checksum. */
export function cooldownKey(checksum: string): string {
  return COOLDOWN_KEY_PREFIX + checksum;
}
