import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BOOTSTRAP_PARTS, BOOTSTRAP_SOURCE } from '../../../sandbox/child/bootstrap.ts';

const dir = new URL('../../../sandbox/isolate/', import.meta.url);
const text = (name: string): string => readFileSync(new URL(name, dir), 'utf8');
const code = (source: string): string =>
  source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "''");

describe('isolate bootstrap files', () => {
  it('joins every .js file of sandbox/isolate, once, in the listed order, into the closure body', () => {
    expect([...BOOTSTRAP_PARTS].sort()).toEqual(
      readdirSync(dir)
        .filter((name) => name.endsWith('.js'))
        .sort(),
    );
    expect(BOOTSTRAP_SOURCE.startsWith(text(BOOTSTRAP_PARTS[0]))).toBe(true);
    expect(BOOTSTRAP_SOURCE).toBe(
      BOOTSTRAP_PARTS.map(text).join('') + '\nreturn { __proto__: null, dispatch: dispatch, details: details, loadFile: loadFile };\n',
    );
  });

  it('has every file type-checked, in strict mode from the first part on, importing nothing', () => {
    for (const name of BOOTSTRAP_PARTS) {
      const source = text(name);
      expect(source.startsWith('// @ts-check\n'), name).toBe(true);
      expect(source, name).not.toMatch(/^\s*(import|export)\b/m);
    }
    expect(code(BOOTSTRAP_SOURCE).trimStart().startsWith("'';")).toBe(true); // 'use strict' is the first statement
    expect(text(BOOTSTRAP_PARTS[0])).toContain("\n'use strict';\n");
  });

  // oxlint sees each part alone, so its no-unused-vars is off there; this is the check across parts.
  it('uses every top-level name a part declares somewhere in the bootstrap', () => {
    const body = code(BOOTSTRAP_SOURCE);
    const declared = [...body.matchAll(/^(?:const|let|function)\s+(\w+)/gm)].map((m) => m[1]!);
    expect(declared.length).toBeGreaterThan(50);
    const unused = declared.filter((name) => (body.match(new RegExp(`(?<![\\w.$])${name.replace('$', '\\$')}\\b(?!\\s*=[^=>])`, 'g')) ?? []).length < 1); // reads only: the declaration and assignments do not count
    expect(unused).toEqual([]);
  });
});
