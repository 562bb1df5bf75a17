/** API definitions after loading, whatever their source format (Classic, OAS, Operator YAML). */

/** One handler entry as Tyk Classic writes it. */
export interface HandlerEntry {
  handler_name: string;
  handler_meta: Record<string, unknown>;
}

/** `event_handlers` as in Tyk Classic definitions and the gateway config. */
export interface EventHandlersSection {
  events: Record<string, HandlerEntry[]>;
}

export type ApiFormat = 'classic' | 'oas' | 'operator';

/** A handler configured for an event, with where it was declared. */
export interface HandlerSpec {
  /** Event type it is registered for. */
  event: string;
  /** Classic handler name (OAS kinds already mapped: webhook -> eh_web_hook_handler, ...). */
  handlerName: string;
  /** handler_meta, keys as written. */
  meta: Readonly<Record<string, unknown>>;
  /** The document format it came from (plugins map OAS field names). */
  format: ApiFormat | 'gateway';
  file: string;
  /** JSON pointer to the handler entry. */
  pointer: string;
  /** JSON pointer to the options object (`<pointer>/handler_meta` for Classic, the entry itself for OAS). */
  metaPointer: string;
}

export interface ApiDefinition {
  apiId: string;
  orgId: string;
  name: string;
  format: ApiFormat;
  file: string;
  handlers: HandlerSpec[];
  /** The document as loaded (frozen), for plugins and gateways that need more fields. */
  raw: Readonly<Record<string, unknown>>;
}
