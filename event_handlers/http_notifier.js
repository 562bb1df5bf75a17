// Sample Firehook / Tyk event handler: posts a short JSON notice about each event to a service.
//
// The target is read from handler storage (set it once with TykStorageSet('notify_url', ...),
// or change the default below). Script HTTP obeys the private-network egress policy: allow the
// target in the gateway config's webhooks.allow_networks if it is on a private address.
//
//   "HostDown": [ { "handler_name": "eh_dynamic_handler",
//                   "handler_meta": { "name": "httpNotifier", "path": "event_handlers/http_notifier.js" } } ]

var DEFAULT_NOTIFY_URL = 'http://127.0.0.1:9999';

var httpNotifier = new TykJS.TykEventHandlers.NewEventHandler({});

httpNotifier.NewHandler(function (event, context) {
  var target = TykStorageGet('notify_url') || DEFAULT_NOTIFY_URL;
  var request = {
    Method: 'POST',
    Domain: target,
    Resource: '/tyk-events',
    Headers: { 'Content-Type': 'application/json' },
    Body: JSON.stringify({
      event: event.EventType,
      api_id: context.APIID,
      org_id: context.OrgID,
      message: event.EventMetaData.Message,
      at: event.TimeStamp
    })
  };
  var response = TykMakeHttpRequest(JSON.stringify(request));
  if (response === undefined) {
    log('[http_notifier] the notice for ' + event.EventType + ' could not be sent');
    return;
  }
  var reply = JSON.parse(response);
  log('[http_notifier] ' + event.EventType + ' -> ' + target + ' answered ' + reply.Code);
});
