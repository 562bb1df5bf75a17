/**
 * `npm run build`: copy the isolate bootstrap (sandbox/isolate/*.js, read as text at run time by
 * sandbox/child/bootstrap.ts) next to the compiled child code in dist/sandbox/isolate.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const from = join(import.meta.dirname, 'isolate');
const to = join(import.meta.dirname, '../dist/sandbox/isolate');
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) if (name.endsWith('.js')) copyFileSync(join(from, name), join(to, name));
