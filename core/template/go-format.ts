/**
 * How template values become text, following Go's fmt where Tyk's output depends on it
 * (numbers, booleans), and Go's notion of truth for `if`, `with`, `and`, `or`, `not`.
 */

/**
 * A number as Go's `%v` prints it. Whole numbers print as integers (Tyk's Meta numbers are Go ints);
 * other values as strconv 'g' with shortest digits: exponent form when the decimal exponent is
 * below -4 or at least 6 (`1.2345675e+06`, `1e-05`).
 */
export function formatGoNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  const [mantissa, expText] = n.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(n);
}

/** Go truth: false, 0, nil, "" and empty lists and maps are false; everything else is true. */
export function goTruthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (typeof value === 'number') return !Number.isNaN(value);
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') {
    for (const _ in value) return true;
    return false;
  }
  return true;
}

/**
 * Text for a value in Firehook's format-aware modes: strings as they are, numbers and booleans as
 * Go prints them, missing values empty, objects and arrays as JSON.
 */
export function valueText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return formatGoNumber(value);
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return '';
    case 'object':
      if (value === null) return '';
      if (value instanceof Date) return value.toISOString();
      return safeJson(value);
    default:
      return '';
  }
}

/**
 * Text for a value as Go's fmt.Sprint would print it (Tyk compat mode): maps as `map[k:v ...]`
 * with sorted keys, lists as `[a b]`, nil (missing) as empty text, as html/template does.
 */
export function goSprint(value: unknown): string {
  if (value === undefined || value === null) return '';
  return goSprintInner(value, 0);
}

function goSprintInner(value: unknown, depth: number): string {
  if (depth > 32) return '...';
  if (value === undefined || value === null) return '<nil>';
  if (Array.isArray(value)) return '[' + value.map((v) => goSprintInner(v, depth + 1)).join(' ') + ']';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return 'map[' + keys.map((k) => `${k}:${goSprintInner((value as Record<string, unknown>)[k], depth + 1)}`).join(' ') + ']';
  }
  if (typeof value === 'number') return formatGoNumber(value);
  return String(value);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return '';
  }
}
