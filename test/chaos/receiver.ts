/**
 * A webhook receiver on 127.0.0.1 that counts, per event id (the `id` field of the JSON body),
 * how many times it answered 2xx. Only a 2xx counts as delivered: a request the receiver refused,
 * failed or never answered was not delivered, whatever reached its socket.
 * Modes (switchable mid-burst): `ok` answers 200; `refuse` closes the listener (connection refused)
 * and drops open connections; `error` answers 503; `hang` holds requests without answering (the
 * sender times out; held sockets are destroyed when the mode changes). `flap(...)` alternates
 * `ok` and `refuse`.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ReceiverMode = 'ok' | 'refuse' | 'error' | 'hang';

export interface Receiver {
  readonly url: string;
  readonly mode: ReceiverMode;
  /** Event id -> 2xx answers given for it. */
  readonly delivered: Map<string, number>;
  /** Event id -> the `webhook-id` headers of its 2xx answers (a redelivery of one delivery keeps its id). */
  readonly webhookIds: Map<string, Set<string>>;
  /** Values of the X-Chaos-Revision header seen (the API definition revision that sent it). */
  readonly revisions: Set<string>;
  /** Requests that reached the handler (any outcome). */
  readonly arrivals: number;
  /** Requests answered with a non-2xx or held without answer. */
  readonly failedAnswers: number;
  setMode(mode: ReceiverMode): Promise<void>;
  /** Alternate refuse/ok every `periodMs` for `totalMs`, ending in `ok`. */
  flap(periodMs: number, totalMs: number): Promise<void>;
  close(): Promise<void>;
}

/** `delayMs`: how long an `ok` answer takes (so attempts are in flight when a fault strikes). */
export async function startReceiver(options: { delayMs?: number } = {}): Promise<Receiver> {
  let mode: ReceiverMode = 'ok';
  let arrivals = 0;
  let failedAnswers = 0;
  const delivered = new Map<string, number>();
  const webhookIds = new Map<string, Set<string>>();
  const revisions = new Set<string>();
  const held = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      arrivals++;
      const revision = req.headers['x-chaos-revision'];
      if (typeof revision === 'string') revisions.add(revision);
      if (mode === 'hang') {
        failedAnswers++;
        held.add(res);
        res.once('close', () => held.delete(res));
        return;
      }
      if (mode !== 'ok') {
        failedAnswers++;
        res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
        return;
      }
      const id = eventId(Buffer.concat(chunks).toString('utf8'));
      const webhookId = req.headers['webhook-id'];
      const answer = (): void => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok', () => {
          // counted once the answer is handed to the socket, not before
          if (id !== undefined) {
            delivered.set(id, (delivered.get(id) ?? 0) + 1);
            if (typeof webhookId === 'string') {
              const seen = webhookIds.get(id) ?? new Set<string>();
              webhookIds.set(id, seen.add(webhookId));
            }
          }
        });
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const unlisten = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const releaseHeld = (): void => {
    for (const res of held) res.socket?.destroy();
    held.clear();
  };

  const setMode = async (next: ReceiverMode): Promise<void> => {
    if (next === mode) return;
    const previous = mode;
    mode = next;
    if (previous === 'hang') releaseHeld();
    if (next === 'refuse') await unlisten();
    if (previous === 'refuse') await listen();
  };

  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    delivered,
    webhookIds,
    revisions,
    get arrivals() {
      return arrivals;
    },
    get failedAnswers() {
      return failedAnswers;
    },
    setMode,
    async flap(periodMs, totalMs) {
      const end = Date.now() + totalMs;
      while (Date.now() < end) {
        await setMode(mode === 'refuse' ? 'ok' : 'refuse');
        // the fault pattern itself: a pause between flips, not synchronisation
        await new Promise((resolve) => setTimeout(resolve, periodMs));
      }
      await setMode('ok');
    },
    async close() {
      releaseHeld();
      if (mode !== 'refuse') await unlisten();
    },
  };
}

function eventId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
