import type { HandlerReport, HandlerSlot, ReportCallback, SlotObserver } from './handler-slot.ts';
import type { EventMessage, EventMeta, EventType, MetaInput } from '../event.ts';
import type { Generation } from '../generation.ts';
import { formatGoTime } from '../go/time.ts';
import type { Logger } from '../logger.ts';

/** When an event happened: epoch ms, with nanoseconds of the second when known (RFC 3339 input). */
export interface EventTime {
  epochMs: number;
  nanosOfSecond?: number;
}

/**
 * Called for accepted fires after routing (metrics, the console's live stream). Runs on the
 * caller's stack, so it must be cheap and must not throw; `matched` is 0 for unmatched events.
 * System events have `apiId` `""`.
 */
export type FireObserver = (apiId: string, type: string, matched: number, meta: unknown) => void;

/** One event of a batch fired together (ingestion). */
export interface BatchEvent {
  /** `undefined` fires a system event. */
  apiId: string | undefined;
  type: EventType;
  meta: EventMeta;
  time?: EventTime | undefined;
  /** Identifies the event across retries; handlers derive their delivery ids from it. */
  idempotencyKey?: string | undefined;
}

/**
 * What {@link Dispatcher.admit} did with a batch: fired it whole (`admitted`, with every event's
 * handler reports to come), or nothing of it: `too-large` (a handler's queue can never hold that
 * many of its events), `busy` (no room within the wait).
 */
export type Admission =
  | { status: 'admitted'; reports: Promise<HandlerReport[][]> }
  | { status: 'too-large'; handler: string; events: number; capacity: number }
  | { status: 'busy'; handler: string };

export interface DispatchCounters {
  fired: number;
  matched: number;
  unmatched: number;
  rejected: number;
}

/**
 * The data path's entry: look up the current generation's handlers for (api, type) in its
 * precomputed table and enqueue one shared, frozen event on each. Synchronous; never throws.
 */
export class Dispatcher {
  private generation: Generation | undefined;
  private closed = false;
  private observer: FireObserver | undefined;
  /** Unmatched events are observed only while someone needs them (the live stream): the no-handler path stays at a counter. */
  private unmatchedObserver: FireObserver | undefined;
  private slotObserver: SlotObserver | undefined;
  readonly counters: DispatchCounters = { fired: 0, matched: 0, unmatched: 0, rejected: 0 };

  constructor(private readonly logger: Logger) {}

  /** Observe unmatched fires too (or stop, with `undefined`); see {@link observe}. */
  observeUnmatched(observer: FireObserver | undefined): void {
    this.unmatchedObserver = observer;
  }

  /** Swap in a new generation; the previous one keeps its queued events. */
  use(generation: Generation): Generation | undefined {
    const previous = this.generation;
    if (this.slotObserver !== undefined) for (const slot of generation.slots) slot.observe(this.slotObserver);
    this.generation = generation;
    return previous;
  }

  /**
   * Observe matched fires (and unmatched ones with `unmatched`) and handler outcomes; `undefined`
   * stops observing. Unmatched events are otherwise only counted (`counters.unmatched`).
   */
  observe(fire: FireObserver | undefined, slots?: SlotObserver, unmatched?: FireObserver): void {
    this.observer = fire;
    this.unmatchedObserver = unmatched;
    this.slotObserver = slots;
    if (slots !== undefined && this.generation !== undefined) for (const slot of this.generation.slots) slot.observe(slots);
  }

  current(): Generation | undefined {
    return this.generation;
  }

  /** Stop intake; later fires are counted as rejected. */
  stop(): void {
    this.closed = true;
  }

  get stopped(): boolean {
    return this.closed;
  }

  /**
   * Fire a batch whole or not at all, without the overflow policy dropping any of it: it is fired
   * once every handler queue it goes to has room for all of its events there, waiting up to
   * `waitMs` for that room. A batch with more events for one handler than its queue holds
   * (`dispatch.queue_size`) can never fit. A stopped dispatcher takes the batch as before (every
   * event counted as rejected, no reports).
   */
  async admit(events: readonly BatchEvent[], waitMs: number): Promise<Admission> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const generation = this.generation;
      let short: HandlerSlot | undefined;
      if (!this.closed && generation !== undefined) {
        const demand = new Map<HandlerSlot, number>();
        for (const e of events) {
          const slots = e.apiId === undefined ? generation.routes.lookupSystem(e.type) : generation.routes.lookup(e.apiId, e.type);
          if (slots !== undefined) for (const slot of slots) demand.set(slot, (demand.get(slot) ?? 0) + 1);
        }
        for (const [slot, n] of demand) {
          if (n > slot.capacity) return { status: 'too-large', handler: slot.info.handler, events: n, capacity: slot.capacity };
          if (short === undefined && n > slot.free()) short = slot;
        }
      }
      if (short === undefined) {
        // Room everywhere: fire all of it now, synchronously, so nothing can take the room first.
        const reports = events.map((e) => this.fireAndWait(e.apiId, e.type, e.meta as MetaInput<EventType>, e.time, e.idempotencyKey));
        return { status: 'admitted', reports: Promise.all(reports) };
      }
      const left = deadline - Date.now();
      if (left <= 0) return { status: 'busy', handler: short.info.handler };
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([short.whenSpace(), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  }

  /** Fire an API event; returns how many handlers it was queued for. */
  fire<T extends EventType>(apiId: string, type: T, meta: MetaInput<T>, time?: EventTime, report?: ReportCallback, idempotencyKey?: string): number {
    try {
      this.counters.fired++;
      const generation = this.generation;
      if (this.closed || generation === undefined) {
        this.counters.rejected++;
        return 0;
      }
      const slots = generation.routes.lookup(apiId, type);
      if (slots === undefined) {
        this.counters.unmatched++;
        if (this.unmatchedObserver !== undefined) this.unmatchedObserver(apiId, type, 0, meta);
        return 0;
      }
      this.counters.matched++;
      const event = buildEvent(type, meta as EventMeta, apiId, generation.routes.orgOf(apiId), time, idempotencyKey);
      for (let i = 0; i < slots.length; i++) slots[i]!.enqueue(event, report);
      if (this.observer !== undefined) this.observer(apiId, type, slots.length, meta);
      return slots.length;
    } catch (error) {
      this.logger.error({ err: error, event: type, api_id: apiId }, 'fire failed');
      return 0;
    }
  }

  /** Fire a system (gateway-level) event. */
  fireSystem<T extends EventType>(type: T, meta: MetaInput<T>, time?: EventTime, report?: ReportCallback, idempotencyKey?: string): number {
    try {
      this.counters.fired++;
      const generation = this.generation;
      if (this.closed || generation === undefined) {
        this.counters.rejected++;
        return 0;
      }
      const slots = generation.routes.lookupSystem(type);
      if (slots === undefined) {
        this.counters.unmatched++;
        if (this.unmatchedObserver !== undefined) this.unmatchedObserver('', type, 0, meta);
        return 0;
      }
      this.counters.matched++;
      const event = buildEvent(type, meta as EventMeta, '', '', time, idempotencyKey);
      for (let i = 0; i < slots.length; i++) slots[i]!.enqueue(event, report);
      if (this.observer !== undefined) this.observer('', type, slots.length, meta);
      return slots.length;
    } catch (error) {
      this.logger.error({ err: error, event: type }, 'fireSystem failed');
      return 0;
    }
  }

  /** Fire and resolve with what each handler did (for the CLI's `fire` and tests). */
  fireAndWait<T extends EventType>(
    apiId: string | undefined,
    type: T,
    meta: MetaInput<T>,
    time?: EventTime,
    idempotencyKey?: string,
  ): Promise<HandlerReport[]> {
    return new Promise((resolve) => {
      const reports: HandlerReport[] = [];
      let expected = Number.POSITIVE_INFINITY;
      const collect = (r: HandlerReport): void => {
        reports.push(r);
        if (reports.length >= expected) resolve(reports);
      };
      expected = apiId === undefined ? this.fireSystem(type, meta, time, collect, idempotencyKey) : this.fire(apiId, type, meta, time, collect, idempotencyKey);
      if (reports.length >= expected) resolve(reports);
    });
  }
}

/** Build the message once: Tyk's `{Type, Meta, TimeStamp}` with Meta starting Message, OriginatingRequest. */
export function buildEvent(
  type: EventType,
  meta: EventMeta | undefined,
  apiId: string,
  orgId: string,
  time?: EventTime,
  idempotencyKey?: string,
): EventMessage {
  const epochMs = time?.epochMs ?? Date.now();
  const m = meta ?? {};
  const full =
    m.Message !== undefined && m.OriginatingRequest !== undefined ? m : { Message: m.Message ?? '', OriginatingRequest: m.OriginatingRequest ?? '', ...m };
  const event: EventMessage = { Type: type, Meta: full, TimeStamp: formatGoTime(epochMs, time?.nanosOfSecond), apiId, orgId, time: epochMs };
  if (idempotencyKey !== undefined) (event as { idempotencyKey?: string }).idempotencyKey = idempotencyKey;
  return Object.freeze(event);
}
