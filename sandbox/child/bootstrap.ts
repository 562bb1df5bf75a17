/**
 * The isolate bootstrap as text: the files of sandbox/isolate/ (plain, linted and type-checked
 * JavaScript), joined in order into the body of the closure the worker runs first in every
 * handler context (see sandbox/isolate/prelude.js for its arguments). They are read next to this
 * module, from source and from dist alike (`npm run build` copies them, sandbox/copy-isolate.ts).
 */
import { readFileSync } from 'node:fs';

/** The bootstrap's parts, in the order they run. */
export const BOOTSTRAP_PARTS = ['prelude.js', 'b64.js', 'bindings.js', 'tykjs.js', 'dispatch.js', 'loading.js'] as const;

/** The closure's result: the three entry points the worker calls. */
const RESULT = '\nreturn { __proto__: null, dispatch: dispatch, details: details, loadFile: loadFile };\n';

function part(name: string): string {
  return readFileSync(new URL(`../isolate/${name}`, import.meta.url), 'utf8');
}

/** The whole bootstrap closure body. */
export const BOOTSTRAP_SOURCE = BOOTSTRAP_PARTS.map(part).join('') + RESULT;
