import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigProblem } from '../errors/firehook-error.ts';
import { pointerSegment } from '../errors/firehook-error.ts';
import type { JsonSchema } from '../plugin.ts';

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
const compiled = new WeakMap<object, ValidateFunction>();

/** Compile (once per schema object) and validate; every problem as `<file>#<pointer>`. */
export function validateAgainst(schema: JsonSchema, value: unknown, file: string, basePointer = ''): ConfigProblem[] {
  let validate = compiled.get(schema);
  if (validate === undefined) {
    validate = ajv.compile(schema as Record<string, unknown>);
    compiled.set(schema, validate);
  }
  if (validate(value)) return [];
  return dedupe((validate.errors ?? []).map((e) => toProblem(e, value, file, basePointer)));
}

function toProblem(error: ErrorObject, root: unknown, file: string, basePointer: string): ConfigProblem {
  let pointer = error.instancePath;
  let message = error.message ?? 'is invalid';
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      pointer += '/' + pointerSegment(String(params.additionalProperty));
      message = 'unknown key';
      break;
    case 'required':
      message = `missing required key "${String(params.missingProperty)}"`;
      break;
    case 'enum':
      message = `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    default:
      break;
  }
  const offending = error.keyword === 'required' || error.keyword === 'additionalProperties' ? undefined : valueAt(root, error.instancePath);
  const shown = offending === undefined ? '' : showValue(offending);
  return { file, pointer: basePointer + pointer, message: shown ? `${message} (got ${shown})` : message, severity: 'error' };
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
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
