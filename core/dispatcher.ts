import type { HandlerReport, ReportCallback, SlotObserver } from './dispatch/handler-slot.ts';
import type { EventMessage, EventMeta, EventType, MetaInput } from './event.ts';
import type { Generation } from './generation.ts';
import { formatGoTime } from './go-time.ts';
import type { Logger } from './logger.ts';

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

  /** Fire an API event; returns how many handlers it was queued for. */
  fire<T extends EventType>(apiId: string, type: T, meta: MetaInput<T>, time?: EventTime, report?: ReportCallback): number {
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
      const event = buildEvent(type, meta as EventMeta, apiId, generation.routes.orgOf(apiId), time);
      for (let i = 0; i < slots.length; i++) slots[i]!.enqueue(event, report);
      if (this.observer !== undefined) this.observer(apiId, type, slots.length, meta);
      return slots.length;
    } catch (error) {
      this.logger.error({ err: error, event: type, api_id: apiId }, 'fire failed');
      return 0;
    }
  }

  /** Fire a system (gateway-level) event. */
  fireSystem<T extends EventType>(type: T, meta: MetaInput<T>, time?: EventTime, report?: ReportCallback): number {
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
      const event = buildEvent(type, meta as EventMeta, '', '', time);
      for (let i = 0; i < slots.length; i++) slots[i]!.enqueue(event, report);
      if (this.observer !== undefined) this.observer('', type, slots.length, meta);
      return slots.length;
    } catch (error) {
      this.logger.error({ err: error, event: type }, 'fireSystem failed');
      return 0;
    }
  }

  /** Fire and resolve with what each handler did (for the CLI's `fire` and tests). */
  fireAndWait<T extends EventType>(apiId: string | undefined, type: T, meta: MetaInput<T>, time?: EventTime): Promise<HandlerReport[]> {
    return new Promise((resolve) => {
      const reports: HandlerReport[] = [];
      let expected = Number.POSITIVE_INFINITY;
      const collect = (r: HandlerReport): void => {
        reports.push(r);
        if (reports.length >= expected) resolve(reports);
      };
      expected = apiId === undefined ? this.fireSystem(type, meta, time, collect) : this.fire(apiId, type, meta, time, collect);
      if (reports.length >= expected) resolve(reports);
    });
  }
}

/** Build the message once: Tyk's `{Type, Meta, TimeStamp}` with Meta starting Message, OriginatingRequest. */
export function buildEvent(type: EventType, meta: EventMeta | undefined, apiId: string, orgId: string, time?: EventTime): EventMessage {
  const epochMs = time?.epochMs ?? Date.now();
  const m = meta ?? {};
  const full = m.Message !== undefined && m.OriginatingRequest !== undefined ? m : { Message: m.Message ?? '', OriginatingRequest: m.OriginatingRequest ?? '', ...m };
  return Object.freeze({ Type: type, Meta: full, TimeStamp: formatGoTime(epochMs, time?.nanosOfSecond), apiId, orgId, time: epochMs });
}
