/**
 * The JavaScript run first in every handler context, before `tyk_js_path` and the handler file.
 * It runs as a closure (`context.evalClosure`) so nothing it holds is reachable from user code:
 *   $0  Reference to the worker's host-call function (used only through applySyncPromise)
 *   $1  log sink (an ignored Callback: (kind, index, text) => void)
 *   $2  the generation's progress SharedArrayBuffer (running index + one status per event)
 *   $3  limits as JSON text
 * It captures the built-ins it needs before any user code runs, removes what handlers must not
 * have, installs the TykJS object model and the bindings as non-writable, non-configurable
 * globals, and returns the dispatcher the worker calls. Every crossing returns only strings.
 * Kept as plain JavaScript text (no backticks, no template holes) so it is byte-identical when
 * run from source and from dist.
 */
import { B64_SOURCE } from './bootstrap-b64-source.ts';
import { DISPATCH_SOURCE, LOADING_SOURCE } from './bootstrap-dispatch-source.ts';

const PRELUDE = String.raw`
'use strict';
const hostRef = $0;
const logSink = $1;
const progress = new Int32Array($2);
const limits = JSON.parse($3);
const g = globalThis;
const ObjectCtor = Object;
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

function slice(s, a, b) { return ReflectApply(sSlice, s, b === undefined ? [a] : [a, b]); }
function code(s, i) { return ReflectApply(sCharCodeAt, s, [i]); }
function push(list, value) {
  defineProperty(list, list.length, { __proto__: null, value: value, writable: true, enumerable: true, configurable: true });
}
function text(x) {
  try { return StringCtor(x); } catch (e) { return '[unprintable value]'; }
}

for (const name of ['WebAssembly', 'SharedArrayBuffer', 'Atomics', 'FinalizationRegistry', 'WeakRef']) delete g[name];
for (const name of ['resize', 'transfer', 'transferToFixedLength']) delete ArrayBuffer.prototype[name];

let current = -1;
let crossing = -1;
let logCount = 0;
let hostCount = 0;
let httpCount = 0;
let inHost = false;
let loadingFile = '';
function resetCounters() { logCount = 0; hostCount = 0; httpCount = 0; }

function emit(kind, message) {
  logCount++;
  if (logCount > limits.maxLogLines) {
    if (logCount === limits.maxLogLines + 1) ReflectApply(logSink, undefined, ['warn', crossing, current, 'log line limit reached; further lines of this invocation are dropped']);
    return;
  }
  if (message.length > limits.maxLogChars) message = slice(message, 0, limits.maxLogChars) + ' [truncated]';
  ReflectApply(logSink, undefined, [kind, crossing, current, message]);
}

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
  if (typeof reply !== 'string' || reply.length === 0) throw new ErrorCtor(op + ': host call failed');
  const tag = reply[0];
  if (tag === 'u') return undefined;
  if (tag === 'v') return JSONParse(slice(reply, 1));
  throw new ErrorCtor(slice(reply, 1));
}

function arg(x, name, max) {
  const s = text(x);
  if (s.length > max) throw new RangeErrorCtor(name + ': argument longer than ' + max + ' characters');
  return s;
}
function ttlArg(x, name) {
  if (x === undefined || x === null) return 0;
  const n = NumberCtor(x);
  if (n !== n || n < 0 || n > 1e9) throw new RangeErrorCtor(name + ': ttl must be a number of seconds between 0 and 1e9');
  return n;
}
`;

const BINDINGS = String.raw`
const NOT_FOUND = '{"status":"error","message":"Key not found"}';
const bindings = {
  log(x) { emit('log', text(x)); },
  rawlog(x) { emit('raw', text(x)); },
  b64enc(x) { const e = utf8Encode(text(x)); return base64Encode(e[0], e[1], true); },
  rawb64enc(x) { const e = utf8Encode(text(x)); return base64Encode(e[0], e[1], false); },
  b64dec(x) {
    const s = text(x);
    const d = base64Decode(s, true) || base64Decode(s, false);
    return d === null ? undefined : utf8Decode(d[0], d[1]);
  },
  rawb64dec(x) {
    const d = base64Decode(text(x), false);
    return d === null ? undefined : utf8Decode(d[0], d[1]);
  },
  TykGetKeyData(key, apiId) {
    const k = text(key);
    const a = text(apiId);
    if (k.length > limits.maxKeyChars || a.length > limits.maxKeyChars) return NOT_FOUND;
    return host('kget', k, a);
  },
  TykSetKeyData(key, session, suppressReset) {
    const k = text(key);
    const s = text(session);
    if (k.length > limits.maxKeyChars || s.length > limits.maxArgChars) {
      emit('warn', 'TykSetKeyData: argument too large; session not written');
      return undefined;
    }
    host('kset', k, s, text(suppressReset));
    return undefined;
  },
  TykMakeHttpRequest(request) {
    const s = text(request);
    if (s.length > limits.maxArgChars) {
      emit('warn', 'TykMakeHttpRequest: request larger than ' + limits.maxArgChars + ' characters; not sent');
      return undefined;
    }
    return host('http', s);
  },
  TykBatchRequest(request) {
    const s = text(request);
    if (s.length > limits.maxArgChars) {
      emit('warn', 'TykBatchRequest: request larger than ' + limits.maxArgChars + ' characters; not sent');
      return undefined;
    }
    return host('batch', s);
  },
  TykStorageSet(key, value, ttl) {
    host('sset', arg(key, 'TykStorageSet', limits.maxStorageKeyChars), arg(value, 'TykStorageSet', limits.maxStorageValueChars), ttlArg(ttl, 'TykStorageSet'));
    return undefined;
  },
  TykStorageGet(key) { return host('sget', arg(key, 'TykStorageGet', limits.maxStorageKeyChars)); },
  TykStorageSetNX(key, value, ttl) {
    return host('ssetnx', arg(key, 'TykStorageSetNX', limits.maxStorageKeyChars), arg(value, 'TykStorageSetNX', limits.maxStorageValueChars), ttlArg(ttl, 'TykStorageSetNX'));
  },
  TykStorageDel(key) { return host('sdel', arg(key, 'TykStorageDel', limits.maxStorageKeyChars)); },
  TykStorageTTL(key) { return host('sttl', arg(key, 'TykStorageTTL', limits.maxStorageKeyChars)); },
  TykStorageIncr(key, ttl) { return host('sincr', arg(key, 'TykStorageIncr', limits.maxStorageKeyChars), ttlArg(ttl, 'TykStorageIncr')); },
};
for (const name of getOwnPropertyNames(bindings)) {
  defineProperty(g, name, { __proto__: null, value: bindings[name], writable: false, enumerable: false, configurable: false });
}

function consoleLine(kind) {
  return function () {
    let line = '';
    for (let i = 0; i < arguments.length; i++) line = line + (i > 0 ? ' ' : '') + text(arguments[i]);
    emit(kind, line);
  };
}
defineProperty(g, 'console', { __proto__: null, value: { log: consoleLine('log'), info: consoleLine('log'), debug: consoleLine('log'), warn: consoleLine('warn'), error: consoleLine('warn') }, writable: true, enumerable: false, configurable: true });
`;

const TYKJS = String.raw`
const registrations = [];
function strings(list, max) {
  const out = [];
  if (!isArray(list)) return out;
  const n = list.length < max ? list.length : max;
  for (let i = 0; i < n; i++) {
    const v = list[i];
    if (typeof v === 'string' && v.length > 0 && v.length <= 256) push(out, v);
  }
  return out;
}
function register(handler, configuration) {
  if (loadingFile === '' || configuration === null || typeof configuration !== 'object') return;
  let events;
  let apis;
  try { events = configuration.events; apis = configuration.apis; } catch (e) { return; }
  const ev = strings(events, 64);
  if (ev.length === 0) return;
  const ap = apis === undefined ? ['*'] : strings(apis, 1024);
  push(registrations, { __proto__: null, handler: handler, events: ev, apis: ap, file: loadingFile });
}

function MiddlewareComponentMeta(configuration) { this.configuration = configuration; }
MiddlewareComponentMeta.prototype.ProcessRequest = function (request, session, config) {
  emit('log', 'Process Request Not Implemented');
  return request;
};
MiddlewareComponentMeta.prototype.DoProcessRequest = function (request, session, config) {
  return this.ProcessRequest(request, session, config);
};
function NewMiddleware(configuration) { ReflectApply(MiddlewareComponentMeta, this, [configuration]); }
NewMiddleware.prototype = objectCreate(MiddlewareComponentMeta.prototype);
NewMiddleware.prototype.constructor = NewMiddleware;
NewMiddleware.prototype.NewProcessRequest = function (callback) { this.ProcessRequest = callback; };
NewMiddleware.prototype.ReturnData = function (request, session) { return { Request: request, SessionMeta: session }; };
NewMiddleware.prototype.ReturnAuthData = function (request, session) { return { Request: request, Session: session }; };

function EventHandlerComponentMeta() {}
EventHandlerComponentMeta.prototype.DoProcessEvent = function (event, context) {
  return this.Handle(event, context);
};
EventHandlerComponentMeta.prototype.Handle = function (event, context) {
  emit('log', 'Handler not implemented!');
  return event;
};
function NewEventHandler(configuration) {
  ReflectApply(EventHandlerComponentMeta, this, []);
  register(this, configuration);
}
NewEventHandler.prototype = objectCreate(EventHandlerComponentMeta.prototype);
NewEventHandler.prototype.constructor = NewEventHandler;
NewEventHandler.prototype.NewHandler = function (callback) { this.Handle = callback; };

const TykJS = {
  TykMiddleware: { MiddlewareComponentMeta: MiddlewareComponentMeta, NewMiddleware: NewMiddleware },
  TykEventHandlers: { EventHandlerComponentMeta: EventHandlerComponentMeta, NewEventHandler: NewEventHandler },
};
defineProperty(g, 'TykJS', { __proto__: null, value: TykJS, writable: false, enumerable: false, configurable: false });
`;

/** The whole bootstrap closure body. */
export const BOOTSTRAP_SOURCE = PRELUDE + B64_SOURCE + BINDINGS + TYKJS + DISPATCH_SOURCE + LOADING_SOURCE;
