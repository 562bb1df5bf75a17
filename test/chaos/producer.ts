/**
 * An event producer posting to `POST /v1/events` the way a gateway would: JSON arrays of `batch`
 * events, `concurrency` requests in flight, optionally paced to `ratePerSec`. Every event carries
 * a unique id in its meta (`EventId`), which the webhook template puts in the body.
 * An event is *accepted* when the 202 for its request arrived. A request that fails (connection
 * refused or reset, timeout, any other status) is not retried: its events are counted as
 * not accepted (they may still be delivered if the runtime persisted them before failing).
 */
export interface ProducerOptions {
  /** Base URL of the runtime (`http://127.0.0.1:port`). */
  url: string;
  /** Events to send; the producer stops earlier when `stop()` is called. */
  total: number;
  batch: number;
  concurrency: number;
  /** Pace to this many events per second; unset: as fast as the runtime answers. */
  ratePerSec?: number;
  /** Id prefix, unique per run. */
  idPrefix: string;
  apiId?: string;
  type?: string;
  requestTimeoutMs?: number;
}

export interface Production {
  /** Ids whose 202 arrived. */
  readonly accepted: Set<string>;
  /** Ids whose request failed (no 202). */
  readonly rejected: Set<string>;
  /** Non-202 statuses and network errors seen, by kind. */
  readonly failures: Map<string, number>;
  /** Events handed to a request so far. */
  readonly sent: number;
  /** Resolves when every event was sent and answered (or `stop()` was called and in-flight requests ended). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export function produce(o: ProducerOptions): Production {
  const accepted = new Set<string>();
  const rejected = new Set<string>();
  const failures = new Map<string, number>();
  let next = 0;
  let sent = 0;
  let stopped = false;
  const started = performance.now();
  const apiId = o.apiId ?? 'chaos';
  const type = o.type ?? 'AuthFailure';

  const lane = async (): Promise<void> => {
    while (!stopped && next < o.total) {
      const from = next;
      const ids = Array.from({ length: Math.min(o.batch, o.total - from) }, (_, i) => `${o.idPrefix}-${from + i}`);
      next += ids.length;
      if (o.ratePerSec !== undefined) {
        const due = started + (from / o.ratePerSec) * 1000;
        const wait = due - performance.now();
        // pacing the load, not synchronisation
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (stopped) return;
      }
      sent += ids.length;
      const body = JSON.stringify(
        ids.map((id) => ({ api_id: apiId, type, meta: { Message: 'chaos', Path: '/chaos', Origin: '10.0.0.1', Key: id, EventId: id } })),
      );
      let outcome: string;
      try {
        const res = await fetch(`${o.url}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(o.requestTimeoutMs ?? 15_000),
        });
        await res.arrayBuffer();
        outcome = res.status === 202 ? 'ok' : `status ${res.status}`;
      } catch (error) {
        outcome = networkError(error);
      }
      if (outcome === 'ok') for (const id of ids) accepted.add(id);
      else {
        for (const id of ids) rejected.add(id);
        failures.set(outcome, (failures.get(outcome) ?? 0) + 1);
        // a refused connection fails at once: do not spin while the runtime is down
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  };
  const done = Promise.all(Array.from({ length: o.concurrency }, lane)).then(() => undefined);
  return {
    accepted,
    rejected,
    failures,
    get sent() {
      return sent;
    },
    done,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

function networkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code) return cause.code;
  if ((error as Error).name === 'TimeoutError') return 'timeout';
  return (error as Error).name || 'error';
}
