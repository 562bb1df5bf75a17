import type { ApiDefinition } from '../config/api-definition.ts';
import type { HandlerSlot } from './handler-slot.ts';

type ByType = Map<string, HandlerSlot[]>;

/**
 * The routing table of one generation: (api, event type) -> handler slots, precomputed so the
 * hot path is two map lookups. Handlers for every API (`'*'`) are merged into each known API at
 * seal time and also serve API ids no definition names.
 */
export class Routes {
  private readonly byApi = new Map<string, ByType>();
  private readonly system: ByType = new Map();
  private readonly wildcard: ByType = new Map();
  private readonly orgs = new Map<string, string>();
  private sealed = false;

  constructor(apis: readonly ApiDefinition[]) {
    for (const api of apis) {
      this.orgs.set(api.apiId, api.orgId);
      this.byApi.set(api.apiId, new Map());
    }
  }

  addApi(apiId: string, event: string, slot: HandlerSlot): void {
    let byType = this.byApi.get(apiId);
    if (byType === undefined) {
      byType = new Map();
      this.byApi.set(apiId, byType);
    }
    push(byType, event, slot);
  }

  addSystem(event: string, slot: HandlerSlot): void {
    push(this.system, event, slot);
  }

  addForApis(apis: readonly string[] | '*', event: string, slot: HandlerSlot): void {
    if (apis === '*' || apis.includes('*')) push(this.wildcard, event, slot);
    else for (const apiId of apis) this.addApi(apiId, event, slot);
  }

  /** Merge the every-API handlers into each API's table; call once, after all adds. */
  seal(): void {
    if (this.sealed) return;
    this.sealed = true;
    for (const byType of this.byApi.values()) {
      for (const [event, slots] of this.wildcard) push(byType, event, ...slots);
    }
  }

  lookup(apiId: string, type: string): HandlerSlot[] | undefined {
    return (this.byApi.get(apiId) ?? this.wildcard).get(type);
  }

  lookupSystem(type: string): HandlerSlot[] | undefined {
    return this.system.get(type);
  }

  /** The organisation of a known API; `""` otherwise. */
  orgOf(apiId: string): string {
    return this.orgs.get(apiId) ?? '';
  }
}

function push(map: ByType, event: string, ...slots: HandlerSlot[]): void {
  const list = map.get(event);
  if (list === undefined) map.set(event, [...slots]);
  else list.push(...slots);
}
