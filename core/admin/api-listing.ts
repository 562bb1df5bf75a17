/** The loaded generation as the admin API shows it: APIs with their handlers, and who uses a global webhook. */
import type { SlotStats } from '../dispatch/handler-slot.ts';
import type { Runtime } from '../runtime.ts';

export interface HandlerView extends SlotStats {
  /** Set when the handler's id names a global webhook (live, or deleted and kept as a local copy). */
  global_webhook?: { id: string; deleted: boolean; revision: number };
}

export interface ApiView {
  api_id: string;
  org_id: string;
  name: string;
  format: string;
  file: string;
  handlers: HandlerView[];
}

function view(runtime: Runtime, h: SlotStats): HandlerView {
  const global = h.plugin === 'eh_web_hook_handler' ? runtime.globalWebhooks.cached(h.handler) : undefined;
  return global ? { ...h, global_webhook: { id: global.id, deleted: global.deleted === true, revision: global.revision } } : { ...h };
}

export function describeApis(runtime: Runtime): { generation: number; apis: ApiView[]; system: HandlerView[] } {
  const g = runtime.generation();
  const apis = g.apis.map((api) => ({
    api_id: api.apiId,
    org_id: api.orgId,
    name: api.name,
    format: api.format,
    file: api.file,
    handlers: g.handlers.filter((h) => h.apiId === api.apiId).map((h) => view(runtime, h)),
  }));
  const known = new Set(g.apis.map((a) => a.apiId));
  const rest = g.handlers.filter((h) => !known.has(h.apiId)).map((h) => view(runtime, h));
  // handlers with apiId "" are gateway-level (system events) or serve every API (discovered JS handlers)
  return { generation: g.number, apis, system: rest };
}

/** Handlers of the loaded generation that use global webhook `id`. */
export function webhookReferences(runtime: Runtime, id: string): { api_id: string; event: string; handler: string }[] {
  return runtime
    .generation()
    .handlers.filter((h) => h.plugin === 'eh_web_hook_handler' && h.handler === id)
    .map((h) => ({ api_id: h.apiId, event: h.event, handler: h.handler }));
}
