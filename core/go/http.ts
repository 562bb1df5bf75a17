/**
 * Small pieces of Go's net/http and textproto, reproduced so what Firehook writes matches what a
 * Tyk gateway would: the bytes of `Meta.OriginatingRequest` (`(*http.Request).Write`) and header
 * names as Go canonicalises them (webhook `header_map`).
 */

/** RFC 7230 token characters, as Go's `textproto` accepts them in header names. */
function isTokenChar(code: number): boolean {
  if (code >= 0x61 && code <= 0x7a) return true; // a-z
  if (code >= 0x41 && code <= 0x5a) return true; // A-Z
  if (code >= 0x30 && code <= 0x39) return true; // 0-9
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(code));
}

/**
 * Go's `textproto.CanonicalMIMEHeaderKey`: `content-type` -> `Content-Type`. A name holding a
 * character that is not a token character is returned unchanged, as Go does.
 */
export function canonicalMimeHeaderKey(name: string): string {
  for (let i = 0; i < name.length; i++) {
    if (!isTokenChar(name.charCodeAt(i))) return name;
  }
  let out = '';
  let upper = true;
  for (const ch of name) {
    out += upper ? ch.toUpperCase() : ch.toLowerCase();
    upper = ch === '-';
  }
  return out;
}

/** Go's header value hygiene on write: CR and LF become spaces, then ASCII space is trimmed. */
export function sanitizeHeaderValue(value: string): string {
  return value.replace(/[\r\n]/g, ' ').replace(/^[ \t]+|[ \t]+$/g, '');
}

const HOST_CHARS = /^[A-Za-z0-9!$%&'()*+,\-.:;=[\]_~]*$/;

/**
 * The Host line Go writes: an invalid Host becomes empty (Go >= 1.20.6) and an IPv6 zone is
 * removed (`[fe80::1%en0]:80` -> `[fe80::1]:80`).
 */
export function goRequestHost(host: string): string {
  if (!HOST_CHARS.test(host)) return '';
  if (!host.startsWith('[')) return host;
  const close = host.lastIndexOf(']');
  const zone = host.indexOf('%');
  if (close < 0 || zone < 0 || zone > close) return host;
  return host.slice(0, zone) + host.slice(close);
}

/**
 * Go's `transferWriter.shouldSendContentLength` for a request that is not chunked: a positive
 * length always, a zero length only for POST, PUT and PATCH.
 */
export function shouldSendContentLength(method: string, contentLength: number): boolean {
  if (contentLength > 0) return true;
  return method === 'POST' || method === 'PUT' || method === 'PATCH';
}

/** Comma-separated header tokens, lower-cased (for `Connection`, `Transfer-Encoding`, `Trailer`). */
export function headerTokens(values: readonly string[]): string[] {
  const tokens: string[] = [];
  for (const value of values) {
    for (const part of value.split(',')) {
      const token = part.trim().toLowerCase();
      if (token !== '') tokens.push(token);
    }
  }
  return tokens;
}

/** Go writes chunked bodies as it reads them, through io.Copy's 32 KiB buffer. */
export const GO_COPY_BUFFER_BYTES = 32 * 1024;

/** The User-Agent Go's client writes when the request has none. */
export const GO_DEFAULT_USER_AGENT = 'Go-http-client/1.1';
