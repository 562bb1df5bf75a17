/**
 * Output escapers, one per template format, plus Go html/template's text escaper for the
 * Tyk compat mode. Each takes an already stringified value. Fast path: a single regex test.
 */
/* oxlint-disable no-control-regex -- escapers must find control characters */

const JSON_SPECIAL = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/u;
const JSON_SHORT: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

function unicodeEscape(code: number): string {
  return '\\u' + code.toString(16).padStart(4, '0');
}

/**
 * Escape text for the inside of a JSON string literal (no surrounding quotes). Control characters,
 * `"` and `\` are escaped as JSON requires; `<`, `>`, `&`, U+2028/U+2029 and lone surrogates are
 * written as `\uXXXX` so the result is also safe to embed in HTML and always valid UTF-8.
 */
export function escapeJsonString(text: string): string {
  if (!JSON_SPECIAL.test(text)) return text;
  let out = '';
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let replacement: string | undefined;
    if (code < 0x20 || code === 0x22 || code === 0x5c) replacement = JSON_SHORT[code] ?? unicodeEscape(code);
    else if (code === 0x3c || code === 0x3e || code === 0x26 || code === 0x2028 || code === 0x2029) replacement = unicodeEscape(code);
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      replacement = unicodeEscape(code);
    }
    if (replacement === undefined) continue;
    out += text.slice(last, i) + replacement;
    last = i + 1;
  }
  return out + text.slice(last);
}

/** A JSON string literal, quotes included, with the same escaping as {@link escapeJsonString}. */
export function quoteJsonString(text: string): string {
  return '"' + escapeJsonString(text) + '"';
}

// Characters XML 1.0 does not allow at all (not even as references) are replaced by U+FFFD.
const XML_SPECIAL = /[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/u;
const XML_ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escape text for XML character data or a quoted attribute value; output is always well-formed. */
export function escapeXml(text: string): string {
  if (!XML_SPECIAL.test(text)) return text;
  return text.replace(/[&<>"'\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/gu, (c) => XML_ENTITIES[c] ?? '\ufffd');
}

const GO_HTML_SPECIAL = /[\u0000"&'+<>]/;
const GO_HTML_TABLE: Record<string, string> = { '\u0000': '\ufffd', '"': '&#34;', '&': '&amp;', "'": '&#39;', '+': '&#43;', '<': '&lt;', '>': '&gt;' };

/**
 * Go html/template's escaper for text and quoted attribute context (`htmlReplacementTable`), which
 * Tyk's webhook templates pass every value through: NUL -> U+FFFD, `"` -> `&#34;`, `&` -> `&amp;`,
 * `'` -> `&#39;`, `+` -> `&#43;`, `<` -> `&lt;`, `>` -> `&gt;`; everything else unchanged.
 */
export function escapeGoHtml(text: string): string {
  if (!GO_HTML_SPECIAL.test(text)) return text;
  return text.replace(/[\u0000"&'+<>]/g, (c) => GO_HTML_TABLE[c]!);
}

/** Go text/template's `html` function (`template.HTMLEscapeString`): like above but leaves `+`. */
export function htmlEscapeString(text: string): string {
  return text.replace(/[\u0000"&'<>]/g, (c) => GO_HTML_TABLE[c]!);
}

/** Go text/template's `js` function (`template.JSEscapeString`). */
export function jsEscapeString(text: string): string {
  return text.replace(/[\\'"<>&=\u0000-\u001f]/g, (c) => {
    switch (c) {
      case '\\':
        return '\\\\';
      case "'":
        return "\\'";
      case '"':
        return '\\"';
      default:
        return '\\u' + c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    }
  });
}

/** Go text/template's `urlquery` function (`url.QueryEscape`). */
export function urlQueryEscape(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}
