export { createTemplateService, templateFormatFor, type TemplateServiceOptions } from './create-template-service.ts';
export { TemplateError } from './template-error.ts';
export { escapeGoHtml, escapeJsonString, escapeXml } from './escape.ts';
export { asRfc3339, asRfc3339FromString } from './template-time.ts';
export type * from './template-service.ts';
