/** JSON in and out for the admin API. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors/codes.ts';

export class AdminHttpError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly problems: string[];

  constructor(status: number, code: ErrorCode, message: string, problems: string[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.problems = problems;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  problems: string[] = [],
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, message, ...(problems.length > 0 ? { problems } : {}) } }, { 'x-firehook-error-code': code, ...headers });
}

/**
 * Read a JSON body (a JSON content type is required for every write: it makes browsers preflight
 * cross-origin requests, which this server never approves). Empty body: `undefined`.
 */
export async function readJson(req: IncomingMessage, limit = 1024 * 1024): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    throw new AdminHttpError(415, 'FH_ADMIN_BAD_REQUEST', 'send content-type: application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new AdminHttpError(413, 'FH_ADMIN_BAD_REQUEST', `request body exceeds ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new AdminHttpError(400, 'FH_ADMIN_BAD_REQUEST', `request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** A positive integer query parameter, bounded. */
export function intParam(value: string | null, fallback: number, max: number): number {
  if (value === null || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new AdminHttpError(400, 'FH_ADMIN_BAD_REQUEST', `limit must be a positive integer (got ${JSON.stringify(value)})`);
  return Math.min(n, max);
}

/** Optional string query parameter. */
export function strParam(params: URLSearchParams, name: string): string | undefined {
  const v = params.get(name);
  return v === null || v === '' ? undefined : v;
}
