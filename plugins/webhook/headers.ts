import { canonicalMimeHeaderKey, type TemplateFormat } from '../../core/plugin-api.ts';

const CONTENT_TYPES: Record<TemplateFormat, string> = {
  json: 'application/json',
  xml: 'application/xml',
  text: 'text/plain; charset=utf-8',
};

/**
 * The headers a webhook sends: Tyk's `User-Agent: Tyk-Hookshot`, then `header_map` (canonicalised
 * unless `ignore_canonical_mime_header_key`; a later duplicate wins), then a Content-Type from the
 * template's format unless `header_map` set one.
 */
export function webhookHeaders(headerMap: Readonly<Record<string, string>>, format: TemplateFormat, ignoreCanonical: boolean): Record<string, string> {
  const headers: Record<string, string> = { 'User-Agent': 'Tyk-Hookshot' };
  for (const [name, value] of Object.entries(headerMap)) {
    const key = ignoreCanonical ? name : canonicalMimeHeaderKey(name);
    for (const existing of Object.keys(headers)) if (existing.toLowerCase() === key.toLowerCase()) delete headers[existing];
    headers[key] = value;
  }
  if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = CONTENT_TYPES[format];
  return headers;
}
