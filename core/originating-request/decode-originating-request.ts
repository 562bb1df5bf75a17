/**
 * Parse a `Meta.OriginatingRequest` (from Firehook or from a Tyk gateway) back into its parts, so
 * a consumer can re-create the request. Accepts what Go's `http.ReadRequest` accepts for the
 * common cases: CRLF or bare LF line ends, `Content-Length` or chunked bodies (with trailers).
 */
import { FirehookError } from '../errors/firehook-error.ts';
import { DEFAULT_ORIGINATING_REQUEST_MAX_BYTES } from './encode-originating-request.ts';
import { headerTokens } from '../go/http.ts';

export interface DecodedRequest {
  method: string;
  /** The request target as sent (`/path?query`, or absolute for proxy requests). */
  url: string;
  /** `1.1` for anything Firehook or Tyk encoded. */
  httpVersion: string;
  /**
   * Header fields in wire order with their names as written; repeated headers stay separate
   * (`new Headers(decoded.headers)` or `http.request({headers: decoded.headers})` takes this).
   */
  headers: Array<[string, string]>;
  /** Trailer fields after a chunked body; empty otherwise. */
  trailers: Array<[string, string]>;
  body: Buffer;
}

export interface DecodeOriginatingRequestOptions {
  /** Cap on the decoded wire form in bytes; default 1 MiB. Larger fails FH_REQUEST_TOO_LARGE. */
  maxBytes?: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/(\d)\.(\d)$/;
const CHUNK_SIZE = /^([0-9a-fA-F]+)[ \t]*(?:;.*)?$/;

function malformed(message: string): FirehookError {
  return new FirehookError('FH_REQUEST_MALFORMED', `originating request: ${message}`);
}

/** Read one line (without its CRLF or LF) starting at `offset`; `undefined` when no line end follows. */
function readLine(wire: Buffer, offset: number): { line: string; next: number } | undefined {
  const lf = wire.indexOf(0x0a, offset);
  if (lf < 0) return undefined;
  const end = lf > offset && wire[lf - 1] === 0x0d ? lf - 1 : lf;
  return { line: wire.toString('latin1', offset, end), next: lf + 1 };
}

function readFields(wire: Buffer, offset: number, what: string): { fields: Array<[string, string]>; next: number } {
  const fields: Array<[string, string]> = [];
  let at = offset;
  for (;;) {
    const read = readLine(wire, at);
    if (!read) throw malformed(`${what} not terminated by an empty line`);
    at = read.next;
    if (read.line === '') return { fields, next: at };
    if (read.line.startsWith(' ') || read.line.startsWith('\t')) {
      const last = fields.at(-1);
      if (!last) throw malformed(`${what} start with a continuation line`);
      last[1] = `${last[1]} ${read.line.trim()}`; // obsolete line folding, joined as Go does
      continue;
    }
    const colon = read.line.indexOf(':');
    if (colon <= 0) throw malformed(`${what} line without a name: ${JSON.stringify(read.line.slice(0, 80))}`);
    const name = read.line.slice(0, colon);
    if (/[\s]/.test(name)) throw malformed(`invalid field name ${JSON.stringify(name)}`);
    fields.push([name, read.line.slice(colon + 1).trim()]);
  }
}

function values(fields: Array<[string, string]>, name: string): string[] {
  const lower = name.toLowerCase();
  return fields.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

function readChunked(wire: Buffer, offset: number): { body: Buffer; trailers: Array<[string, string]> } {
  const chunks: Buffer[] = [];
  let at = offset;
  for (;;) {
    const sizeLine = readLine(wire, at);
    if (!sizeLine) throw malformed('chunked body truncated');
    const m = CHUNK_SIZE.exec(sizeLine.line);
    if (!m) throw malformed(`invalid chunk size line ${JSON.stringify(sizeLine.line.slice(0, 40))}`);
    const size = Number.parseInt(m[1]!, 16);
    at = sizeLine.next;
    if (size === 0) {
      const { fields } = readFields(wire, at, 'trailer');
      return { body: Buffer.concat(chunks), trailers: fields };
    }
    if (at + size > wire.length) throw malformed('chunk longer than the data');
    chunks.push(wire.subarray(at, at + size));
    at += size;
    const end = readLine(wire, at);
    if (!end || end.line !== '') throw malformed('chunk not followed by CRLF');
    at = end.next;
  }
}

/** Decode base64 (padded as Tyk writes it; unpadded accepted) and parse the HTTP/1.x request. */
export function decodeOriginatingRequest(encoded: string, options: DecodeOriginatingRequestOptions = {}): DecodedRequest {
  const maxBytes = options.maxBytes ?? DEFAULT_ORIGINATING_REQUEST_MAX_BYTES;
  if (typeof encoded !== 'string' || encoded === '') throw malformed('empty');
  const text = encoded.trim();
  if (!BASE64.test(text) || text.length % 4 === 1) throw malformed('not base64');
  if (Math.floor((text.length * 3) / 4) > maxBytes + 2) {
    throw new FirehookError('FH_REQUEST_TOO_LARGE', `originating request exceeds ${maxBytes} bytes`);
  }
  const wire = Buffer.from(text, 'base64');
  if (wire.length > maxBytes) throw new FirehookError('FH_REQUEST_TOO_LARGE', `originating request exceeds ${maxBytes} bytes`);
  return parseRequestWire(wire);
}

/** Parse the wire form itself (not base64). */
export function parseRequestWire(wire: Buffer): DecodedRequest {
  const first = readLine(wire, 0);
  if (!first) throw malformed('no request line');
  const m = REQUEST_LINE.exec(first.line);
  if (!m) throw malformed(`invalid request line ${JSON.stringify(first.line.slice(0, 80))}`);
  const { fields: headers, next } = readFields(wire, first.next, 'header section');
  const transferEncoding = headerTokens(values(headers, 'Transfer-Encoding'));
  if (transferEncoding.length > 0) {
    if (transferEncoding.at(-1) !== 'chunked') throw malformed(`unsupported transfer encoding ${transferEncoding.join(',')}`);
    const { body, trailers } = readChunked(wire, next);
    return { method: m[1]!, url: m[2]!, httpVersion: `${m[3]}.${m[4]}`, headers, trailers, body };
  }
  const lengths = [
    ...new Set(
      values(headers, 'Content-Length')
        .flatMap((v) => v.split(','))
        .map((v) => v.trim()),
    ),
  ];
  let body = Buffer.alloc(0);
  if (lengths.length > 1) throw malformed('conflicting Content-Length values');
  if (lengths.length === 1) {
    if (!/^\d+$/.test(lengths[0]!)) throw malformed(`invalid Content-Length ${JSON.stringify(lengths[0])}`);
    const length = Number(lengths[0]);
    if (next + length > wire.length) throw malformed('body shorter than its Content-Length');
    body = Buffer.from(wire.subarray(next, next + length));
  }
  return { method: m[1]!, url: m[2]!, httpVersion: `${m[3]}.${m[4]}`, headers, trailers: [], body };
}
