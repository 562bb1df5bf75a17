/**
 * The Handlebars helpers behind translated Go templates (and available to native `.hbs` ones):
 * Go's template functions as `go_<name>`, Go-semantics blocks (`fh_if`, `fh_with`, `fh_range`),
 * internals (`fh_root`, `fh_get`, `fh_cat`, `fh_chr`, `fh_num`) and one output helper per escaping
 * mode (`fh_jstr`, `fh_jval`, `fh_xml`, `fh_text`, `fh_tyk`).
 */
import type { HelperDelegate, HelperOptions } from 'handlebars';
import { escapeGoHtml, escapeJsonString, escapeXml, htmlEscapeString, jsEscapeString, quoteJsonString, urlQueryEscape } from './escape.ts';
import { formatGoNumber, goSprint, goTruthy, valueText } from './go-format.ts';
import { asRfc3339, asRfc3339FromString } from './template-time.ts';

let renderRoot: unknown;

/** Set the data `$` refers to; rendering is synchronous, so one slot is enough. */
export function setRenderRoot(root: unknown): void {
  renderRoot = root;
}

/** Drop the trailing Handlebars options argument. */
function args(list: IArguments): unknown[] {
  return Array.prototype.slice.call(list, 0, -1) as unknown[];
}

function looseEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // Missing values behave as empty: `eq .Meta.Missing ""` is true.
  if (a === undefined || a === null) return b === undefined || b === null || b === '';
  if (b === undefined || b === null) return a === '';
  return false;
}

function compare(a: unknown, b: unknown): number | undefined {
  const x = a ?? (typeof b === 'number' ? 0 : '');
  const y = b ?? (typeof x === 'number' ? 0 : '');
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : x > y ? 1 : 0;
  return undefined;
}

function sprint(values: unknown[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i > 0 && typeof v !== 'string' && typeof values[i - 1] !== 'string') out += ' ';
    out += valueText(v);
  }
  return out;
}

function sprintf(format: unknown, values: unknown[]): string {
  let next = 0;
  return String(format ?? '').replace(/%([-+# 0]*\d*(?:\.\d+)?)([%vsdqtxXfg])/g, (whole, _flags: string, verb: string) => {
    if (verb === '%') return '%';
    if (next >= values.length) return `%!${verb}(MISSING)`;
    const v = values[next++];
    switch (verb) {
      case 'd':
        return typeof v === 'number' ? String(Math.trunc(v)) : `%!d(${valueText(v)})`;
      case 'q':
        return JSON.stringify(valueText(v));
      case 'x':
      case 'X': {
        const hex = typeof v === 'number' ? Math.trunc(v).toString(16) : Buffer.from(valueText(v)).toString('hex');
        return verb === 'X' ? hex.toUpperCase() : hex;
      }
      case 'f':
        return typeof v === 'number' ? v.toFixed(/\.(\d+)/.exec(whole)?.[1] !== undefined ? Number(/\.(\d+)/.exec(whole)![1]) : 6) : `%!f(${valueText(v)})`;
      default:
        return valueText(v);
    }
  });
}

function lookup(value: unknown, keys: unknown[]): unknown {
  let node = value;
  for (const key of keys) {
    if (node === null || typeof node !== 'object') return undefined;
    const k = String(key);
    node = Object.prototype.hasOwnProperty.call(node, k) ? (node as Record<string, unknown>)[k] : undefined;
  }
  return node;
}

const UNSAFE_JSON = /[<>&\u2028\u2029]/g;

/** A JSON value for output outside quotes in a `.json` template. */
function jsonValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quoteJsonString(value);
    case 'number':
      return Number.isFinite(value) ? formatGoNumber(value) : 'null';
    case 'boolean':
      return String(value);
    case 'bigint':
      return String(value);
    case 'object': {
      if (value === null) return 'null';
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch {
        text = undefined;
      }
      return text === undefined ? 'null' : text.replace(UNSAFE_JSON, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
    }
    default:
      return 'null';
  }
}

/* eslint-disable prefer-rest-params -- Handlebars passes its options object last */
export const TEMPLATE_HELPERS: Record<string, HelperDelegate> = {
  // Output, one per escaping mode.
  fh_jstr: (v: unknown) => escapeJsonString(valueText(v)),
  fh_jval: (v: unknown) => jsonValue(v),
  fh_xml: (v: unknown) => escapeXml(valueText(v)),
  fh_text: (v: unknown) => valueText(v),
  fh_tyk: (v: unknown) => escapeGoHtml(goSprint(v)),
  // Internals of the translation.
  fh_root: () => renderRoot,
  fh_get: function (this: unknown) {
    const [value, ...keys] = args(arguments);
    return lookup(value, keys);
  },
  fh_cat: function (this: unknown) {
    return args(arguments).join('');
  },
  fh_chr: (code: number) => String.fromCharCode(code),
  fh_num: (text: string) => Number(text),
  // Blocks with Go's semantics.
  fh_if: function (this: unknown, value: unknown, options: HelperOptions) {
    return goTruthy(value) ? options.fn(this) : options.inverse(this);
  },
  fh_with: function (this: unknown, value: unknown, options: HelperOptions) {
    return goTruthy(value) ? options.fn(value) : options.inverse(this);
  },
  fh_range: function (this: unknown, value: unknown, options: HelperOptions) {
    let out = '';
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) out += options.fn(value[i], { blockParams: [value[i], i] });
    } else if (typeof value === 'number' && Number.isInteger(value)) {
      for (let i = 0; i < value; i++) out += options.fn(i, { blockParams: [i, i] });
    } else if (value !== null && typeof value === 'object') {
      for (const key of Object.keys(value).sort()) {
        const item = (value as Record<string, unknown>)[key];
        out += options.fn(item, { blockParams: [item, key] });
      }
    }
    return out === '' && !goTruthy(value) ? options.inverse(this) : out;
  },
  // Go's template functions.
  go_and: function () {
    const list = args(arguments);
    for (const v of list) if (!goTruthy(v)) return v;
    return list.at(-1);
  },
  go_or: function () {
    const list = args(arguments);
    for (const v of list) if (goTruthy(v)) return v;
    return list.at(-1);
  },
  go_not: (v: unknown) => !goTruthy(v),
  go_eq: function () {
    // Hot in `if eq .Type "A" "B" ...` chains: no argument copies.
    const first: unknown = arguments[0];
    for (let i = 1; i < arguments.length - 1; i++) if (looseEqual(first, arguments[i])) return true;
    return false;
  },
  go_ne: (a: unknown, b: unknown) => !looseEqual(a, b),
  go_lt: (a: unknown, b: unknown) => (compare(a, b) ?? 0) < 0,
  go_le: (a: unknown, b: unknown) => (compare(a, b) ?? 1) <= 0,
  go_gt: (a: unknown, b: unknown) => (compare(a, b) ?? 0) > 0,
  go_ge: (a: unknown, b: unknown) => (compare(a, b) ?? -1) >= 0,
  go_len: (v: unknown) =>
    typeof v === 'string' ? Buffer.byteLength(v) : Array.isArray(v) ? v.length : v !== null && typeof v === 'object' ? Object.keys(v).length : 0,
  go_index: function () {
    const [value, ...keys] = args(arguments);
    return lookup(value, keys);
  },
  go_print: function () {
    return sprint(args(arguments));
  },
  go_println: function () {
    return args(arguments).map(valueText).join(' ') + '\n';
  },
  go_printf: function () {
    const [format, ...rest] = args(arguments);
    return sprintf(format, rest);
  },
  go_html: function () {
    return htmlEscapeString(sprint(args(arguments)));
  },
  go_js: function () {
    return jsEscapeString(sprint(args(arguments)));
  },
  go_urlquery: function () {
    return urlQueryEscape(sprint(args(arguments)));
  },
  go_as_rfc3339: (v: unknown) => asRfc3339(v),
  go_as_rfc3339_from_string: (v: unknown) => asRfc3339FromString(v),
};
/* eslint-enable prefer-rest-params */

/** Helpers a native `.hbs` template may call by their plain names. */
export const NATIVE_HELPER_ALIASES: Record<string, string> = {
  as_rfc3339: 'go_as_rfc3339',
  as_rfc3339_from_string: 'go_as_rfc3339_from_string',
  eq: 'go_eq',
  ne: 'go_ne',
  lt: 'go_lt',
  le: 'go_le',
  gt: 'go_gt',
  ge: 'go_ge',
  and: 'go_and',
  or: 'go_or',
  not: 'go_not',
  len: 'go_len',
};
