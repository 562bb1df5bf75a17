/**
 * Chaos: Redis is killed (SIGKILL) twice while events with a cooldown (`event_timeout: 120`) are
 * being submitted under durable delivery (real CLI, its own Redis with an append-only file fsynced
 * on every write, so whatever Redis acknowledged survives its restarts). The sender retries every
 * body until 202 (503 while Redis is down), with the same bytes.
 *
 * Every event has its own content, so its own cooldown key: none may be suppressed. The cooldown
 * claim and the outbox write are one Redis script, so a claim exists only with its delivery; a
 * retried event finds either nothing (and is written now) or its own delivery (same id: nothing
 * new). Before, the claim (SET NX) could succeed and the write fail; the retry then met the stale
 * claim, was answered 202 as a duplicate, and never delivered.
 *
 * Asserted: lost 0 (every event answered 202 delivered); no event under two `webhook-id`s.
 * Duplicates (same `webhook-id`) can come only from attempts answered 2xx whose record and
 * acknowledgement could not be written while Redis was down (the entry stays pending and is sent
 * again when taken over): the runtime logs each (FH_DELIVERY_PERSIST_FAILED naming the delivery),
 * and duplicated must stay within that count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CliProcess } from '../helpers/cli.ts';
import { eventually } from '../helpers/poll.ts';
import { startRedis, type RedisProcess } from './redis-process.ts';
import { sendWithRetries, type KeyMode } from './retrying-sender.ts';
import { answered, printTally, tally, waitSettled, webhookIdFigures } from './tally.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { createWorkspace, startFirehook, type Workspace } from './workspace.ts';

const BODIES = 400;
const BODY = 10;
const KILLS = 2;
const DOWN_MS = 1_500;

let redis: RedisProcess;
let receiver: Receiver;
let ws: Workspace;
let cli: CliProcess | undefined;
beforeAll(async () => {
  redis = await startRedis({ persistent: true });
  receiver = await startReceiver({ delayMs: 5 });
  ws = await createWorkspace({
    redisUrl: redis.url,
    targets: [receiver.url],
    webhook: { event_timeout: 120 },
    // a long attempt timeout: a slow answer on a loaded machine is not re-sent as a duplicate
    gateway: { webhooks: { timeout: '10s', retry_schedule: ['100ms', '200ms', '500ms', ...Array<string>(27).fill('1s')], max_concurrency_per_target: 16 } },
  });
  cli = await startFirehook(ws);
});
afterAll(async () => {
  await cli?.stop('SIGKILL');
  await receiver?.close();
  await redis?.close();
  await ws?.remove();
});

describe('cooldown claims with Redis killed (chaos)', () => {
  it('loses no accepted event when Redis dies while events with a cooldown are submitted', async () => {
    const bodies = Array.from({ length: BODIES }, (_, b) => Array.from({ length: BODY }, (_, i) => `cool${b}-${i}`));
    const modes: KeyMode[] = ['content', 'idempotency-key', 'event-id', 'content'];
    const sending = sendWithRetries({ url: ws.url, bodies, concurrency: 4, keyMode: (lane) => modes[lane % modes.length]!, abortFirstMs: 100 });
    let outageAnswers = 0;
    const unrecorded = (): number =>
      new Set(cli!.lines.filter((l) => l.code === 'FH_DELIVERY_PERSIST_FAILED' && typeof l.delivery === 'string').map((l) => l.delivery)).size;
    for (let k = 0; k < KILLS; k++) {
      const target = ((k + 1) * BODIES * BODY) / (KILLS + 1);
      await eventually(() => sending.accepted.size >= target || sending.accepted.size === BODIES * BODY, `burst past ${target} accepted`, 120_000);
      const before = answered(receiver.delivered);
      await redis.restart(DOWN_MS, true);
      await eventually(async () => (await fetch(`${ws.url}/readyz`).catch(() => undefined))?.status === 200, 'runtime reconnected to Redis', 30_000);
      outageAnswers += answered(receiver.delivered) - before;
    }
    await sending.done;
    expect(sending.abandoned, 'bodies never accepted').toBe(0);
    await waitSettled(sending.accepted, receiver.delivered, redis.client, 150_000);
    const t = tally(sending.accepted, receiver.delivered);
    const w = webhookIdFigures(receiver.webhookIds);
    printTally(
      'cooldown-redis-down',
      t,
      `event_timeout 120, Redis SIGKILLed ${KILLS}x for ${DOWN_MS} ms (AOF, fsync always); ${sending.retries} retries, ${sending.aborted} first tries cut short, answers ${JSON.stringify(Object.fromEntries(sending.answers))}; ${outageAnswers} 2xx answers from the kills until ready, ${unrecorded()} attempts whose record failed; ${w.deliveries} distinct webhook-ids for ${receiver.delivered.size} events, ${w.multipliedCount} events under two webhook-ids`,
    );
    expect(t.accepted).toBe(BODIES * BODY);
    expect(t.lost, `lost ${t.lostSample.join(', ')}`).toBe(0);
    expect(w.multipliedCount, `delivered under two webhook-ids: ${w.multiplied.join(', ')}`).toBe(0);
    expect(t.duplicated).toBeLessThanOrEqual(unrecorded());
  });
});
