import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../core/errors/codes.ts';

const root = join(import.meta.dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('error catalogue', () => {
  const codes = Object.keys(ERROR_CODES);

  it('is alphabetised and every code is FH_<AREA>_<PROBLEM>', () => {
    expect(codes).toEqual([...codes].sort());
    for (const code of codes) expect(code).toMatch(/^FH_[A-Z0-9]+_[A-Z0-9_]+$/);
  });

  it('matches docs/errors.md line for line', () => {
    const documented = readFileSync(join(root, 'docs/errors.md'), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('- `FH_'))
      .map((l) => /^- `(FH_[A-Z0-9_]+)`: (.*)$/.exec(l)!)
      .map((m) => [m[1], m[2]]);
    expect(documented).toEqual(Object.entries(ERROR_CODES));
  });

  it('knows every code the source uses', () => {
    const used = new Set<string>();
    for (const dir of ['core', 'plugins', 'sandbox']) {
      for (const file of sources(join(root, dir))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/['"`](FH_[A-Z0-9_]+)['"`]/g)) used.add(m[1]!);
      }
    }
    const unknown = [...used].filter((c) => !(c in ERROR_CODES));
    expect(unknown).toEqual([]);
  });
});
