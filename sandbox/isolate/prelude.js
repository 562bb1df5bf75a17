// @ts-check
/*
 * Bootstrap part 1 of 6 (sandbox/child/bootstrap.ts joins the parts, in order, into one closure
 * body, run by `context.evalClosure` first in every handler context, so nothing it holds is
 * reachable from user code). The closure's arguments:
 *   $0  Reference to the worker's host-call function (used only through applySyncPromise)
 *   $1  log sink (an ignored Callback: (kind, crossing, index, text) => void)
 *   $2  the generation's progress SharedArrayBuffer (running index + one status per event)
 *   $3  limits as JSON text (shared/protocol.ts IsolateLimits)
 *   $4  the host-op table as JSON text (shared/host-ops-table.ts)
 * This part captures the built-ins the bootstrap needs before any user code runs, removes what
 * handlers must not have, and defines the log and host-call crossings. Every crossing returns
 * only strings.
 */
'use strict';
const hostRef = $0;
const logSink = $1;
const progress = new Int32Array($2);
const limits = JSON.parse($3);
/** @type {HostOpTable} */
const table = JSON.parse($4);
/** Binding -> host op. */
const OP = table.ops;
const TAG = table.tag;
const TEXT = table.text;
const g = globalThis;
const ObjectCtor = Object;
/** @type {(target: object, key: PropertyKey, descriptor: NullProtoDescriptor) => object} */
const defineProperty = ObjectCtor.defineProperty;
const getOwnPropertyNames = ObjectCtor.getOwnPropertyNames;
const getOwnPropertyDescriptor = ObjectCtor.getOwnPropertyDescriptor;
const hasOwn = ObjectCtor.hasOwn;
const objectCreate = ObjectCtor.create;
const ReflectApply = Reflect.apply;
const JSONParse = JSON.parse;
const JSONStringify = JSON.stringify;
const StringCtor = String;
const NumberCtor = Number;
const NumberIsInteger = Number.isInteger;
const DateNow = Date.now;
const ErrorCtor = Error;
const RangeErrorCtor = RangeError;
const Uint8ArrayCtor = Uint8Array;
const Uint16ArrayCtor = Uint16Array;
const Int16ArrayCtor = Int16Array;
const isArray = Array.isArray;
const sSlice = String.prototype.slice;
const sCharCodeAt = String.prototype.charCodeAt;
const fromCharCode = String.fromCharCode;
const MapCtor = Map;
const mapGet = MapCtor.prototype.get;
const mapSet = MapCtor.prototype.set;
const mapHas = MapCtor.prototype.has;
const applySyncPromise = hostRef.applySyncPromise;
const promiseThen = Promise.prototype.then;
const indirectEval = g.eval;
const STATUS = limits.statusOffset;

/** @param {string} s @param {number} a @param {number} [b] @returns {string} */
function slice(s, a, b) {
  return ReflectApply(sSlice, s, b === undefined ? [a] : [a, b]);
}
/** @param {string} s @param {number} i @returns {number} */
function code(s, i) {
  return ReflectApply(sCharCodeAt, s, [i]);
}
/** @param {unknown[]} list @param {unknown} value */
function push(list, value) {
  defineProperty(list, list.length, { __proto__: null, value: value, writable: true, enumerable: true, configurable: true });
}
/** @param {unknown} x @returns {string} */
function text(x) {
  try {
    return StringCtor(x);
  } catch (e) {
    return '[unprintable value]';
  }
}

for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry', 'WeakRef']) delete g[name];
for (const name of ['resize', 'transfer', 'transferToFixedLength']) delete ArrayBuffer.prototype[name];

let current = -1;
let crossing = -1;
let logCount = 0;
let hostCount = 0;
let inHost = false;
let loadingFile = '';
function resetCounters() {
  logCount = 0;
  hostCount = 0;
}

/** One log line of the current event, within the per-invocation line and length caps. @param {string} kind @param {string} message */
function emit(kind, message) {
  logCount++;
  if (logCount > limits.maxLogLines) {
    if (logCount === limits.maxLogLines + 1)
      ReflectApply(logSink, undefined, ['warn', crossing, current, 'log line limit reached; further lines of this invocation are dropped']);
    return;
  }
  if (message.length > limits.maxLogChars) message = slice(message, 0, limits.maxLogChars) + ' [truncated]';
  ReflectApply(logSink, undefined, [kind, crossing, current, message]);
}

/**
 * One host call, blocking the script until the host answers with a reply envelope.
 * @param {string} op @param {unknown} a @param {unknown} [b] @param {unknown} [c] @returns {unknown}
 */
function host(op, a, b, c) {
  if (current < 0) throw new ErrorCtor(op + ' is only available while an event is being handled');
  if (inHost) throw new ErrorCtor(op + ': nested host call refused');
  hostCount++;
  if (hostCount > limits.maxHostCalls) throw new ErrorCtor(op + ': host call limit of this invocation reached');
  inHost = true;
  let reply;
  try {
    reply = ReflectApply(applySyncPromise, hostRef, [undefined, [op, crossing, current, a, b, c]]);
  } finally {
    inHost = false;
  }
  if (typeof reply !== 'string' || reply.length === 0) throw new ErrorCtor(op + TEXT.hostCallFailed);
  const tag = reply[0];
  if (tag === TAG.undefined) return undefined;
  if (tag === TAG.value) return JSONParse(slice(reply, 1));
  throw new ErrorCtor(slice(reply, 1));
}

/** @param {unknown} x @param {string} name @param {number} max @returns {string} */
function arg(x, name, max) {
  const s = text(x);
  if (s.length > max) throw new RangeErrorCtor(name + ': argument longer than ' + max + ' characters');
  return s;
}
/** @param {unknown} x @param {string} name @returns {number} */
function ttlArg(x, name) {
  if (x === undefined || x === null) return 0;
  const n = NumberCtor(x);
  if (n !== n || n < 0 || n > 1e9) throw new RangeErrorCtor(name + ': ttl must be a number of seconds between 0 and 1e9');
  return n;
}
