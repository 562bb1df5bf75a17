/**
 * Test-fire a global webhook: build a throwaway handler through the webhook plugin itself (same
 * resolution, template, headers, signing and delivery as a real reference, without a cooldown),
 * send one sample event, and wait briefly for the first attempt to be recorded.
 */
import { createHandlerContext } from '../handler-context.ts';
import type { GatewayConfig } from '../config/gateway-config.ts';
import type { AttemptRecord, DeliveryAdmin } from '../delivery/delivery-service.ts';
import { buildEvent } from '../dispatcher.ts';
import { FirehookError, formatProblem, type ConfigProblem } from '../errors/firehook-error.ts';
import type { HandlerOutcome, HandlerPlugin } from '../plugin.ts';
import type { RuntimeServices } from '../runtime-services.ts';
import { sampleMeta } from './sample-events.ts';

export interface TestFireInput {
  webhookId: string;
  type: string;
  apiId?: string;
  /** Metadata to send; default: a sample for the type. */
  meta?: Record<string, unknown>;
  /** How long to wait for the first attempt (ms, default 5000; 0 = do not wait). */
  waitMs?: number;
}

export interface TestFireResult {
  status: HandlerOutcome['status'];
  detail?: string;
  deliveryId?: string;
  event: { type: string; api_id: string; meta: Record<string, unknown> };
  attempts: AttemptRecord[];
  warnings: string[];
}

export interface TestFireDeps {
  plugins: readonly HandlerPlugin[];
  services: RuntimeServices;
  gateway: GatewayConfig;
  admin: DeliveryAdmin | undefined;
}

const WEBHOOK_PLUGIN = 'eh_web_hook_handler';

export async function testFireWebhook(input: TestFireInput, deps: TestFireDeps): Promise<TestFireResult> {
  const plugin = deps.plugins.find((p) => p.name === WEBHOOK_PLUGIN);
  if (!plugin) throw new FirehookError('FH_PLUGIN_NOT_FOUND', `no ${WEBHOOK_PLUGIN} plugin is loaded`);
  const { services, gateway } = deps;
  const apiId = input.apiId ?? '';
  const handlerId = `test:${input.webhookId}`;
  const problems: ConfigProblem[] = [];
  const source = { file: '<admin test-fire>', pointer: '', format: 'gateway' as const };
  const meta = { id: input.webhookId, event_timeout: 0 };
  const options = plugin.normalize ? plugin.normalize(meta, source, gateway) : meta;
  const logger = services.logger.child({ plugin: WEBHOOK_PLUGIN, api_id: apiId, handler: handlerId });
  const api = apiId ? { apiId, orgId: '', name: apiId } : undefined;
  const ctx = createHandlerContext({ services, gateway, api, source, event: input.type, handlerId, logger, problems });
  const handler = await plugin.create(options as never, ctx);
  const eventMeta = input.meta ?? sampleMeta(input.type, apiId);
  try {
    const outcome = (await handler.handle(buildEvent(input.type, eventMeta as never, apiId, ''))) ?? { status: 'ok' as const };
    const deliveryId = /delivery (\S+)/.exec(outcome.detail ?? '')?.[1];
    const attempts = deliveryId && deps.admin ? await firstAttempts(deps.admin, deliveryId, input.waitMs ?? 5_000) : [];
    return {
      status: outcome.status,
      ...(outcome.detail ? { detail: outcome.detail } : {}),
      ...(deliveryId ? { deliveryId } : {}),
      event: { type: input.type, api_id: apiId, meta: eventMeta },
      attempts,
      warnings: problems.map(formatProblem),
    };
  } finally {
    await handler.dispose?.();
  }
}

async function firstAttempts(admin: DeliveryAdmin, deliveryId: string, waitMs: number): Promise<AttemptRecord[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const attempts = await admin.attempts({ deliveryId, limit: 10 });
    if (attempts.length > 0 || Date.now() >= deadline) return attempts;
    await new Promise((r) => setTimeout(r, 25));
  }
}

