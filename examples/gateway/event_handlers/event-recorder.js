// Example gateway's JS event handler: sends what it sees (the event and its context) to a
// recorder at http://127.0.0.1:8001/js, so a person (examples/gateway/demo-servers.ts) or a test
// can watch JS handlers observe every event. Tyk's handler object model and TykMakeHttpRequest.
var eventRecorder = new TykJS.TykEventHandlers.NewEventHandler({});

eventRecorder.NewHandler(function (event, context) {
  var sent = TykMakeHttpRequest(JSON.stringify({
    Method: 'POST',
    Domain: 'http://127.0.0.1:8001',
    Resource: '/js',
    Headers: { 'Content-Type': 'application/json' },
    Body: JSON.stringify({ event: event, context: context })
  }));
  if (sent === undefined) log('[event-recorder] could not reach the recorder for ' + event.EventType);
});
