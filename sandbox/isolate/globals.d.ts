/**
 * What the isolate bootstrap (the .js files here, joined into one closure body by
 * sandbox/child/bootstrap.ts) sees besides a bare V8 context's built-ins: the closure's
 * arguments. Checked by sandbox/isolate/tsconfig.json (no Node or DOM types).
 */

/** isolated-vm's Reference to the worker's host-call function, reached only through applySyncPromise. */
interface HostReference {
  applySyncPromise(receiver: undefined, args: [op: string, crossing: number, index: number, a?: unknown, b?: unknown, c?: unknown]): unknown;
}

/** The log sink: an ignored isolated-vm Callback. */
type LogSink = (kind: string, crossing: number, index: number, text: string) => void;

/** The host-call reference. */
declare const $0: HostReference;
/** The log sink. */
declare const $1: LogSink;
/** The generation's progress buffer (shared with the child). */
declare const $2: SharedArrayBuffer;
/** Limits as JSON text (sandbox/shared/protocol.ts IsolateLimits). */
declare const $3: string;

/** Property descriptors are written with a null prototype, so no inherited `get`/`value` is read. */
interface NullProtoDescriptor extends PropertyDescriptor {
  __proto__: null;
}

/** `this` of the TykJS middleware object model. */
interface TykMiddlewareObject {
  configuration: unknown;
  ProcessRequest(request: unknown, session: unknown, config: unknown): unknown;
}

/** `this` of the TykJS event-handler object model. */
interface TykEventHandlerObject {
  Handle(event: unknown, context: unknown): unknown;
}

/** The host-op table (sandbox/shared/host-ops-table.ts), as JSON text. */
declare const $4: string;
type HostOpTable = import('../shared/host-ops-table.ts').HostOpTable;
