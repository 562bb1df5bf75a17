// @ts-check
/*
 * Bootstrap part 5 of 6: the dispatcher the worker calls once per crossing (a batch of events as
 * JSON text in, a status report as JSON text out, progress and per-event status in the shared
 * buffer) and its recovery call after an abort.
 */
let lastDone = 0;
let lastErrors = '';
let lastLoad = '';

function describe(e) {
  let s;
  try {
    if (e !== null && (typeof e === 'object' || typeof e === 'function')) {
      const stack = e.stack;
      s = typeof stack === 'string' && stack.length > 0 ? stack : StringCtor(e);
    } else {
      s = StringCtor(e);
    }
  } catch (inner) {
    s = 'uncaught exception (the thrown value could not be printed)';
  }
  if (typeof s !== 'string' || s.length === 0) s = 'uncaught exception';
  if (s.length > limits.maxErrorChars) s = slice(s, 0, limits.maxErrorChars);
  return s;
}

function resolveHandler(name) {
  if (name.length > 1 && name[0] === '#') {
    const n = NumberCtor(slice(name, 1));
    if (!NumberIsInteger(n) || n < 0 || n >= registrations.length) return undefined;
    return registrations[n].handler;
  }
  return g[name];
}

function rejectionLogger(index, at) {
  return function (reason) {
    const why = describe(reason);
    const saved = current;
    current = index;
    crossing = at;
    emit('warn', 'a promise returned by the handler was rejected: ' + why);
    current = saved;
    return undefined;
  };
}

function invoke(name, apiId, orgId, event, index) {
  const handler = resolveHandler(name);
  if (handler === null || (typeof handler !== 'object' && typeof handler !== 'function')) return 'N';
  const fn = handler.DoProcessEvent;
  if (typeof fn !== 'function') return 'N';
  if (event !== null && typeof event === 'object') {
    defineProperty(event, 'EventType', { __proto__: null, value: event.Type, writable: true, enumerable: false, configurable: true });
    defineProperty(event, 'EventMetaData', { __proto__: null, value: event.Meta, writable: true, enumerable: false, configurable: true });
  }
  const result = ReflectApply(fn, handler, [event, { APIID: apiId, OrgID: orgId }]);
  if (result !== null && typeof result === 'object') {
    try {
      ReflectApply(promiseThen, result, [undefined, rejectionLogger(index, crossing)]);
    } catch (e) {
      /* not a promise */
    }
  }
  return '';
}

function report() {
  return '{"done":' + lastDone + ',"errors":[' + slice(lastErrors, 1) + ']}';
}

function dispatch(batchText, budgetMs, crossingId) {
  current = -1;
  inHost = false;
  crossing = crossingId;
  lastDone = 0;
  lastErrors = '';
  const batch = JSONParse(batchText);
  const n = batch.length;
  const started = DateNow();
  for (let i = 0; i < n; i++) {
    if (i > 0 && DateNow() - started > budgetMs) break;
    const item = batch[i];
    progress[0] = i;
    progress[STATUS + i] = 1;
    current = i;
    resetCounters();
    let kind = '';
    let failure = '';
    try {
      kind = invoke(item[0], item[1], item[2], item[3], i);
      if (kind === 'N') failure = 'no handler object with a DoProcessEvent function is named ' + item[0];
    } catch (e) {
      kind = 'S';
      failure = describe(e);
    }
    current = -1;
    if (failure === '') {
      progress[STATUS + i] = 2;
    } else {
      progress[STATUS + i] = 3;
      lastErrors = lastErrors + ',[' + i + ',"' + kind + '",' + JSONStringify(failure) + ']';
    }
    lastDone = i + 1;
  }
  progress[0] = -1;
  return report();
}

function details(kind) {
  current = -1;
  inHost = false;
  loadingFile = '';
  progress[0] = -1;
  return kind === 'load' ? lastLoad : report();
}
