import { SandboxError, type RunItem, type RunResult } from '../../sandbox/index.ts';

/**
 * Collects the events handed to JS handlers during one tick and sends them to the sandbox in one
 * `run` call (the sandbox splits them into crossings of at most its batch size); throughput
 * comes from crossing the isolate boundary once per many events.
 */
export class EventBatcher {
  private items: RunItem[] = [];
  private waiters: Array<(result: RunResult) => void> = [];
  private scheduled = false;
  private readonly run: (items: RunItem[]) => Promise<RunResult[]>;
  private readonly maxItems: number;

  constructor(run: (items: RunItem[]) => Promise<RunResult[]>, maxItems = 4_096) {
    this.run = run;
    this.maxItems = maxItems;
  }

  submit(item: RunItem): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      this.items.push(item);
      this.waiters.push(resolve);
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
        for (let i = 0; i < waiters.length; i++) waiters[i]!(results[i]!);
      },
      (error: unknown) => {
        const failure = new SandboxError('FH_SANDBOX_UNAVAILABLE', `the sandbox did not run the batch: ${String((error as Error)?.message ?? error)}`);
        for (const w of waiters) w({ ok: false, error: failure });
      },
    );
  };
}
