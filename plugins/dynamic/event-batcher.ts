import { SandboxError, type RunItem, type RunResult } from '../../sandbox/index.ts';

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Collects the events handed to JS handlers during one tick and sends them to the sandbox in one
 * `run` call (the sandbox splits them into crossings of at most its batch size); throughput
 * comes from crossing the isolate boundary once per many events. Each event's promise settles
 * with `settle(result)`: its value, or the error it throws.
 */
export class EventBatcher<T> {
  private items: RunItem[] = [];
  private waiters: Array<Waiter<T>> = [];
  private scheduled = false;
  private readonly run: (items: RunItem[]) => Promise<RunResult[]>;
  private readonly settle: (result: RunResult) => T;
  private readonly maxItems: number;

  constructor(run: (items: RunItem[]) => Promise<RunResult[]>, settle: (result: RunResult) => T, maxItems = 4_096) {
    this.run = run;
    this.settle = settle;
    this.maxItems = maxItems;
  }

  submit(item: RunItem): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.items.push(item);
      this.waiters.push({ resolve, reject });
      if (this.items.length >= this.maxItems) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.items.length === 0) return;
    const items = this.items;
    const waiters = this.waiters;
    this.items = [];
    this.waiters = [];
    this.run(items).then(
      (results) => {
        for (let i = 0; i < waiters.length; i++) {
          try {
            waiters[i]!.resolve(this.settle(results[i]!));
          } catch (error) {
            waiters[i]!.reject(error);
          }
        }
      },
      (error: unknown) => {
        const failure = new SandboxError('FH_SANDBOX_UNAVAILABLE', `the sandbox did not run the batch: ${String((error as Error)?.message ?? error)}`);
        for (const w of waiters) {
          try {
            w.resolve(this.settle({ ok: false, error: failure }));
          } catch (thrown) {
            w.reject(thrown);
          }
        }
      },
    );
  };
}
