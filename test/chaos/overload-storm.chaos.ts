/**
 * Chaos: durable ingestion overloaded (real CLI, its own Redis, a receiver recording every event id
 * and `webhook-id`). The handler queue holds 1 000 events (`dispatch.queue_size`).
 *
 * 1. One body of 1 600 events can never fit: 413 naming the limit, and nothing of it persisted or
 *    delivered (it used to be 503 for ever, each try persisting and delivering the first 1 000
 *    again under new ids).
 * 2. Eight senders post 900-event bodies at once (21 600 events; the handler takes one event at a
 *    time, so only one body fits the queue at once and the others wait or get 429), retrying each body on 429/503 or a
 *    network error until 202, the first try of every other body cut short by the sender (the runtime
 *    may have taken it unheard). Keys: the request's Idempotency-Key, the events' `id`, or their
 *    content, by lane.
 *
 * Asserted: every event answered 202 is delivered; no event is delivered under two `webhook-id`s
 * (a retry never creates a delivery: distinct webhook-ids == distinct events); duplicates only
 * under the same `webhook-id`. No fault strikes the delivery side here, so duplicated is expected
 * to be 0; it is printed, bounded by the attempts that timed out (none expected).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CliProcess } from '../helpers/cli.ts';
import { startRedis, type RedisProcess } from './redis-process.ts';
import { sendWithRetries, type KeyMode } from './retrying-sender.ts';
import { printTally, tally, waitSettled, webhookIdFigures } from './tally.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { createWorkspace, startFirehook, type Workspace } from './workspace.ts';

const QUEUE = 1_000;
const SENDERS = 8;
const BODY = 900;
const BODIES = 24;
const OUTBOX = '{firehook:delivery}:outbox';

let redis: RedisProcess;
let receiver: Receiver;
let ws: Workspace;
let cli: CliProcess | undefined;
beforeAll(async () => {
  redis = await startRedis({ persistent: false });
  receiver = await startReceiver();
  ws = await createWorkspace({ redisUrl: redis.url, targets: [receiver.url], gateway: { dispatch: { queue_size: QUEUE, concurrency: 1 } } });
  cli = await startFirehook(ws);
});
afterAll(async () => {
  await cli?.stop('SIGKILL');
  await receiver?.close();
  await redis?.close();
  await ws?.remove();
});

const ids = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('durable ingestion overloaded (chaos)', () => {
  it('refuses a body that can never fit with 413 and persists nothing of it', async () => {
    const big = ids('big', QUEUE + 600);
    const body = JSON.stringify(big.map((id) => ({ api_id: 'chaos', type: 'AuthFailure', meta: { Key: id, EventId: id } })));
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${ws.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(413);
      expect(res.headers.get('x-firehook-error-code')).toBe('FH_INGEST_TOO_LARGE');
      // ingest_max_events defaults to dispatch.queue_size: refused before the queues are asked
      expect(await res.text()).toMatch(/more than 1000 events .*ingest_max_events/);
    }
    // refused before anything reached a handler: the outbox was never written
    expect(await redis.client.xlen(OUTBOX)).toBe(0);
    console.log(`chaos overload-413: 3 tries of a ${big.length}-event body: 413 each, ${await redis.client.xlen(OUTBOX)} outbox entries, 0 accepted`);
  });

  it('delivers every accepted event once per webhook-id when concurrent senders over capacity retry until 202', async () => {
    const bodies = Array.from({ length: BODIES }, (_, b) => ids(`storm${b}`, BODY));
    const modes: KeyMode[] = ['idempotency-key', 'event-id', 'content', 'idempotency-key'];
    const sending = sendWithRetries({ url: ws.url, bodies, concurrency: SENDERS, keyMode: (lane) => modes[lane % modes.length]!, abortFirstMs: 150 });
    await sending.done;
    expect(sending.abandoned, 'bodies never accepted').toBe(0);
    await waitSettled(sending.accepted, receiver.delivered, redis.client, 150_000);
    const t = tally(sending.accepted, receiver.delivered);
    const w = webhookIdFigures(receiver.webhookIds);
    const big = [...receiver.delivered.keys()].filter((id) => id.startsWith('big-')).length;
    printTally(
      'overload-storm',
      t,
      `${BODIES} bodies of ${BODY} events from ${SENDERS} senders, queue_size ${QUEUE}; ${sending.retries} retries, ${sending.aborted} first tries cut short, answers ${JSON.stringify(Object.fromEntries(sending.answers))}; ${w.deliveries} distinct webhook-ids for ${receiver.delivered.size} events, ${w.multipliedCount} events under two webhook-ids; ${big} from the 413 body`,
    );
    expect(t.accepted).toBe(BODIES * BODY);
    expect(t.lost, `lost ${t.lostSample.join(', ')}`).toBe(0);
    expect(w.multipliedCount, `delivered under two webhook-ids: ${w.multiplied.join(', ')}`).toBe(0);
    expect(w.deliveries).toBe(receiver.delivered.size);
    expect(receiver.delivered.size).toBe(t.accepted);
    expect(big).toBe(0);
    // no request got 503 FH_DISPATCH_DROPPED: pressure is answered 429 before anything is taken
    expect(sending.answers.get('status 503') ?? 0).toBe(0);
  });
});
