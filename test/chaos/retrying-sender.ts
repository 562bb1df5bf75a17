/**
 * A sender that retries the way the ingestion contract asks: each body is posted until it is
 * answered 202, again and again with the same bytes (and the same `Idempotency-Key` when it uses
 * one), after `Retry-After` on 429 and 503 and after a short pause on network errors. Its events
 * are *accepted* once the 202 arrived. `abortFirstMs` cuts the first try of every other body
 * short on the client side, so the runtime may have taken it while the sender never heard: the
 * retry must then find the deliveries already written.
 */
export type KeyMode = 'idempotency-key' | 'event-id' | 'content';

export interface RetryingSenderOptions {
  url: string;
  /** Bodies to send, each a list of event ids. */
  bodies: string[][];
  concurrency: number;
  keyMode: (lane: number) => KeyMode;
  apiId?: string;
  abortFirstMs?: number;
  /** Give up on a body after this long (the test then fails on what was not accepted). */
  giveUpMs?: number;
}

export interface RetryingSending {
  readonly accepted: Set<string>;
  /** Answers other than 202, by status or network error, counted per try. */
  readonly answers: Map<string, number>;
  /** Tries beyond the first, over all bodies. */
  readonly retries: number;
  /** First tries cut short by the sender. */
  readonly aborted: number;
  /** Bodies given up on. */
  readonly abandoned: number;
  readonly done: Promise<void>;
}

export function sendWithRetries(o: RetryingSenderOptions): RetryingSending {
  const accepted = new Set<string>();
  const answers = new Map<string, number>();
  const count = (k: string): void => void answers.set(k, (answers.get(k) ?? 0) + 1);
  let retries = 0;
  let aborted = 0;
  let abandoned = 0;
  let next = 0;
  const apiId = o.apiId ?? 'chaos';
  const lane = async (laneNo: number): Promise<void> => {
    while (next < o.bodies.length) {
      const bodyNo = next++;
      const ids = o.bodies[bodyNo]!;
      const mode = o.keyMode(laneNo);
      const body = JSON.stringify(
        ids.map((id) => ({
          ...(mode === 'event-id' ? { id: `evt-${id}` } : {}),
          api_id: apiId,
          type: 'AuthFailure',
          meta: { Message: 'chaos', Path: '/chaos', Origin: '10.0.0.1', Key: id, EventId: id },
        })),
      );
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (mode === 'idempotency-key') headers['idempotency-key'] = `body-${bodyNo}-${ids[0]}`;
      const started = Date.now();
      for (let attempt = 0; ; attempt++) {
        if (attempt > 0) retries++;
        const cut = attempt === 0 && o.abortFirstMs !== undefined && bodyNo % 2 === 1;
        let wait = 100;
        try {
          const res = await fetch(`${o.url}/v1/events`, { method: 'POST', headers, body, signal: AbortSignal.timeout(cut ? o.abortFirstMs! : 60_000) });
          await res.arrayBuffer();
          if (res.status === 202) {
            for (const id of ids) accepted.add(id);
            break;
          }
          count(`status ${res.status}`);
          const after = Number(res.headers.get('retry-after'));
          if (Number.isFinite(after) && after > 0) wait = after * 1000;
        } catch (error) {
          if (cut) aborted++;
          else count(networkError(error));
        }
        if (Date.now() - started > (o.giveUpMs ?? 120_000)) {
          abandoned++;
          break;
        }
        // the sender's back-off, as the contract asks (Retry-After), not synchronisation
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };
  const done = Promise.all(Array.from({ length: o.concurrency }, (_, i) => lane(i))).then(() => undefined);
  return {
    accepted,
    answers,
    get retries() {
      return retries;
    },
    get aborted() {
      return aborted;
    },
    get abandoned() {
      return abandoned;
    },
    done,
  };
}

function networkError(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  if (cause?.code) return cause.code;
  if ((error as Error).name === 'TimeoutError') return 'timeout';
  return (error as Error).name || 'error';
}
