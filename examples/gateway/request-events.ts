/**
 * One inbound request as the events it may cause see it: Tyk's `Path` (the request path, query
 * removed), `Origin` (the client IP: X-Real-IP, else the first X-Forwarded-For hop, else the socket
 * address) and `OriginatingRequest` (the request in HTTP/1.1 wire form, base64), encoded only when
 * an event actually fires. Error answers come from Firehook's error templates.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeOriginatingRequest, type EventType, type MetaInput, type Runtime } from 'firehook';

/** Tyk's `request.RealIP`. */
export function realIp(req: IncomingMessage): string {
  const real = req.headers['x-real-ip'];
  if (typeof real === 'string' && real.trim() !== '') return real.trim();
  const forwarded = req.headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  if (first) return first;
  return req.socket.remoteAddress ?? '';
}

export class RequestEvents {
  readonly path: string;
  readonly origin: string;
  readonly apiId: string;
  readonly req: IncomingMessage;
  private readonly runtime: Runtime;
  private readonly body: Buffer;
  private encoded: Promise<string> | undefined;

  constructor(runtime: Runtime, apiId: string, req: IncomingMessage, body: Buffer) {
    this.runtime = runtime;
    this.apiId = apiId;
    this.req = req;
    this.body = body;
    this.path = new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
    this.origin = realIp(req);
  }

  /** Base64 wire form of the request, computed once. */
  originatingRequest(): Promise<string> {
    this.encoded ??= encodeOriginatingRequest(this.req, { body: this.body }).catch(() => '');
    return this.encoded;
  }

  /** Fire a key-failure style event (`Path`, `Origin`, `Key`, plus `extra`) for this request's API. */
  async fire<T extends EventType>(type: T, message: string, key: string, extra: Record<string, unknown> = {}): Promise<void> {
    const meta = { Message: message, OriginatingRequest: await this.originatingRequest(), Path: this.path, Origin: this.origin, Key: key, ...extra };
    this.runtime.fire(this.apiId, type, meta as unknown as MetaInput<T>);
  }

  /** Answer with the error template for `code` (JSON or XML by the request's Content-Type). */
  async reply(res: ServerResponse, code: number, message: string): Promise<void> {
    const rendered = await this.runtime.errors.render({ code, message, requestContentType: this.req.headers['content-type'] });
    res.writeHead(rendered.status, rendered.headers).end(rendered.body);
  }
}
