import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFiles } from '../../../core/validate-files.ts';
import { formatProblem } from '../../../core/errors/firehook-error.ts';

const corpus = join(import.meta.dirname, '../../fixtures/corpus');
const cases = readdirSync(corpus)
  .filter((f) => !f.endsWith('.expected'))
  .sort();

describe('broken configuration corpus', () => {
  it.each(cases)('%s gives exactly its expected problem lines', async (name) => {
    const file = join(corpus, name);
    const expected = readFileSync(join(corpus, name.replace(/\.(json|ya?ml)$/, '.expected')), 'utf8')
      .trim()
      .split('\n');
    const problems = await validateFiles(undefined, [file]);
    const lines = problems.filter((p) => p.severity === 'error').map((p) => formatProblem(p).slice(file.length));
    expect(lines).toEqual(expected);
  });
});
