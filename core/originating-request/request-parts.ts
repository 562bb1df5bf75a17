/**
 * Normalise the three request shapes `encodeOriginatingRequest` accepts (a Node IncomingMessage, a
 * fetch Request, a plain object) into the parts the wire form is written from, reading bodies
 * under a byte cap.
 */
import type { IncomingMessage } from 'node:http';
import { FirehookError } from '../errors/firehook-error.ts';

/** Header shapes accepted from plain requests. */
export type HeaderInput = Record<string, string | number | readonly string[] | undefined> | Iterable<readonly [string, string]> | Headers;

/** A request described by the embedding gateway. `url` is a request target or an absolute URL. */
export interface PlainRequest {
  method?: string;
  url: string;
  headers?: HeaderInput;
  body?: Uint8Array | string | null;
  /** Trailer fields received after a chunked body (written only when declared in `Trailer`). */
  trailers?: HeaderInput;
  /** `1.1` (default) or `1.0`; only decides Go's implicit `Connection: close`. */
  httpVersion?: string;
}

/** The parts of a received request the wire form is built from. */
export interface RequestParts {
  method: string;
  target: string;
  hostHeader: string | undefined;
  httpVersion: string;
  headers: Array<[string, string]>;
  trailers: Array<[string, string]>;
  body: Buffer;
}

export function isIncomingMessage(input: unknown): input is IncomingMessage {
  const candidate = input as Partial<IncomingMessage> | null;
  return candidate !== null && typeof candidate === 'object' && Array.isArray(candidate.rawHeaders) && typeof candidate.on === 'function';
}

export function toBuffer(body: Uint8Array | string | null | undefined): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export function tooLarge(maxBytes: number): FirehookError {
  return new FirehookError('FH_REQUEST_TOO_LARGE', `originating request exceeds ${maxBytes} bytes`);
}

/** Read a request stream, at most `maxBytes`; past the cap the rest is drained and discarded. */
export function readStream(stream: IncomingMessage, maxBytes: number): Promise<Buffer> {
  if (stream.readableEnded) {
    return Promise.reject(new FirehookError('FH_REQUEST_MALFORMED', 'the request body was already consumed; pass it as options.body'));
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += buf.length;
      if (size > maxBytes) {
        cleanup();
        stream.resume(); // drain without keeping, so the caller can still answer the client
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(buf);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new FirehookError('FH_REQUEST_MALFORMED', `reading the request body failed: ${error.message}`, { cause: error }));
    };
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

export async function readFetchBody(request: Request, maxBytes: number): Promise<Buffer> {
  if (request.body === null) return Buffer.alloc(0);
  if (request.bodyUsed) throw new FirehookError('FH_REQUEST_MALFORMED', 'the request body was already consumed; pass it as options.body');
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  }
  return Buffer.concat(chunks, size);
}

function pairsFromRaw(raw: readonly string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs;
}

export function fromIncomingMessage(req: IncomingMessage, body: Buffer): RequestParts {
  const all = pairsFromRaw(req.rawHeaders);
  const authority = all.find(([name]) => name === ':authority')?.[1];
  const headers = all.filter(([name]) => !name.startsWith(':'));
  const hostHeader = headers.find(([name]) => name.toLowerCase() === 'host')?.[1] ?? authority;
  return {
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    hostHeader,
    httpVersion: req.httpVersion || '1.1',
    headers,
    trailers: pairsFromRaw(req.rawTrailers ?? []),
    body,
  };
}

export function fromFetchRequest(request: Request, body: Buffer): RequestParts {
  const headers: Array<[string, string]> = [];
  request.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers.push([name, value]);
  });
  for (const cookie of request.headers.getSetCookie()) headers.push(['set-cookie', cookie]);
  return {
    method: request.method,
    target: request.url,
    hostHeader: request.headers.get('host') ?? undefined,
    httpVersion: '1.1',
    headers,
    trailers: [],
    body,
  };
}

function headerPairs(input: HeaderInput | undefined): Array<[string, string]> {
  if (input === undefined) return [];
  const pairs: Array<[string, string]> = [];
  if (typeof Headers !== 'undefined' && input instanceof Headers) {
    input.forEach((value, name) => {
      if (name !== 'set-cookie') pairs.push([name, value]);
    });
    for (const cookie of input.getSetCookie()) pairs.push(['set-cookie', cookie]);
    return pairs;
  }
  if (typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of input as Iterable<readonly [string, string]>) pairs.push([String(name), String(value)]);
    return pairs;
  }
  for (const [name, value] of Object.entries(input as Record<string, string | number | readonly string[] | undefined>)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value as readonly string[]) pairs.push([name, String(v)]);
    else pairs.push([name, String(value)]);
  }
  return pairs;
}

export function fromPlain(req: PlainRequest): RequestParts {
  const headers = headerPairs(req.headers);
  return {
    method: req.method || 'GET',
    target: req.url,
    hostHeader: headers.find(([name]) => name.toLowerCase() === 'host')?.[1],
    httpVersion: req.httpVersion ?? '1.1',
    headers,
    trailers: headerPairs(req.trailers),
    body: toBuffer(req.body),
  };
}
