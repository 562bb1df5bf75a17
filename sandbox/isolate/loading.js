// @ts-check
/*
 * Bootstrap part 6 of 6: the file loader (an in-isolate `try` around indirect eval, so nothing a
 * file throws crosses the boundary; then the file's handler objects, self-registrations and, in
 * the shared context, global-name collisions). sandbox/child/bootstrap.ts ends the closure by
 * returning `dispatch`, `details` and `loadFile`.
 */
const owners = new MapCtor();

function globalValue(name) {
  const d = getOwnPropertyDescriptor(g, name);
  if (d === undefined) return undefined;
  return hasOwn(d, 'value') ? d.value : d.get;
}

function snapshotGlobals() {
  const snapshot = new MapCtor();
  const names = getOwnPropertyNames(g);
  for (let i = 0; i < names.length; i++) ReflectApply(mapSet, snapshot, [names[i], globalValue(names[i])]);
  return snapshot;
}

function inspect(file, snapshot) {
  const names = getOwnPropertyNames(g);
  let handlers = '';
  let collisions = '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const value = globalValue(name);
    if (snapshot !== null) {
      if (ReflectApply(mapHas, snapshot, [name])) {
        const before = ReflectApply(mapGet, snapshot, [name]);
        if (before === value || (before !== before && value !== value)) continue;
      }
      const owner = ReflectApply(mapGet, owners, [name]);
      if (owner !== undefined && owner !== file) collisions = collisions + ',[' + JSONStringify(name) + ',' + JSONStringify(owner) + ']';
      ReflectApply(mapSet, owners, [name, file]);
    }
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) {
      let isHandler = false;
      try {
        isHandler = typeof value.DoProcessEvent === 'function';
      } catch (e) {
        isHandler = false;
      }
      if (isHandler) handlers = handlers + ',' + JSONStringify(name);
    }
  }
  let regs = '';
  for (let i = 0; i < registrations.length; i++) {
    const r = registrations[i];
    if (r.file !== file) continue;
    let name = '';
    for (let j = 0; j < names.length; j++) {
      if (globalValue(names[j]) === r.handler) {
        name = names[j];
        break;
      }
    }
    let ev = '';
    for (let j = 0; j < r.events.length; j++) ev = ev + ',' + JSONStringify(r.events[j]);
    let ap = '';
    for (let j = 0; j < r.apis.length; j++) ap = ap + ',' + JSONStringify(r.apis[j]);
    regs = regs + ',{"ref":"#' + i + '","name":' + JSONStringify(name) + ',"events":[' + slice(ev, 1) + '],"apis":[' + slice(ap, 1) + ']}';
  }
  return '"handlers":[' + slice(handlers, 1) + '],"registrations":[' + slice(regs, 1) + '],"collisions":[' + slice(collisions, 1) + ']';
}

function loadFile(file, source, crossingId) {
  current = -1;
  inHost = false;
  crossing = crossingId;
  resetCounters();
  lastLoad = '{"error":"the file did not finish loading","handlers":[],"registrations":[],"collisions":[]}';
  for (let i = 0; i < file.length; i++) {
    if (code(file, i) < 32) {
      lastLoad = '{"error":"file names with control characters are refused","handlers":[],"registrations":[],"collisions":[]}';
      return lastLoad;
    }
  }
  const snapshot = limits.shared ? snapshotGlobals() : null;
  let error = '';
  loadingFile = file;
  try {
    indirectEval(source + '\n//# sourceURL=' + file);
  } catch (e) {
    error = describe(e);
  }
  loadingFile = '';
  lastLoad = '{"error":' + JSONStringify(error) + ',' + inspect(file, snapshot) + '}';
  return lastLoad;
}
