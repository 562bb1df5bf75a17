// Sample Firehook / Tyk event handler: edits the session of the key an event is about.
//
// On KeyExpired it grants a one-hour grace period; on QuotaExceeded it records when the quota
// ran out. Both write the session back without resetting its quota counters (third argument "1").
//
//   "KeyExpired": [ { "handler_name": "eh_dynamic_handler",
//                     "handler_meta": { "name": "sessionEditor", "path": "event_handlers/session_editor.js" } } ]
//
// An API-level handler only sees keys of its own organisation.

var sessionEditor = new TykJS.TykEventHandlers.NewEventHandler({});

sessionEditor.NewHandler(function (event, context) {
  var key = event.EventMetaData && event.EventMetaData.Key;
  if (!key) {
    return;
  }
  var session = JSON.parse(TykGetKeyData(key, context.APIID));
  if (session.status === 'error') {
    log('[session_editor] no session for this key: ' + session.message);
    return;
  }
  session.meta_data = session.meta_data || {};
  session.meta_data.last_event = event.EventType;
  session.meta_data.last_event_at = event.TimeStamp;
  if (event.EventType === 'KeyExpired') {
    session.expires = Math.floor(Date.now() / 1000) + 3600;
  }
  if (event.EventType === 'QuotaExceeded') {
    session.meta_data.quota_exceeded_count = (session.meta_data.quota_exceeded_count || 0) + 1;
  }
  TykSetKeyData(key, JSON.stringify(session), '1');
  log('[session_editor] updated the session after ' + event.EventType);
});
