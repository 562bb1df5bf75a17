import type { TemplateFormat } from '../../core/index.ts';

const TOKEN_BYTE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]$/;

/**
 * Go's textproto.CanonicalMIMEHeaderKey: upper-case the first letter and each letter after a dash,
 * lower-case the rest; names holding a space or a byte that is not a token character stay as written.
 */
export function canonicalMimeHeaderKey(name: string): string {
  for (const c of name) if (!TOKEN_BYTE.test(c)) return name;
  let out = '';
  let upper = true;
  for (const c of name) {
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  return out;
}

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
