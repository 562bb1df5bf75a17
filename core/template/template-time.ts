/**
 * Tyk's template time functions: `as_rfc3339` (a time -> RFC 3339) and `as_rfc3339_from_string`
 * (Go's `time.Time.String()` text -> RFC 3339, the input unchanged when it does not parse).
 */
import { parseRfc3339 } from '../go/time.ts';

interface WallTime {
  /** Wall-clock fields in the value's own zone. */
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Offset east of UTC in minutes. */
  offsetMinutes: number;
}

// Layout "2006-01-02 15:04:05.999999 -0700 MST"; Go accepts any number of fraction digits, a zone
// abbreviation of 3 upper-case letters, 4-5 ending in T, ChST/MeST, or a signed offset.
const GO_TIME =
  /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:[.,]\d+)? ([+-])(\d{2})(\d{2}) (?:[A-Z]{3}|[A-Z]{3}T|[A-Z]{4}T|WITA|ChST|MeST|GMT|UTC|[+-]\d{2}(?:\d{2})?)$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Parse Go's `time.Time.String()` text (without a monotonic suffix); `undefined` when invalid. */
function parseGoTimeString(text: string): WallTime | undefined {
  const m = GO_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second, sign, oh, om] = [
    Number(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
    m[7],
    Number(m[8]),
    Number(m[9]),
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59 || om > 59) return undefined;
  return { year, month, day, hour, minute, second, offsetMinutes: (sign === '-' ? -1 : 1) * (oh * 60 + om) };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Go's `t.Format(time.RFC3339)`: whole seconds, `Z` for UTC, otherwise `+hh:mm`. */
function formatRfc3339(t: WallTime): string {
  const date = `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}`;
  if (t.offsetMinutes === 0) return date + 'Z';
  const abs = Math.abs(t.offsetMinutes);
  return `${date}${t.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function fromEpochMs(ms: number): WallTime {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    offsetMinutes: 0,
  };
}

function fromRfc3339(text: string): WallTime | undefined {
  if (parseRfc3339(text) === undefined) return undefined;
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/.exec(text)!;
  const offset = m[7] === undefined ? 0 : (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), hour: Number(m[4]), minute: Number(m[5]), second: Number(m[6]), offsetMinutes: offset };
}

/** `as_rfc3339_from_string`: Go time text -> RFC 3339; anything else comes back unchanged. */
export function asRfc3339FromString(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  const t = parseGoTimeString(text);
  return t === undefined ? text : formatRfc3339(t);
}

/**
 * `as_rfc3339`: a time -> RFC 3339. Accepts what a time looks like in Firehook's data: Go time text
 * (a monotonic `m=+...` suffix is ignored), RFC 3339 text, epoch milliseconds or a Date. Anything
 * else comes back as text unchanged.
 */
export function asRfc3339(value: unknown): string {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '' : formatRfc3339(fromEpochMs(value.getTime()));
  if (typeof value === 'number' && Number.isFinite(value)) return formatRfc3339(fromEpochMs(value));
  if (typeof value !== 'string') return value === undefined || value === null ? '' : String(value);
  const t = parseGoTimeString(value.replace(/ m=[+-]\d+(?:\.\d+)?$/, '')) ?? fromRfc3339(value);
  return t === undefined ? value : formatRfc3339(t);
}
