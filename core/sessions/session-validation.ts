/**
 * Validation of session keys and session JSON, applied on every write and every read: JSON handlers
 * hand Firehook arbitrary text through TykSetKeyData, so it is parsed under limits before it is
 * stored or given to anyone.
 */
import { FirehookError } from '../errors/firehook-error.ts';
import type { Session } from './session-store.ts';

export interface SessionLimits {
  /** Largest serialised session in bytes; default 1 MiB. */
  maxBytes: number;
  /** Deepest nesting of objects and arrays; default 32. */
  maxDepth: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { maxBytes: 1024 * 1024, maxDepth: 32 };

/** Longest session key in bytes. */
export const MAX_SESSION_KEY_BYTES = 512;

function invalid(message: string): FirehookError {
  return new FirehookError('FH_SESSION_INVALID', `session ${message}`);
}

/** A key is 1-512 bytes without control characters. */
export function checkSessionKey(key: unknown): asserts key is string {
  if (typeof key !== 'string' || key === '' || Buffer.byteLength(key) > MAX_SESSION_KEY_BYTES) {
    throw new FirehookError('FH_SESSION_KEY_INVALID', `session key must be a string of 1-${MAX_SESSION_KEY_BYTES} bytes`);
  }
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) throw new FirehookError('FH_SESSION_KEY_INVALID', 'session key holds a control character');
  }
}

const NUMBER_FIELDS = ['quota_max', 'quota_remaining', 'quota_renews', 'quota_renewal_rate', 'expires', 'rate', 'per'] as const;

function checkShape(value: unknown, depth: number, limits: SessionLimits, path: string): void {
  if (depth > limits.maxDepth) throw invalid(`nests deeper than ${limits.maxDepth} levels at ${path || '/'}`);
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkShape(item, depth + 1, limits, `${path}/${i}`));
    return;
  }
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      if (key === '__proto__') throw invalid(`holds a __proto__ key at ${path || '/'}`);
      checkShape((value as Record<string, unknown>)[key], depth + 1, limits, `${path}/${key}`);
    }
  }
}

function checkTypedFields(session: Record<string, unknown>): void {
  if (session.org_id !== undefined && session.org_id !== null && typeof session.org_id !== 'string') {
    throw invalid('field /org_id must be a string');
  }
  for (const field of NUMBER_FIELDS) {
    const v = session[field];
    if (v !== undefined && v !== null && (typeof v !== 'number' || !Number.isFinite(v))) throw invalid(`field /${field} must be a number`);
  }
  const rights = session.access_rights;
  if (rights !== undefined && rights !== null && (typeof rights !== 'object' || Array.isArray(rights))) {
    throw invalid('field /access_rights must be an object');
  }
  const monitor = session.monitor;
  if (monitor !== undefined && monitor !== null) {
    if (typeof monitor !== 'object' || Array.isArray(monitor)) throw invalid('field /monitor must be an object');
    const limits = (monitor as Record<string, unknown>).trigger_limits;
    if (limits !== undefined && limits !== null) {
      if (!Array.isArray(limits) || limits.some((l) => typeof l !== 'number' || !Number.isFinite(l))) {
        throw invalid('field /monitor/trigger_limits must be an array of numbers');
      }
    }
  }
}

/**
 * Parse session JSON text (TykSetKeyData's second argument, or a stored value) into a fresh object:
 * a JSON object within the size and depth limits, no `__proto__` key anywhere, Tyk's typed fields
 * of the right type. Throws FH_SESSION_INVALID.
 */
export function parseSession(text: string, limits: SessionLimits = DEFAULT_SESSION_LIMITS): Session {
  if (typeof text !== 'string') throw invalid('must be JSON text');
  if (Buffer.byteLength(text) > limits.maxBytes) throw invalid(`exceeds ${limits.maxBytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FirehookError('FH_SESSION_INVALID', `session is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('must be a JSON object');
  checkShape(value, 1, limits, '');
  checkTypedFields(value as Record<string, unknown>);
  return value as Session;
}

/** Validate a session object given in-process, returning a detached JSON copy of it. */
export function copySession(session: unknown, limits: SessionLimits = DEFAULT_SESSION_LIMITS): Session {
  if (session === null || typeof session !== 'object' || Array.isArray(session)) throw invalid('must be an object');
  let text: string;
  try {
    text = JSON.stringify(session);
  } catch (error) {
    throw new FirehookError('FH_SESSION_INVALID', `session cannot be serialised: ${(error as Error).message}`, { cause: error });
  }
  return parseSession(text, limits);
}
