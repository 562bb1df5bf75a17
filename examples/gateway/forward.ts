/**
 * Send a request on to the upstream (`proxy.target_url`, with `proxy.listen_path` stripped when
 * `proxy.strip_listen_path`) with undici and stream the answer back. Hop-by-hop headers are
 * dropped both ways; `X-Forwarded-For` gains the client address.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

type HeaderMap = Record<string, string | string[]>;

function endToEnd(headers: Record<string, string | string[] | undefined>): HeaderMap {
  const out: HeaderMap = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) out[name] = value;
  return out;
}

/** Tyk's singleJoiningSlash. */
export function joinPath(base: string, path: string): string {
  if (base.endsWith('/') && path.startsWith('/')) return base + path.slice(1);
  if (!base.endsWith('/') && !path.startsWith('/')) return `${base}/${path}`;
  return base + path;
}

/**
 * Forward and relay. Resolves with the upstream status, or `undefined` when the upstream could
 * not be reached (nothing has been written to `res` then).
 */
export async function forward(
  targetUrl: string,
  upstreamPath: string,
  search: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  clientIp: string,
): Promise<number | undefined> {
  const target = new URL(targetUrl);
  const headers = endToEnd(req.headers);
  const previous = req.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = previous ? `${String(previous)}, ${clientIp}` : clientIp;
  let upstream;
  try {
    upstream = await request(target.origin + joinPath(target.pathname, upstreamPath) + search, {
      method: (req.method ?? 'GET') as 'GET',
      headers,
      body: body.length > 0 ? body : undefined,
    });
  } catch {
    return undefined;
  }
  res.writeHead(upstream.statusCode, endToEnd(upstream.headers));
  await pipeline(upstream.body, res).catch(() => res.destroy());
  return upstream.statusCode;
}
