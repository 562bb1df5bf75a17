/**
 * What the host, the child and the isolate bootstrap agree on about the progress buffer and the
 * bootstrap's script name (stack frames from it are dropped from script errors).
 */
export const BOOTSTRAP_FILENAME = 'firehook:bootstrap.js';

/** Offset in the progress Int32Array where per-event statuses start (index 0 = running event). */
export const STATUS_OFFSET = 4;

/** Per-event status values written into the progress buffer. */
export const EVENT_STATUS = { pending: 0, running: 1, ok: 2, failed: 3 } as const;
