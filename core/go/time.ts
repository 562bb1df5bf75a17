/**
 * Go time formatting, for byte compatibility with Tyk's `time.Time.String()` (event TimeStamp)
 * and parsing of Go duration strings (`"1m30s"`) used by Tyk OAS.
 */

let cachedSecond = Number.NaN;
let cachedPrefix = '';

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * Format a UTC instant as Go's `2006-01-02 15:04:05.999999999 -0700 MST` (trailing fraction
 * zeros trimmed, no dot for whole seconds). `nanosOfSecond` overrides the ms-derived fraction.
 */
export function formatGoTime(epochMs: number, nanosOfSecond?: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedPrefix = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    cachedSecond = second;
  }
  const nanos = nanosOfSecond ?? Math.round((epochMs - second * 1000) * 1e6);
  if (nanos === 0) return `${cachedPrefix} +0000 UTC`;
  const fraction = String(nanos).padStart(9, '0').replace(/0+$/, '');
  return `${cachedPrefix}.${fraction} +0000 UTC`;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parse an RFC 3339 timestamp keeping nanosecond precision; `undefined` when invalid. */
export function parseRfc3339(text: string): { epochMs: number; nanosOfSecond: number } | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const whole = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]!.toUpperCase()}`);
  if (Number.isNaN(whole)) return undefined;
  const nanosOfSecond = m[7] ? Number(m[7].padEnd(9, '0')) : 0;
  return { epochMs: whole + Math.floor(nanosOfSecond / 1e6), nanosOfSecond };
}

const GO_DURATION_UNIT: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const GO_DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parse a Go duration string (`"300ms"`, `"1m30s"`, `"-1.5h"`) to milliseconds.
 * `""` gives 0 (Tyk OAS: no cooldown). Returns `undefined` when the text is not a Go duration.
 */
export function parseGoDuration(text: string): number | undefined {
  if (text === '' || text === '0') return 0;
  let i = 0;
  let sign = 1;
  if (text[0] === '-' || text[0] === '+') {
    sign = text[0] === '-' ? -1 : 1;
    i = 1;
  }
  if (i >= text.length) return undefined;
  let total = 0;
  while (i < text.length) {
    GO_DURATION_PART.lastIndex = i;
    const m = GO_DURATION_PART.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * GO_DURATION_UNIT[m[2]!]!;
    i = GO_DURATION_PART.lastIndex;
  }
  return sign * total;
}
