/**
 * The escaping Tyk applies to the error message before it executes an error template: the inside
 * of a JSON string as Go's `json.Marshal` writes it (HTML-safe: `<` `>` `&` as `\u003c` ...), or
 * XML character data as Go's `xml.EscapeText` writes it. Valid JSON and well-formed XML whatever
 * the message holds.
 */

const JSON_SHORT: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

function u(code: number): string {
  return `\\u${code.toString(16).padStart(4, '0')}`;
}

function isLoneSurrogate(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return !(next >= 0xdc00 && next <= 0xdfff);
  }
  if (code >= 0xdc00 && code <= 0xdfff) {
    const prev = text.charCodeAt(i - 1);
    return !(prev >= 0xd800 && prev <= 0xdbff);
  }
  return false;
}

/** `json.Marshal(s)` without the surrounding quotes (lone surrogates, invalid in UTF-8, become `\ufffd`). */
export function goJsonEscape(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c) out += JSON_SHORT[code] ?? u(code);
    else if (code === 0x3c || code === 0x3e || code === 0x26 || code === 0x2028 || code === 0x2029) out += u(code);
    else if (isLoneSurrogate(text, i)) out += '\\ufffd';
    else out += text[i];
  }
  return out;
}

const XML_ESCAPES: Record<string, string> = {
  '"': '&#34;',
  "'": '&#39;',
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '\t': '&#x9;',
  '\n': '&#xA;',
  '\r': '&#xD;',
};

/** Go's `xml.EscapeText`: characters outside XML's character range become U+FFFD. */
export function goXmlEscape(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    const escaped = XML_ESCAPES[ch];
    if (escaped !== undefined) {
      out += escaped;
      continue;
    }
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0xfffe || code === 0xffff || isLoneSurrogate(text, i)) out += '\ufffd';
    else out += ch;
  }
  return out;
}
