/**
 * Templates for webhook bodies, monitor payloads and error responses.
 * Tyk's Go-template dialect is translated onto Handlebars; native `.hbs` templates also work.
 * (Contract; the implementation lives beside this file.)
 */

/** How rendered values are escaped: by the template's format. */
export type TemplateFormat = 'json' | 'xml' | 'text';

export interface CompiledTemplate {
  readonly format: TemplateFormat;
  /** Absolute path it was loaded from, when it came from a file. */
  readonly path: string | undefined;
  /** Render with the given data (usually `{Type, Meta, TimeStamp}` plus aliases). */
  render(data: unknown): string;
}

export interface TemplateLoadOptions {
  /** Reproduce Tyk's HTML escaping byte for byte instead of format-aware escaping. */
  tykCompatEscaping?: boolean;
}

export interface TemplateService {
  /** Load and compile a template file; format from its extension. Throws FirehookError on failure. */
  load(path: string, options?: TemplateLoadOptions): Promise<CompiledTemplate>;
  /** Compile template source text. */
  compile(source: string, options: TemplateLoadOptions & { format: TemplateFormat; name: string }): CompiledTemplate;
}
