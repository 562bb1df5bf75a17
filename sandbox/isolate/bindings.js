// @ts-check
/*
 * Bootstrap part 3 of 6: the bindings (`log`, `b64enc`, `TykGetKeyData`, `TykStorageSet`, ...)
 * installed as non-writable, non-configurable globals, and `console`. Arguments are checked here
 * first; the host checks them again (sandbox/host/host-ops.ts).
 */
const NOT_FOUND = TEXT.keyNotFound;
const bindings = {
  log(x) {
    emit('log', text(x));
  },
  rawlog(x) {
    emit('raw', text(x));
  },
  b64enc(x) {
    const e = utf8Encode(text(x));
    return base64Encode(e[0], e[1], true);
  },
  rawb64enc(x) {
    const e = utf8Encode(text(x));
    return base64Encode(e[0], e[1], false);
  },
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
    return host(OP.TykGetKeyData, k, a);
  },
  TykSetKeyData(key, session, suppressReset) {
    const k = text(key);
    const s = text(session);
    if (k.length > limits.maxKeyChars || s.length > limits.maxArgChars) {
      emit('warn', 'TykSetKeyData: argument too large; session not written');
      return undefined;
    }
    host(OP.TykSetKeyData, k, s, text(suppressReset));
    return undefined;
  },
  TykMakeHttpRequest(request) {
    const s = text(request);
    if (s.length > limits.maxArgChars) {
      emit('warn', 'TykMakeHttpRequest: request larger than ' + limits.maxArgChars + ' characters; not sent');
      return undefined;
    }
    return host(OP.TykMakeHttpRequest, s);
  },
  TykBatchRequest(request) {
    const s = text(request);
    if (s.length > limits.maxArgChars) {
      emit('warn', 'TykBatchRequest: request larger than ' + limits.maxArgChars + ' characters; not sent');
      return undefined;
    }
    return host(OP.TykBatchRequest, s);
  },
  TykStorageSet(key, value, ttl) {
    host(
      OP.TykStorageSet,
      arg(key, 'TykStorageSet', limits.maxStorageKeyChars),
      arg(value, 'TykStorageSet', limits.maxStorageValueChars),
      ttlArg(ttl, 'TykStorageSet'),
    );
    return undefined;
  },
  TykStorageGet(key) {
    return host(OP.TykStorageGet, arg(key, 'TykStorageGet', limits.maxStorageKeyChars));
  },
  TykStorageSetNX(key, value, ttl) {
    return host(
      OP.TykStorageSetNX,
      arg(key, 'TykStorageSetNX', limits.maxStorageKeyChars),
      arg(value, 'TykStorageSetNX', limits.maxStorageValueChars),
      ttlArg(ttl, 'TykStorageSetNX'),
    );
  },
  TykStorageDel(key) {
    return host(OP.TykStorageDel, arg(key, 'TykStorageDel', limits.maxStorageKeyChars));
  },
  TykStorageTTL(key) {
    return host(OP.TykStorageTTL, arg(key, 'TykStorageTTL', limits.maxStorageKeyChars));
  },
  TykStorageIncr(key, ttl) {
    return host(OP.TykStorageIncr, arg(key, 'TykStorageIncr', limits.maxStorageKeyChars), ttlArg(ttl, 'TykStorageIncr'));
  },
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
defineProperty(g, 'console', {
  __proto__: null,
  value: { log: consoleLine('log'), info: consoleLine('log'), debug: consoleLine('log'), warn: consoleLine('warn'), error: consoleLine('warn') },
  writable: true,
  enumerable: false,
  configurable: true,
});
