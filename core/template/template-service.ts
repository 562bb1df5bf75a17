/**
 * Templates for webhook bodies, monitor payloads and error responses.
 * Tyk's Go-template dialect is translated onto Handlebars; native `.hbs` templates also work.
 * (Contract; the implementation is `createTemplateService` in ./create-template-service.ts.)
 */

/** How rendered values are escaped: by the template's format. */
export type TemplateFormat = 'json' | 'xml' | 'text';

export interface CompiledTemplate {
  readonly format: TemplateFormat;
  /** Absolute path it was loaded from, when it came from a file. */
  readonly path: string | undefined;
  /**
   * Render with the given data (usually `{Type, Meta, TimeStamp}` plus the `EventType` /
   * `EventMetaData` aliases). Synchronous; throws FH_TEMPLATE_RENDER_FAILED.
   */
  render(data: unknown): string;
}

export interface TemplateLoadOptions {
  /**
   * Reproduce Tyk's HTML escaping byte for byte instead of format-aware escaping. Unset: the
   * service's default (itself off unless the service was created with it on).
   */
  tykCompatEscaping?: boolean;
  /** Template language; default from the name: `.hbs` is Handlebars, anything else a Go template. */
  engine?: 'go' | 'handlebars';
}

export type TemplateCompileOptions = TemplateLoadOptions & {
  /** Escaping format; `text` writes values raw. */
  format: TemplateFormat;
  /** File name or label, used in errors (and for the engine default). */
  name: string;
};

export interface TemplateService {
  /**
   * Load a template file; format from its extension. The file is read on each call and compiled
   * only when its text changed since the last load with the same options (so a runtime-long
   * service serves edited templates after a reload). Throws FH_TEMPLATE_UNREADABLE or
   * FH_TEMPLATE_INVALID.
   */
  load(path: string, options?: TemplateLoadOptions): Promise<CompiledTemplate>;
  /** Compile template source text. Throws FH_TEMPLATE_INVALID. */
  compile(source: string, options: TemplateCompileOptions): CompiledTemplate;
}
