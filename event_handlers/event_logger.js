// Sample Firehook / Tyk event handler: writes one log line per event it receives.
//
// Register it in an API definition (Tyk Classic):
//   "event_handlers": { "events": { "AuthFailure": [
//     { "handler_name": "eh_dynamic_handler",
//       "handler_meta": { "name": "eventLogger", "path": "event_handlers/event_logger.js" } } ] } }
// or in Tyk OAS: { "type": "custom", "functionName": "eventLogger", "path": "event_handlers/event_logger.js", "enabled": true, "trigger": "AuthFailure" }

var eventLogger = new TykJS.TykEventHandlers.NewEventHandler({});

eventLogger.NewHandler(function (event, context) {
  var meta = event.EventMetaData || {};
  // Never log a whole key: keep the last four characters, as Tyk's own logs do.
  var key = meta.Key ? '****' + String(meta.Key).slice(-4) : '-';
  log('[event_logger] ' + event.EventType +
      ' api=' + context.APIID +
      ' org=' + context.OrgID +
      ' path=' + (meta.Path || '-') +
      ' origin=' + (meta.Origin || '-') +
      ' key=' + key +
      ' at=' + event.TimeStamp);
});
