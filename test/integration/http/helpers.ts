/** Raw HTTP for the ingestion server tests: any Host and Origin header, any body, one request at a time. */
import { request } from 'node:http';
import { eventually } from '../../helpers/poll.ts';
import { oasApi, startHarness, workspace, type AdminHarness, type Workspace } from '../admin/helpers.ts';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** POST (or `method`) to `url` with exactly these headers; `body` undefined sends none. */
export function raw(url: string, headers: Record<string, string>, body?: string | Buffer, method = 'POST'): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One AuthFailure event whose key ends in `marker` (the log handler prints `****<last 4>`). */
export const event = (marker: string, apiId = 'guarded'): string =>
  JSON.stringify({ api_id: apiId, type: 'AuthFailure', meta: { Message: 'Auth failure', Path: '/x', Origin: '10.0.0.1', Key: `key-${marker}` } });

export interface IngestSetup {
  ws: Workspace;
  h: AdminHarness;
  /** Log lines of AuthFailure events handled for `guarded`, by obfuscated key. */
  handledKeys(): string[];
  /** Post a legitimate event with `marker` and wait until the log handler has printed it (events are handled in order). */
  flush(marker: string): Promise<void>;
  close(): Promise<void>;
}

/** A memory-store runtime with a log handler on `guarded`/AuthFailure and its server on 127.0.0.1:0. */
export async function ingestSetup(gateway: Record<string, unknown> = {}, ingestSecret = ''): Promise<IngestSetup> {
  const ws = await workspace({
    memory: true,
    gateway,
    apis: { 'guarded.json': oasApi('guarded', [{ type: 'log', trigger: 'AuthFailure', enabled: true, name: 'guarded-log', logPrefix: 'guarded' }]) },
  });
  const h = await startHarness(ws.config, '127.0.0.1:0', ingestSecret);
  const handledKeys = (): string[] => h.lines.filter((l) => l.msg === 'guarded:AuthFailure').map((l) => String(l.key));
  return {
    ws,
    h,
    handledKeys,
    async flush(marker) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...(ingestSecret ? { authorization: `Bearer ${ingestSecret}` } : {}) };
      const res = await raw(`${h.url}/v1/events`, headers, event(marker));
      if (res.status !== 202) throw new Error(`flush event refused: ${res.status} ${res.body}`);
      await eventually(() => handledKeys().includes(`****${marker.slice(-4)}`), `log line for ${marker}`);
    },
    async close() {
      await h.close();
      await ws.cleanup();
    },
  };
}
