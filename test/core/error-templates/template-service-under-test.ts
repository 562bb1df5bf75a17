/**
 * The template service the error renderer tests run against: the real one once core/template lands,
 * until then a minimal stand-in that substitutes `{{.Field}}` (replace before the final commit).
 */
import type { CompiledTemplate, TemplateService } from '../../../core/template/template-service.ts';

export async function errorTemplateService(): Promise<TemplateService> {
  const compile = (source: string, options: { format: CompiledTemplate['format']; name: string }): CompiledTemplate => ({
    format: options.format,
    path: options.name,
    render: (data) => source.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_m, field: string) => String((data as Record<string, unknown>)[field] ?? '')),
  });
  return { compile, load: async () => Promise.reject(new Error('not used')) };
}
