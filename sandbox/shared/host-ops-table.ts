/**
 * The host calls a script can make and the reply texts they share, in one table for both sides:
 * the host (sandbox/host/host-ops.ts, host-router.ts) and the child (sandbox/child/) import it;
 * the isolate bootstrap gets it as JSON text (closure argument `$4`, see sandbox/isolate/prelude.js)
 * and reads every op name and shared text from it.
 *
 * A reply is an envelope string: `v` + a JSON primitive (the binding's return value), `u`
 * (undefined) or `e` + a short message (thrown in the script).
 */

/** Binding -> the op it sends to the host (the first argument of the host reference). */
export const HOST_OPS = {
  TykGetKeyData: 'kget',
  TykSetKeyData: 'kset',
  TykMakeHttpRequest: 'http',
  TykBatchRequest: 'batch',
  TykStorageSet: 'sset',
  TykStorageGet: 'sget',
  TykStorageSetNX: 'ssetnx',
  TykStorageDel: 'sdel',
  TykStorageTTL: 'sttl',
  TykStorageIncr: 'sincr',
} as const;

export type HostBinding = keyof typeof HOST_OPS;
export type HostOp = (typeof HOST_OPS)[HostBinding];

/** The first character of a reply envelope. */
const REPLY_TAG = { value: 'v', undefined: 'u', thrown: 'e' } as const;

/** Reply texts written by more than one side (or in the isolate). */
export const REPLY_TEXT = {
  /** `TykGetKeyData`'s answer for a key that does not exist, is out of scope or is refused. */
  keyNotFound: '{"status":"error","message":"Key not found"}',
  /** `TykGetKeyData`'s answer when the session store does not answer. */
  sessionStoreUnavailable: '{"status":"error","message":"Session store unavailable"}',
  /** After the op name: the call failed on the way (no reply, or the host threw). */
  hostCallFailed: ': host call failed',
  /** After the op name: the call came from no event (load time, or after the event ended). */
  notInEvent: ': not available outside an event',
  /** After the binding name: the storage backend did not answer in time. */
  storageUnavailable: ': storage unavailable',
  /** Before the (cut) op name: an op not in HOST_OPS. */
  unknownOp: 'unknown binding ',
} as const;

/** What the isolate gets, as JSON text. */
export const HOST_OP_TABLE = { ops: HOST_OPS, tag: REPLY_TAG, text: REPLY_TEXT } as const;
/** Read by the isolate bootstrap through sandbox/isolate/globals.d.ts (outside the main project). */
export type HostOpTable = typeof HOST_OP_TABLE;

/** The binding that sends `op`, or undefined for an op not in the table. */
export function bindingOf(op: string): HostBinding | undefined {
  for (const binding of Object.keys(HOST_OPS) as HostBinding[]) if (HOST_OPS[binding] === op) return binding;
  return undefined;
}

export const valueReply = (v: string | number | boolean | null): string => REPLY_TAG.value + JSON.stringify(v);
export const UNDEFINED_REPLY: string = REPLY_TAG.undefined;
export const thrownReply = (message: string): string => REPLY_TAG.thrown + message;
/** The child's answer when the host did not reply in time. */
export const hostTimeoutReply = (op: string, ms: number): string => thrownReply(`${op}: the host did not answer within ${ms} ms`);
