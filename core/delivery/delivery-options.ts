/**
 * Turn a handler's Firehook delivery options (Go duration strings, as users write them) plus the
 * gateway's `webhooks` defaults into the DeliveryOptions a request carries.
 */
import { FirehookError } from '../errors/firehook-error.ts';
import type { HandlerDeliveryConfig, WebhookDefaultsConfig } from '../config/gateway-config.ts';

export type { HandlerDeliveryConfig } from '../config/gateway-config.ts';
import { parseGoDuration } from '../go/time.ts';
import { applyEgressFloor } from '../net/egress-floor.ts';
import type { DeliveryOptions } from './delivery-service.ts';
import { DEFAULT_RETRY_SCHEDULE_MS } from './retry-policy.ts';

const DEFAULT_TIMEOUT_MS = 30_000;

function duration(text: string, what: string): number {
  const ms = parseGoDuration(text);
  if (ms === undefined || ms < 0) throw new FirehookError('FH_DELIVERY_INVALID', `${what}: ${JSON.stringify(text)} is not a Go duration`);
  return ms;
}

/**
 * Handler values win over gateway defaults (signing included), except the private-network policy:
 * the gateway's `deny_private_networks: true` is a floor the handler cannot lower (see
 * core/net/egress-floor.ts). Throws FH_DELIVERY_INVALID for a bad duration.
 */
export function resolveDeliveryOptions(handler: HandlerDeliveryConfig, defaults: WebhookDefaultsConfig = {}): DeliveryOptions {
  const timeoutText = handler.timeout ?? defaults.timeout;
  const scheduleText = handler.retry_schedule ?? defaults.retry_schedule;
  const timeoutMs = timeoutText === undefined || timeoutText === '' ? DEFAULT_TIMEOUT_MS : duration(timeoutText, 'timeout');
  const options: DeliveryOptions = {
    timeoutMs: timeoutMs > 0 ? timeoutMs : DEFAULT_TIMEOUT_MS,
    retryScheduleMs: scheduleText === undefined ? [...DEFAULT_RETRY_SCHEDULE_MS] : scheduleText.map((d, i) => duration(d, `retry_schedule[${i}]`)),
    ...applyEgressFloor(
      { denyPrivateNetworks: handler.deny_private_networks ?? defaults.deny_private_networks, allowNetworks: handler.allow_networks },
      defaults,
    ),
  };
  const signing = handler.signing ?? defaults.signing;
  if (signing) options.signing = signing;
  return options;
}
