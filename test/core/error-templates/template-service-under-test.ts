/** The real template service, created the way the runtime creates it, for the error renderer tests. */
import { createLogger } from '../../../core/logger.ts';
import { createTemplateService } from '../../../core/template/index.ts';
import type { TemplateService } from '../../../core/template/template-service.ts';

export async function errorTemplateService(options: { tykCompatEscaping?: boolean } = {}): Promise<TemplateService> {
  return createTemplateService({ logger: createLogger({ level: 'silent' }), ...options });
}
