// @ts-check
/*
 * Bootstrap part 4 of 6: the TykJS object model (`TykJS.TykEventHandlers.NewEventHandler`,
 * `TykJS.TykMiddleware.NewMiddleware`) and self-registration of handlers while a file loads.
 */
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
  try {
    events = configuration.events;
    apis = configuration.apis;
  } catch (e) {
    return;
  }
  const ev = strings(events, 64);
  if (ev.length === 0) return;
  const ap = apis === undefined ? ['*'] : strings(apis, 1024);
  push(registrations, { __proto__: null, handler: handler, events: ev, apis: ap, file: loadingFile });
}

/** @this {TykMiddlewareObject} @param {unknown} configuration */
function MiddlewareComponentMeta(configuration) {
  this.configuration = configuration;
}
MiddlewareComponentMeta.prototype.ProcessRequest = function (request, session, config) {
  emit('log', 'Process Request Not Implemented');
  return request;
};
MiddlewareComponentMeta.prototype.DoProcessRequest = /** @this {TykMiddlewareObject} */ function (request, session, config) {
  return this.ProcessRequest(request, session, config);
};
/** @this {TykMiddlewareObject} @param {unknown} configuration */
function NewMiddleware(configuration) {
  ReflectApply(MiddlewareComponentMeta, this, [configuration]);
}
NewMiddleware.prototype = objectCreate(MiddlewareComponentMeta.prototype);
NewMiddleware.prototype.constructor = NewMiddleware;
NewMiddleware.prototype.NewProcessRequest = /** @this {TykMiddlewareObject} */ function (callback) {
  this.ProcessRequest = callback;
};
NewMiddleware.prototype.ReturnData = function (request, session) {
  return { Request: request, SessionMeta: session };
};
NewMiddleware.prototype.ReturnAuthData = function (request, session) {
  return { Request: request, Session: session };
};

function EventHandlerComponentMeta() {}
EventHandlerComponentMeta.prototype.DoProcessEvent = /** @this {TykEventHandlerObject} */ function (event, context) {
  return this.Handle(event, context);
};
EventHandlerComponentMeta.prototype.Handle = function (event, context) {
  emit('log', 'Handler not implemented!');
  return event;
};
/** @this {TykEventHandlerObject} @param {unknown} configuration */
function NewEventHandler(configuration) {
  ReflectApply(EventHandlerComponentMeta, this, []);
  register(this, configuration);
}
NewEventHandler.prototype = objectCreate(EventHandlerComponentMeta.prototype);
NewEventHandler.prototype.constructor = NewEventHandler;
NewEventHandler.prototype.NewHandler = /** @this {TykEventHandlerObject} */ function (callback) {
  this.Handle = callback;
};

const TykJS = {
  TykMiddleware: { MiddlewareComponentMeta: MiddlewareComponentMeta, NewMiddleware: NewMiddleware },
  TykEventHandlers: { EventHandlerComponentMeta: EventHandlerComponentMeta, NewEventHandler: NewEventHandler },
};
defineProperty(g, 'TykJS', { __proto__: null, value: TykJS, writable: false, enumerable: false, configurable: false });
