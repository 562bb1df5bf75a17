/**
 * JSON from scripts, parsed defensively: a size cap, a depth cap, `__proto__`, `constructor` and
 * `prototype` keys dropped, objects rebuilt with a null prototype. Nothing a script sends can
 * reach a prototype in this process.
 */
export interface SafeJsonLimits {
  maxChars: number;
  maxDepth: number;
}

const DEFAULT_JSON_LIMITS: SafeJsonLimits = { maxChars: 1 << 20, maxDepth: 32 };

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

export class UnsafeJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsafeJsonError';
  }
}

/** Parse or throw UnsafeJsonError (with a short reason, never the input). */
export function parseSafeJson(text: string, limits: SafeJsonLimits = DEFAULT_JSON_LIMITS): unknown {
  if (typeof text !== 'string') throw new UnsafeJsonError('not a string');
  if (text.length > limits.maxChars) throw new UnsafeJsonError(`longer than ${limits.maxChars} characters`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new UnsafeJsonError('not valid JSON');
  }
  return rebuild(raw, 0, limits.maxDepth);
}

function rebuild(value: unknown, depth: number, maxDepth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= maxDepth) throw new UnsafeJsonError(`nested deeper than ${maxDepth} levels`);
  if (Array.isArray(value)) return value.map((v) => rebuild(v, depth + 1, maxDepth));
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) continue;
    out[key] = rebuild((value as Record<string, unknown>)[key], depth + 1, maxDepth);
  }
  return out;
}

/** A plain (null-prototype) object, not an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
