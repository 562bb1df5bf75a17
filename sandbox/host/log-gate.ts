/**
 * Log lines from scripts: control characters escaped (no forged log lines or terminal escapes),
 * lines truncated, and a per-handler rate limit whose drops are counted and reported.
 */
import type { SandboxLogLine } from './types.ts';

// Matching control characters is the point here.
// oxlint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/g;

/** Escape control characters so a line stays one line. */
function sanitizeLogText(text: string, maxChars: number): string {
  const clipped = text.length > maxChars ? `${text.slice(0, maxChars)} [truncated]` : text;
  return clipped.replace(CONTROL, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const hex = c.charCodeAt(0).toString(16);
    return c.charCodeAt(0) > 0xff ? `\\u${hex.padStart(4, '0')}` : `\\x${hex.padStart(2, '0')}`;
  });
}

interface Bucket {
  tokens: number;
  at: number;
  dropped: number;
}

export class LogGate {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perSecond: number;
  private readonly maxChars: number;
  private readonly emit: (line: SandboxLogLine) => void;

  constructor(perSecond: number, maxChars: number, emit: (line: SandboxLogLine) => void) {
    this.perSecond = perSecond;
    this.maxChars = maxChars;
    this.emit = emit;
  }

  /** `key` identifies the handler the line is charged to. */
  push(key: string, line: SandboxLogLine): void {
    const now = Date.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size > 10_000) this.buckets.clear();
      bucket = { tokens: this.perSecond, at: now, dropped: 0 };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.perSecond, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    }
    if (bucket.tokens < 1) {
      bucket.dropped++;
      return;
    }
    bucket.tokens -= 1;
    if (bucket.dropped > 0) {
      const dropped = bucket.dropped;
      bucket.dropped = 0;
      this.emit({ ...line, kind: 'warn', message: `${dropped} log lines from this handler were dropped (more than ${this.perSecond} per second)` });
    }
    this.emit({ ...line, message: sanitizeLogText(line.message, this.maxChars) });
  }
}
