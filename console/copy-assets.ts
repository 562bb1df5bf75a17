/** `npm run build`: copy the console's static files next to the compiled scripts in dist/console. */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const from = import.meta.dirname;
const to = join(from, '../dist/console');
mkdirSync(to, { recursive: true });
for (const name of ['index.html', 'style.css', 'favicon.svg']) copyFileSync(join(from, name), join(to, name));
