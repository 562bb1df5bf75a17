/**
 * Tyk's rate circuit breaker for one `circuit_breakers` entry: over a rolling 10 s window, once at
 * least `samples` requests were seen and the failure ratio (upstream 5xx or no answer) reaches
 * `threshold_percent`, the breaker trips; `return_to_service_after` seconds later it resets.
 * Each change fires BreakerTriggered plus BreakerTripped or BreakerReset (Meta: Path, APIID,
 * CircuitEvent 0 tripped / 1 reset), as Tyk does.
 */
import type { Runtime } from 'firehook';
import type { BreakerSettings } from './api-spec.ts';

const WINDOW_MS = 10_000;
const TRIPPED = 0;
const RESET = 1;

export class CircuitBreaker {
  private outcomes: Array<{ at: number; ok: boolean }> = [];
  private open = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly matcher: RegExp;
  private readonly runtime: Runtime;
  private readonly apiId: string;
  readonly settings: BreakerSettings;

  constructor(runtime: Runtime, apiId: string, settings: BreakerSettings) {
    this.runtime = runtime;
    this.apiId = apiId;
    this.settings = settings;
    // Tyk path syntax: `{name}` matches one path segment; the path matches as a prefix.
    const source = settings.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^/}]*\}/g, '[^/]+');
    this.matcher = new RegExp(`^${source}`);
  }

  /** Whether this breaker guards a request (path relative to the listen path). */
  matches(version: string, method: string, path: string): boolean {
    return (this.settings.version === version || version === '') && this.settings.method === method && this.matcher.test(path);
  }

  /** False while tripped: the request must not reach the upstream. */
  ready(): boolean {
    return !this.open;
  }

  record(ok: boolean): void {
    if (this.open) return;
    const now = Date.now();
    this.outcomes = this.outcomes.filter((o) => now - o.at < WINDOW_MS);
    this.outcomes.push({ at: now, ok });
    const failures = this.outcomes.filter((o) => !o.ok).length;
    if (this.outcomes.length >= this.settings.samples && failures / this.outcomes.length >= this.settings.thresholdPercent) this.trip();
  }

  close(): void {
    clearTimeout(this.timer);
  }

  private trip(): void {
    this.open = true;
    this.outcomes = [];
    this.fire(TRIPPED, 'Breaker Tripped');
    this.timer = setTimeout(() => {
      this.open = false;
      this.fire(RESET, 'Breaker Reset');
    }, this.settings.returnToServiceAfter * 1000);
  }

  private fire(circuitEvent: 0 | 1, message: string): void {
    const meta = { Message: message, OriginatingRequest: '', Path: this.settings.path, APIID: this.apiId, CircuitEvent: circuitEvent };
    this.runtime.fire(this.apiId, 'BreakerTriggered', meta);
    this.runtime.fire(this.apiId, circuitEvent === TRIPPED ? 'BreakerTripped' : 'BreakerReset', meta);
  }
}
