/**
 * TykMakeHttpRequest and TykBatchRequest, host side. Requests are validated (method, http(s)
 * URL, header names and values without CR/LF, hop-by-hop and Host headers dropped, body size),
 * sent through the caller's dispatcher (which enforces the egress policy), never follow
 * redirects, time out well inside the handler's limit, and read at most `maxResponseBytes` of
 * the response body (the rest is cut off, never buffered).
 */
import { request, type Dispatcher } from 'undici';
import { isRecord } from './safe-json.ts';

export interface HttpLimits {
  timeoutMs: number;
  maxRequestBytes: number;
  maxResponseBytes: number;
}

export interface OutboundRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export type HttpResult = { ok: true; code: number; headers: Record<string, string[]>; body: string } | { ok: false; reason: string };

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BAD_VALUE = /[\r\n\0]/;
const DROPPED = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'expect',
]);

/** Validate a request; a reason string when it must not be sent. */
function checkRequest(req: OutboundRequest, limits: HttpLimits): string | undefined {
  if (!METHODS.has(req.method)) return `method ${JSON.stringify(req.method.slice(0, 20))} is not allowed`;
  let url: URL;
  try {
    url = new URL(req.url);
  } catch {
    return 'the URL does not parse';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `protocol ${url.protocol} is not http or https`;
  if (BAD_VALUE.test(req.url)) return 'the URL holds control characters';
  for (const [name, value] of Object.entries(req.headers)) {
    if (!TOKEN.test(name)) return `header name ${JSON.stringify(name.slice(0, 40))} is not a valid token`;
    if (BAD_VALUE.test(value)) return `header ${name} holds CR, LF or NUL`;
  }
  if (req.body !== undefined && Buffer.byteLength(req.body) > limits.maxRequestBytes) return `body larger than ${limits.maxRequestBytes} bytes`;
  return undefined;
}

/** Send one request; failures (network, policy, timeout) come back as `{ok: false}`. */
export async function sendRequest(req: OutboundRequest, dispatcher: Dispatcher, limits: HttpLimits): Promise<HttpResult> {
  const problem = checkRequest(req, limits);
  if (problem !== undefined) return { ok: false, reason: problem };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (!DROPPED.has(name.toLowerCase())) headers[name] = value;
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    const res = await request(req.url, {
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body: req.body === undefined || req.body === '' ? null : req.body,
      dispatcher,
      signal,
      headersTimeout: limits.timeoutMs,
      bodyTimeout: limits.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      const room = limits.maxResponseBytes - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        res.body.destroy();
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
    return { ok: true, code: res.statusCode, headers: canonicalHeaders(res.headers), body: Buffer.concat(chunks, size).toString('utf8') };
  } catch (error) {
    return { ok: false, reason: signal.aborted ? `no complete response within ${limits.timeoutMs} ms` : reasonOf(error) };
  }
}

function reasonOf(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  if (e?.code === 'FH_EGRESS_DENIED') return String(e.message);
  return typeof e?.code === 'string' ? `request failed (${e.code})` : 'request failed';
}

/** Go's textproto.CanonicalMIMEHeaderKey. */
function canonicalHeaderName(name: string): string {
  if (!TOKEN.test(name)) return name;
  return name.toLowerCase().replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

function canonicalHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(raw).sort()) {
    const value = raw[name];
    if (value === undefined) continue;
    const key = canonicalHeaderName(name);
    (out[key] ??= []).push(...(Array.isArray(value) ? value : [value]));
  }
  const sorted: Record<string, string[]> = {};
  for (const key of Object.keys(out).sort()) sorted[key] = out[key]!;
  return sorted;
}

/** Go's url.QueryEscape: spaces as `+`, everything but `A-Za-z0-9-_.~` escaped. */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+');
}

/** Go's json.Unmarshal matches field names case-insensitively; the exact spelling wins. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(obj, name)) return obj[name];
  const lower = name.toLowerCase();
  const key = Object.keys(obj).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : obj[key];
}

function optionalString(value: unknown): string | undefined | null {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : null;
}

function stringMap(value: unknown): Record<string, string> | null {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') return null;
    out[k] = v;
  }
  return out;
}

/** TykMakeHttpRequest's `{Method, Domain, Resource, Headers, Body, FormData}`; a reason when malformed. */
export function tykRequest(value: unknown): OutboundRequest | string {
  if (!isRecord(value)) return 'the request is not a JSON object';
  const method = optionalString(field(value, 'Method'));
  const domain = optionalString(field(value, 'Domain'));
  const resource = optionalString(field(value, 'Resource'));
  const body = optionalString(field(value, 'Body'));
  const headers = stringMap(field(value, 'Headers'));
  const form = stringMap(field(value, 'FormData'));
  if (method === null || domain === null || resource === null || body === null || headers === null || form === null) return 'a field has the wrong type';
  let payload = body;
  if ((payload === undefined || payload === '') && Object.keys(form).length > 0) {
    payload = Object.keys(form)
      .sort()
      .map((k) => `${goQueryEscape(k)}=${goQueryEscape(form[k]!)}`)
      .join('&');
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  }
  return { method: (method || 'GET').toUpperCase(), url: (domain ?? '') + (resource ?? ''), headers, body: payload };
}

/** TykBatchRequest's `{requests: [{method, headers, body, relative_url}], suppress_parallel_execution}`. */
export function tykBatch(value: unknown): { requests: OutboundRequest[]; sequential: boolean } | string {
  if (!isRecord(value)) return 'the batch is not a JSON object';
  const list = field(value, 'requests');
  const sequential = field(value, 'suppress_parallel_execution');
  if (!Array.isArray(list)) return 'requests is not an array';
  if (sequential !== undefined && typeof sequential !== 'boolean') return 'suppress_parallel_execution is not a boolean';
  const requests: OutboundRequest[] = [];
  for (const entry of list) {
    if (!isRecord(entry)) return 'a request is not an object';
    const method = optionalString(field(entry, 'method'));
    const url = optionalString(field(entry, 'relative_url'));
    const body = optionalString(field(entry, 'body'));
    const headers = stringMap(field(entry, 'headers'));
    if (method === null || url === null || body === null || headers === null) return 'a request field has the wrong type';
    requests.push({ method: (method || 'GET').toUpperCase(), url: url ?? '', headers, body });
  }
  return { requests, sequential: sequential === true };
}

/** TykMakeHttpRequest's reply. */
export function tykResponse(result: Extract<HttpResult, { ok: true }>): string {
  return JSON.stringify({ Code: result.code, Body: result.body, Headers: result.headers, code: result.code, body: result.body, headers: result.headers });
}

/** One TykBatchRequest reply unit; Tyk's empty unit when the request failed. */
export function batchUnit(url: string, result: HttpResult): { relative_url: string; code: number; headers: Record<string, string[]> | null; body: string } {
  if (!result.ok) return { relative_url: '', code: 0, headers: null, body: '' };
  return { relative_url: url, code: result.code, headers: result.headers, body: result.body };
}
