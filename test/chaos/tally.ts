/**
 * Counting a chaos run: what the producer was told was accepted (202) against what a receiver
 * answered 2xx for, and whether the durable outbox in Redis still holds work.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_DELIVERY_KEY_PREFIX, deliveryKeys, field } from '../../core/delivery/redis-admin.ts';
import { eventually } from '../helpers/poll.ts';

export interface Tally {
  accepted: number;
  /** Distinct accepted ids answered 2xx at least once. */
  delivered: number;
  /** 2xx answers beyond the first, over all ids. */
  duplicated: number;
  /** Accepted ids never answered 2xx. */
  lost: number;
  /** Up to 5 lost ids, for the failure message. */
  lostSample: string[];
}

export function tally(accepted: ReadonlySet<string>, delivered: ReadonlyMap<string, number>): Tally {
  let count = 0;
  let duplicated = 0;
  const lost: string[] = [];
  for (const n of delivered.values()) duplicated += Math.max(0, n - 1);
  for (const id of accepted) {
    if ((delivered.get(id) ?? 0) > 0) count++;
    else lost.push(id);
  }
  return { accepted: accepted.size, delivered: count, duplicated, lost: lost.length, lostSample: lost.slice(0, 5) };
}

/** Print the run's line (`chaos <scenario>: accepted N, delivered N, duplicated N, lost N`) and return it. */
export function printTally(scenario: string, t: Tally, extra = ''): string {
  const line = `chaos ${scenario}: accepted ${t.accepted}, delivered ${t.delivered}, duplicated ${t.duplicated}, lost ${t.lost}${extra ? ` (${extra})` : ''}`;
  console.log(line);
  return line;
}

const { outbox: OUTBOX, delayed: DELAYED, dead: DEAD, done: DONE } = deliveryKeys(DEFAULT_DELIVERY_KEY_PREFIX);

/** What the durable outbox still holds: unread and pending stream entries, scheduled retries, dead letters. */
export async function outboxBacklog(redis: Redis): Promise<{ unread: number; pending: number; delayed: number; dead: number }> {
  const groups = (await redis.xinfo('GROUPS', OUTBOX).catch(() => [])) as unknown[][];
  let unread = 0;
  let pending = 0;
  for (const g of groups) {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
    pending += Number(info.get('pending') ?? 0);
    // entries after the group's last-delivered id were never read by any worker
    const after = await redis.xrange(OUTBOX, `(${String(info.get('last-delivered-id') ?? '0-0')}`, '+', 'COUNT', 1000);
    unread += after.length;
  }
  const [delayed, dead] = await Promise.all([redis.zcard(DELAYED), redis.xlen(DEAD)]);
  return { unread, pending, delayed, dead };
}

/**
 * Wait until every accepted id was delivered and the outbox holds nothing (so no redelivery, and
 * no duplicate, can still come), or the deadline passes; then the caller counts.
 */
export async function waitSettled(accepted: ReadonlySet<string>, delivered: ReadonlyMap<string, number>, redis: Redis, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await eventually(() => tally(accepted, delivered).lost === 0 || Date.now() > deadline - 1, 'every accepted event delivered', timeoutMs);
  await eventually(
    async () => {
      if (Date.now() > deadline - 1) return true;
      const b = await outboxBacklog(redis);
      return b.unread === 0 && b.pending === 0 && b.delayed === 0;
    },
    'outbox empty',
    timeoutMs,
  );
}

/** 2xx answers given so far, over all ids. */
export function answered(delivered: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const count of delivered.values()) n += count;
  return n;
}

/** Event ids delivered under more than one `webhook-id` (a new delivery, not a redelivery), up to 5. */
export function multiplied(webhookIds: ReadonlyMap<string, ReadonlySet<string>>): { count: number; sample: string[] } {
  const ids = [...webhookIds].filter(([, seen]) => seen.size > 1).map(([id]) => id);
  return { count: ids.length, sample: ids.slice(0, 5) };
}

/**
 * The receiver's `webhook-id` figures: distinct ids over all answers (the deliveries that reached
 * it) and the events answered under more than one (each a delivery created twice).
 */
export function webhookIdFigures(webhookIds: ReadonlyMap<string, ReadonlySet<string>>): { deliveries: number; multiplied: string[]; multipliedCount: number } {
  const all = new Set<string>();
  for (const seen of webhookIds.values()) for (const id of seen) all.add(id);
  const twice = multiplied(webhookIds);
  return { deliveries: all.size, multiplied: twice.sample, multipliedCount: twice.count };
}

/** Consumer names in the outbox group (XINFO CONSUMERS). */
export async function groupConsumers(redis: Redis): Promise<string[]> {
  const list = (await redis.xinfo('CONSUMERS', OUTBOX, 'firehook').catch(() => [])) as unknown[][];
  return list.map((c) => String(c[c.indexOf('name') + 1])).sort();
}

/** Pending (read, unacknowledged) outbox entries per consumer name. */
export async function pendingByConsumer(redis: Redis): Promise<Record<string, number>> {
  const summary = (await redis.xpending(OUTBOX, 'firehook').catch(() => [0, null, null, null])) as [
    number,
    string | null,
    string | null,
    [string, string][] | null,
  ];
  return Object.fromEntries((summary[3] ?? []).map(([consumer, count]) => [consumer, Number(count)]));
}

/**
 * Deliveries in pending (read, unacknowledged) entries not yet noted as settled: what a takeover
 * can send again. An entry holds one delivery (`d`) or several (`n`, `b`); settled ones of an entry
 * still pending are listed in the done hash.
 */
export async function unsettledInPending(redis: Redis): Promise<number> {
  const pending = (await redis.xpending(OUTBOX, 'firehook', '-', '+', 100_000).catch(() => [])) as [string, ...unknown[]][];
  let unsettled = 0;
  for (const [id] of pending) {
    const [entry] = (await redis.xrange(OUTBOX, id, id)) as [string, string[]][];
    if (!entry) continue;
    const size = Number(field(entry[1], 'n') ?? 1);
    const done = await redis.hget(DONE, id);
    unsettled += size - (done ? done.split(',').length : 0);
  }
  return unsettled;
}
