import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigProblem } from '../errors/firehook-error.ts';
import { toPointer } from '../errors/firehook-error.ts';
import type { JsonSchema } from './json-schema.ts';

/**
 * `verbose` gives each error its schema node, so a schema may say what a `pattern` means with an
 * `errorMessage` string next to it instead of printing the regular expression.
 */
const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, verbose: true });
const compiled = new WeakMap<object, ValidateFunction>();

/** Segments of a JSON pointer, unescaped. */
function segments(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Compile (once per schema object) and validate; every problem as `<file>#<pointer>`, the pointer
 * being `basePointer` + `mapPath(path)` (by default the path as a pointer; plugins that rename keys
 * map the path back onto the key the user wrote). A wrong type hides the other complaints about the
 * same value; a schema node's `errorMessage` replaces the text of a failed `pattern`.
 */
export function validateAgainst(
  schema: JsonSchema,
  value: unknown,
  file: string,
  basePointer = '',
  mapPath: (path: string[]) => string = (path) => toPointer(...path),
): ConfigProblem[] {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema as Record<string, unknown>);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  const errors = validate.errors ?? [];
  const typed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  return dedupeProblems(
    errors
      .filter((e) => e.keyword !== 'propertyNames' && (e.keyword === 'type' || !typed.has(e.instancePath)))
      .map((e) => toProblem(e, value, file, basePointer, mapPath)),
  );
}

function toProblem(error: ErrorObject, root: unknown, file: string, basePointer: string, mapPath: (path: string[]) => string): ConfigProblem {
  const path = segments(error.instancePath);
  let message = error.message ?? 'is invalid';
  let offending: unknown = valueAt(root, error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      path.push(String(params.additionalProperty));
      message = 'unknown key';
      offending = undefined;
      break;
    case 'required':
      message = `missing required key "${String(params.missingProperty)}"`;
      offending = undefined;
      break;
    case 'enum':
      message = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'pattern': {
      const explained = (error.parentSchema as { errorMessage?: unknown } | undefined)?.errorMessage;
      if (typeof explained === 'string') message = explained;
      if (error.propertyName !== undefined) {
        // a key that fails `propertyNames`: point at the key itself
        path.push(error.propertyName);
        offending = undefined;
      }
      break;
    }
    default:
      break;
  }
  const shown = offending === undefined ? '' : showValue(offending);
  return { file, pointer: basePointer + mapPath(path), message: shown ? `${message} (got ${shown})` : message, severity: 'error' };
}

/** Drop repeated problems (same pointer and message), keeping the first. */
export function dedupeProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.pointer}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Resolve a JSON pointer inside a value; `undefined` when absent. */
export function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** A short rendering of an offending value, or `''` when too long to be useful. */
export function showValue(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return '';
  }
  if (text === undefined) return '';
  return text.length <= 60 ? text : '';
}

/** Deep-freeze a loaded document (accepted config is immutable). */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
