/**
 * A counting webhook receiver on 127.0.0.1 that records, per event id (the `id` field of the JSON
 * body), the `webhook-id` header of every request it answered 2xx. Duplicates under the same
 * `webhook-id` are what a receiver can de-duplicate; a second `webhook-id` for one event is a
 * second delivery of it.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WebhookIdReceiver {
  readonly url: string;
  /** Event id -> 2xx answers given for it (the shape tally.ts counts). */
  readonly delivered: Map<string, number>;
  /** Event id -> the `webhook-id`s of those answers, in order. */
  readonly webhookIds: Map<string, string[]>;
  close(): Promise<void>;
}

export interface WebhookIdFigures {
  /** Distinct `webhook-id`s over all answers: the deliveries that reached the receiver. */
  deliveries: number;
  /** Event ids answered under more than one `webhook-id` (each a delivery created twice), up to 5. */
  multiplied: string[];
  multipliedCount: number;
}

export async function startWebhookIdReceiver(options: { delayMs?: number } = {}): Promise<WebhookIdReceiver> {
  const delivered = new Map<string, number>();
  const webhookIds = new Map<string, string[]>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = eventId(Buffer.concat(chunks).toString('utf8'));
      const webhookId = String(req.headers['webhook-id'] ?? '');
      const answer = (): void => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('ok', () => {
          // counted once the answer is handed to the socket, not before
          if (id === undefined) return;
          delivered.set(id, (delivered.get(id) ?? 0) + 1);
          const list = webhookIds.get(id);
          if (list) list.push(webhookId);
          else webhookIds.set(id, [webhookId]);
        });
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    delivered,
    webhookIds,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function webhookIdFigures(receiver: WebhookIdReceiver): WebhookIdFigures {
  const all = new Set<string>();
  const multiplied: string[] = [];
  for (const [id, list] of receiver.webhookIds) {
    for (const w of list) all.add(w);
    if (new Set(list).size > 1) multiplied.push(id);
  }
  return { deliveries: all.size, multiplied: multiplied.slice(0, 5), multipliedCount: multiplied.length };
}

function eventId(body: string): string | undefined {
  try {
    const id = (JSON.parse(body) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
