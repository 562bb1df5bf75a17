/**
 * The console's live event stream (server-sent events). The dispatcher's observer hands each fired
 * event over only while someone listens; events are buffered and written on the next tick, so the
 * caller's stack pays an array push. Keys are obfuscated and originating requests left out.
 * Streams are capped: {@link MAX_STREAMS} for API clients, and {@link CONSOLE_STREAMS} more kept for
 * the web console, so scripts holding streams open can never lock the console out (when the
 * console's own slots are full, its oldest stream makes room for the new one).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { obfuscateKey } from '../logger.ts';

export interface StreamFilter {
  apiId?: string;
  type?: string;
}

/** Who opened a stream: the web console (it says so with `x-firehook-client: console`) or anyone else. */
export type StreamClientKind = 'console' | 'api';

interface Client {
  res: ServerResponse;
  filter: StreamFilter;
  dropped: number;
  kind: StreamClientKind;
}

interface Pending {
  at: number;
  apiId: string;
  type: string;
  matched: number;
  meta: unknown;
}

/** Most events buffered between two flushes; beyond it events are counted as dropped. */
const MAX_PENDING = 2_000;
const HEARTBEAT_MS = 15_000;
/** Streams API clients may hold open at once. */
export const MAX_STREAMS = 16;
/** Streams kept for the web console on top of {@link MAX_STREAMS}. */
const CONSOLE_STREAMS = 4;

export class EventStream {
  private readonly clients = new Set<Client>();
  private pending: Pending[] = [];
  private scheduled = false;
  private overflow = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private activeListener: ((active: boolean) => void) | undefined;

  /** Told when the first client arrives and the last one leaves. */
  onActiveChange(listener: (active: boolean) => void): void {
    this.activeListener = listener;
  }

  /** True while at least one client listens (the dispatcher observer checks this first). */
  get active(): boolean {
    return this.clients.size > 0;
  }

  get listeners(): number {
    return this.clients.size;
  }

  /** Queue one fired event for the listeners. */
  publish(apiId: string, type: string, matched: number, meta: unknown): void {
    if (this.pending.length >= MAX_PENDING) {
      this.overflow++;
      return;
    }
    this.pending.push({ at: Date.now(), apiId, type, matched, meta });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Send a named event to every client (registry changes, for the console). */
  broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.res.write(frame);
  }

  /** Serve one SSE client until it disconnects or the stream closes. Returns false when its kind's slots are full. */
  attach(req: IncomingMessage, res: ServerResponse, filter: StreamFilter, kind: StreamClientKind = 'api'): boolean {
    const same = [...this.clients].filter((c) => c.kind === kind);
    if (kind === 'api' && same.length >= MAX_STREAMS) return false;
    if (kind === 'console' && same.length >= CONSOLE_STREAMS) {
      const oldest = same[0]!;
      this.clients.delete(oldest);
      oldest.res.end();
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n: firehook event stream${filter.apiId ? ` api=${filter.apiId}` : ''}${filter.type ? ` type=${filter.type}` : ''}\n\n`);
    const client: Client = { res, filter, dropped: 0, kind };
    this.clients.add(client);
    if (this.clients.size === 1) this.activeListener?.(true);
    req.socket.setKeepAlive(true);
    const remove = (): void => {
      if (!this.clients.delete(client)) return;
      if (this.clients.size === 0) {
        this.stopHeartbeat();
        this.activeListener?.(false);
      }
    };
    res.on('close', remove);
    req.on('close', remove);
    this.heartbeat ??= setInterval(() => {
      for (const c of this.clients) c.res.write(': ping\n\n');
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
    return true;
  }

  /** End every stream (server shutdown). */
  close(): void {
    for (const c of this.clients) c.res.end();
    const had = this.clients.size > 0;
    this.clients.clear();
    if (had) this.activeListener?.(false);
    this.stopHeartbeat();
    this.pending = [];
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const overflow = this.overflow;
    this.overflow = 0;
    if (this.clients.size === 0) return;
    const frames = batch.map((p) => ({
      p,
      frame: `event: fired\ndata: ${JSON.stringify({ time: new Date(p.at).toISOString(), api_id: p.apiId, type: p.type, matched: p.matched, meta: safeMeta(p.meta) })}\n\n`,
    }));
    for (const c of this.clients) {
      let out = '';
      for (const { p, frame } of frames) {
        if ((c.filter.apiId === undefined || c.filter.apiId === p.apiId) && (c.filter.type === undefined || c.filter.type === p.type)) out += frame;
      }
      const lost = overflow + c.dropped;
      if (lost > 0) out += `event: dropped\ndata: ${JSON.stringify({ dropped: lost })}\n\n`;
      if (out === '') continue;
      // a client that cannot keep up loses events rather than growing our memory
      if (c.res.writableLength > 1024 * 1024) {
        c.dropped += frames.length;
        continue;
      }
      c.dropped = 0;
      c.res.write(out);
    }
  };
}

/** Metadata fit for an operator's screen: keys obfuscated, the originating request reduced to its size. */
export function safeMeta(meta: unknown): Record<string, unknown> {
  if (meta === null || typeof meta !== 'object') return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
    if (k === 'OriginatingRequest') out[k] = typeof v === 'string' && v !== '' ? `<${v.length} base64 chars>` : '';
    else if (k === 'Key' && typeof v === 'string') out[k] = v === '' ? '' : obfuscateKey(v);
    else out[k] = v;
  }
  return out;
}
