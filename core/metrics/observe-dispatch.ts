import type { EventStream } from '../dispatch/event-stream.ts';
import type { Dispatcher, FireObserver } from '../dispatch/dispatcher.ts';
import type { MetricsService } from './metrics-service.ts';

/**
 * Hook metrics and the live event stream onto the dispatcher: matched fires are counted (and
 * streamed while someone listens); unmatched fires are observed only while the stream has a
 * listener, so the no-handler path stays at one counter.
 */
export function observeDispatch(dispatcher: Dispatcher, stream: EventStream, metrics: MetricsService | undefined): void {
  const publish: FireObserver = (apiId, type, matched, meta) => {
    if (stream.active) stream.publish(apiId, type, matched, meta);
  };
  const fired = metrics?.fired;
  const matched: FireObserver = fired
    ? (apiId, type, n, meta) => {
        fired(apiId, type);
        if (stream.active) stream.publish(apiId, type, n, meta);
      }
    : publish;
  dispatcher.observe(matched, metrics?.slots);
  stream.onActiveChange((active) => dispatcher.observeUnmatched(active ? publish : undefined));
}
