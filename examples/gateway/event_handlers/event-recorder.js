// Example gateway's JS event handler: sends what it sees (the event under both of Tyk's spellings,
// and the context) to a recorder at http://127.0.0.1:8001/js, so a person
// (examples/gateway/demo-servers.ts) or a test can watch a JS handler observe every event.
var eventRecorder = new TykJS.TykEventHandlers.NewEventHandler({});

eventRecorder.NewHandler(function (event, context) {
  var sent = TykMakeHttpRequest(JSON.stringify({
    Method: 'POST',
    Domain: 'http://127.0.0.1:8001',
    Resource: '/js',
    Headers: { 'Content-Type': 'application/json' },
    Body: JSON.stringify({
      event: event,
      EventType: event.EventType,
      EventMetaData: event.EventMetaData,
      context: context
    })
  }));
  if (sent === undefined) log('[event-recorder] could not reach the recorder for ' + event.EventType);
});
