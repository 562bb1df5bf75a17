/**
 * `Meta.OriginatingRequest`: the inbound request in HTTP/1.1 wire form, base64 (standard, padded).
 *
 * Tyk builds it with Go's `(*http.Request).Write` on the request its server parsed
 * (`EncodeRequestToEvent`), so this reproduces that serialisation: request line always `HTTP/1.1`,
 * `Host` first, then `User-Agent` (Go's default `Go-http-client/1.1` when the request has none),
 * `Connection: close` for an HTTP/1.0 request without keep-alive, `Content-Length` or
 * `Transfer-Encoding: chunked`, `Trailer`, then every other header under its canonical name in
 * sorted key order (repeated values in arrival order), a blank line and the body (re-chunked in
 * 32 KiB chunks when the request was chunked).
 */
import type { IncomingMessage } from 'node:http';
import { FirehookError } from '../errors/firehook-error.ts';
import {
  GO_COPY_BUFFER_BYTES,
  GO_DEFAULT_USER_AGENT,
  canonicalMimeHeaderKey,
  goRequestHost,
  headerTokens,
  sanitizeHeaderValue,
  shouldSendContentLength,
} from '../go/http.ts';
import {
  fromFetchRequest,
  fromIncomingMessage,
  fromPlain,
  isIncomingMessage,
  readFetchBody,
  readStream,
  toBuffer,
  tooLarge,
  type PlainRequest,
  type RequestParts,
} from './request-parts.ts';

export type { HeaderInput, PlainRequest } from './request-parts.ts';

export type OriginatingRequestInput = IncomingMessage | Request | PlainRequest;

export interface EncodeOriginatingRequestOptions {
  /** Cap on the wire form in bytes (before base64); default 1 MiB. Larger fails FH_REQUEST_TOO_LARGE. */
  maxBytes?: number;
  /** The body when the caller already read it (an IncomingMessage's stream can be read only once). */
  body?: Uint8Array | string;
}

export const DEFAULT_ORIGINATING_REQUEST_MAX_BYTES = 1024 * 1024;

/**
 * Encode a Node `IncomingMessage` (its body is read unless `options.body` is given), a fetch
 * `Request`, or a plain `{method, url, headers, body}` as Tyk's `OriginatingRequest` string.
 */
export async function encodeOriginatingRequest(input: OriginatingRequestInput, options: EncodeOriginatingRequestOptions = {}): Promise<string> {
  const maxBytes = options.maxBytes ?? DEFAULT_ORIGINATING_REQUEST_MAX_BYTES;
  let parts: RequestParts;
  if (isIncomingMessage(input)) {
    const body = options.body !== undefined ? toBuffer(options.body) : await readStream(input, maxBytes);
    parts = fromIncomingMessage(input, body);
  } else if (typeof Request !== 'undefined' && input instanceof Request) {
    const body = options.body !== undefined ? toBuffer(options.body) : await readFetchBody(input, maxBytes);
    parts = fromFetchRequest(input, body);
  } else {
    const plain = input as PlainRequest;
    parts = fromPlain(options.body !== undefined ? { ...plain, body: options.body } : plain);
  }
  return writeRequest(parts, maxBytes).toString('base64');
}

/** Synchronous form for plain requests whose body is already in memory. */
export function encodeOriginatingRequestSync(input: PlainRequest, options: { maxBytes?: number } = {}): string {
  return writeRequest(fromPlain(input), options.maxBytes ?? DEFAULT_ORIGINATING_REQUEST_MAX_BYTES).toString('base64');
}

/** The wire form itself (not base64), for callers that want the bytes. */
export function originatingRequestWireForm(input: PlainRequest, options: { maxBytes?: number } = {}): Buffer {
  return writeRequest(fromPlain(input), options.maxBytes ?? DEFAULT_ORIGINATING_REQUEST_MAX_BYTES);
}

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Request target and Host as Go's server would have parsed them, then `Request.Write` writes them. */
function targetAndHost(parts: RequestParts): { requestUri: string; host: string } {
  if (ABSOLUTE_URL.test(parts.target)) {
    let url: URL;
    try {
      url = new URL(parts.target);
    } catch (error) {
      throw new FirehookError('FH_REQUEST_MALFORMED', `invalid request URL: ${parts.target}`, { cause: error });
    }
    // An absolute-form target's authority wins over the Host header (Go: req.Host = req.URL.Host).
    return { requestUri: (url.pathname || '/') + url.search, host: url.host };
  }
  const host = parts.hostHeader ?? '';
  // CONNECT's authority-form target is both the request URI and the Host (Go: req.Host = req.URL.Host).
  if (parts.method === 'CONNECT' && !parts.target.startsWith('/')) return { requestUri: parts.target, host: parts.target };
  const hash = parts.target.indexOf('#');
  const target = hash >= 0 ? parts.target.slice(0, hash) : parts.target;
  return { requestUri: target === '' ? '/' : target, host };
}

/** Group headers under canonical names, keeping each name's values in arrival order. */
function groupHeaders(pairs: Array<[string, string]>): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of pairs) {
    const key = canonicalMimeHeaderKey(name);
    const list = grouped.get(key);
    if (list) list.push(value);
    else grouped.set(key, [value]);
  }
  return grouped;
}

const EXCLUDED = new Set(['Host', 'User-Agent', 'Content-Length', 'Transfer-Encoding', 'Trailer']);

function sortedKeys(map: Map<string, string[]>): string[] {
  return [...map.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function writeFields(lines: string[], map: Map<string, string[]>, exclude?: ReadonlySet<string>): void {
  for (const key of sortedKeys(map)) {
    if (exclude?.has(key)) continue;
    for (const value of map.get(key)!) lines.push(`${key}: ${sanitizeHeaderValue(value)}\r\n`);
  }
}

/**
 * Node hands header bytes over as latin1 strings, so latin1 gives the received bytes back; a line
 * holding characters above U+00FF (a plain request built in JS) is written as UTF-8, as Go would.
 */
function lineBytes(line: string): Buffer {
  for (let i = 0; i < line.length; i++) {
    if (line.charCodeAt(i) > 0xff) return Buffer.from(line, 'utf8');
  }
  return Buffer.from(line, 'latin1');
}

function writeRequest(parts: RequestParts, maxBytes: number): Buffer {
  if (parts.body.length > maxBytes) throw tooLarge(maxBytes);
  const method = parts.method || 'GET';
  const headers = groupHeaders(parts.headers);
  // Go's server adds Cache-Control: no-cache to a request carrying only Pragma: no-cache.
  if (headers.get('Pragma')?.[0] === 'no-cache' && !headers.has('Cache-Control')) headers.set('Cache-Control', ['no-cache']);
  const { requestUri, host } = targetAndHost({ ...parts, method });
  const chunked = headerTokens(headers.get('Transfer-Encoding') ?? []).at(-1) === 'chunked';
  const connection = headerTokens(headers.get('Connection') ?? []);
  const http10 = parts.httpVersion === '1.0';
  const implicitClose = http10 && !connection.includes('keep-alive') && !connection.includes('close');
  const declaredTrailers = [
    ...new Set(
      (headers.get('Trailer') ?? [])
        .flatMap((v) => v.split(','))
        .map((t) => t.trim())
        .filter((t) => t !== '')
        .map(canonicalMimeHeaderKey),
    ),
  ].sort();

  const lines: string[] = [`${method} ${requestUri} HTTP/1.1\r\n`, `Host: ${goRequestHost(host)}\r\n`];
  const userAgent = headers.get('User-Agent');
  const ua = userAgent === undefined ? GO_DEFAULT_USER_AGENT : sanitizeHeaderValue(userAgent[0] ?? '');
  if (ua !== '') lines.push(`User-Agent: ${ua}\r\n`);
  if (implicitClose) lines.push('Connection: close\r\n');
  if (chunked) lines.push('Transfer-Encoding: chunked\r\n');
  else if (shouldSendContentLength(method, parts.body.length)) lines.push(`Content-Length: ${parts.body.length}\r\n`);
  if (declaredTrailers.length > 0) lines.push(`Trailer: ${declaredTrailers.join(',')}\r\n`);
  writeFields(lines, headers, EXCLUDED);
  lines.push('\r\n');

  const pieces: Buffer[] = lines.map(lineBytes);
  if (chunked) {
    for (let offset = 0; offset < parts.body.length; offset += GO_COPY_BUFFER_BYTES) {
      const chunk = parts.body.subarray(offset, offset + GO_COPY_BUFFER_BYTES);
      pieces.push(Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk, Buffer.from('\r\n', 'latin1'));
    }
    const tail: string[] = ['0\r\n'];
    if (declaredTrailers.length > 0) writeFields(tail, groupHeaders(parts.trailers));
    tail.push('\r\n');
    pieces.push(...tail.map(lineBytes));
  } else if (parts.body.length > 0) {
    pieces.push(parts.body);
  }
  const wire = Buffer.concat(pieces);
  if (wire.length > maxBytes) throw tooLarge(maxBytes);
  return wire;
}
