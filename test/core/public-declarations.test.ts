import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The declarations a consumer of `firehook` typechecks are the closure of dist/core/index.d.ts
 * (the package's one types entry) through relative imports. They must name Firehook's own types
 * and Node's, never a third-party package's: a consumer with skipLibCheck false would otherwise
 * have to resolve and typecheck ioredis, undici, pino... declarations it never asked for.
 *
 * A package that must be named on purpose goes in ALLOWED with the reason. Keep it empty unless
 * there is no Firehook-owned way to say the same thing.
 */
const ALLOWED: Readonly<Record<string, string>> = {};

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = join(root, 'node_modules', '.bin', 'tsc');
const run = promisify(execFile);

/**
 * The text with comments blanked out (strings and template literals kept), so examples in JSDoc
 * (`import ... from 'firehook'`, `import('undici').Dispatcher`) are not read as imports.
 */
function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out += text.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}

/** Every module specifier a declaration file names, with the syntax that named it. */
function declarationSpecifiers(source: string): Array<{ specifier: string; kind: string }> {
  const found: Array<{ specifier: string; kind: string }> = [];
  const text = stripComments(source);
  const patterns: Array<[string, RegExp]> = [
    // import ... from '...'; export ... from '...'; import type ...; export type * from ...
    ['from', /\bfrom\s*(['"])([^'"\n]+)\1/g],
    // import '...'; (side-effect import, kept in d.ts only rarely)
    ['import', /^\s*import\s*(['"])([^'"\n]+)\1/gm],
    // import("...") type references
    ['import()', /\bimport\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g],
    // import x = require('...')
    ['require', /\brequire\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g],
    // declare module '...' (augmentation of someone else's module)
    ['declare module', /\bdeclare\s+module\s*(['"])([^'"\n]+)\1/g],
  ];
  for (const [kind, re] of patterns) {
    for (const m of text.matchAll(re)) found.push({ specifier: m[2]!, kind });
  }
  for (const m of source.matchAll(/^\s*\/\/\/\s*<reference\s+(types|path|lib)\s*=\s*(['"])([^'"\n]+)\2/gm)) {
    const kind = m[1]!;
    // `path` references are files; `types` references are packages; `lib` is TypeScript's own.
    if (kind === 'lib') continue;
    found.push({ specifier: kind === 'path' ? `./${m[3]!.replace(/^\.\//, '')}` : m[3]!, kind: `reference ${kind}` });
  }
  return found;
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../');
}

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The d.ts file a relative specifier in `from` points at (`./x.ts`, `./x.js`, `./x.d.ts`, `./x`, `./dir`). */
function resolveDeclaration(from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier);
  const ext = /(?:\.d)?\.([mc]?)[jt]s$/.exec(target);
  const candidates = [...(ext ? [`${target.slice(0, ext.index)}.d.${ext[1]!}ts`] : []), `${target}.d.ts`, join(target, 'index.d.ts')];
  const hit = candidates.find((c) => existsSync(c));
  if (!hit) throw new Error(`${from}: cannot resolve ${specifier} to a declaration file (tried ${candidates.join(', ')})`);
  return hit;
}

interface ClosureReport {
  files: string[];
  relativeEdges: number;
  offending: string[];
}

/** Walk the declaration closure from `entry`, collecting every non-relative, non-node: specifier. */
async function walkDeclarations(entry: string, allowed: Readonly<Record<string, string>>, base: string): Promise<ClosureReport> {
  const seen = new Set<string>();
  const queue = [entry];
  const offending: string[] = [];
  let relativeEdges = 0;
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = await readFile(file, 'utf8');
    for (const { specifier, kind } of declarationSpecifiers(text)) {
      if (isRelative(specifier)) {
        relativeEdges++;
        queue.push(resolveDeclaration(file, specifier));
        continue;
      }
      if (specifier.startsWith('node:')) continue;
      // `/// <reference types="node" />`: Node's own declarations, like `node:*`.
      if (kind === 'reference types' && specifier === 'node') continue;
      if (Object.hasOwn(allowed, packageOf(specifier))) continue;
      offending.push(`${relative(base, file)}: ${specifier} (${kind})`);
    }
  }
  return { files: [...seen].map((f) => relative(base, f)).sort(), relativeEdges, offending: [...new Set(offending)].sort() };
}

describe('emitted public declarations', () => {
  let outDir = '';
  beforeAll(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'fh-dts-'));
    // The local compiler, into a directory of our own: the check does not depend on a stale dist/.
    await run(tsc, ['-p', join(root, 'tsconfig.build.json'), '--outDir', outDir], { cwd: root, maxBuffer: 16 * 1024 * 1024 }).catch(
      (error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`tsc -p tsconfig.build.json failed: ${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      },
    );
  }, 120_000);
  afterAll(async () => {
    if (outDir) await rm(outDir, { recursive: true, force: true });
  });

  it('the walker sees imports of every syntax a declaration file uses', () => {
    const text = [
      "import type { A } from './a.js';",
      "export * from '../b.js';",
      "import { C } from 'ioredis';",
      'export type * from "undici";',
      "type D = import('pino').Logger;",
      '/// <reference types="isolated-vm" />',
      '/// <reference path="./e.d.ts" />',
      '/// <reference lib="es2024" />',
      "declare module 'tsyringe' {}",
      "import f = require('commander');",
      "import 'reflect-metadata';",
      "/** Use it as `import('not-an-import').X`, or import { y } from 'nor-this'. */",
      "// import z from 'nor-this-one';",
      'type S = \'// not a comment\' | "/* nor this */";',
    ].join('\n');
    const specs = declarationSpecifiers(text)
      .map((s) => s.specifier)
      .sort();
    expect(specs).toEqual(['../b.js', './a.js', './e.d.ts', 'commander', 'ioredis', 'isolated-vm', 'pino', 'reflect-metadata', 'tsyringe', 'undici'].sort());
  });

  it.each([
    ['.', 'core/index.d.ts'],
    ['./plugin', 'core/plugin-api.d.ts'],
  ])(
    'reach no third-party package from the types entry of the door %s',
    async (door, entryFile) => {
      const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types: string } | string> };
      const typesEntry = (pkg.exports[door] as { types: string }).types;
      expect(typesEntry).toBe(`./dist/${entryFile}`);
      const entry = join(outDir, typesEntry.replace(/^\.\/dist\//, ''));
      const report = await walkDeclarations(entry, ALLOWED, outDir);
      // A broken walker that follows nothing would pass vacuously: each door re-exports from dozens
      // of modules, so the closure must be large and include known files.
      expect(report.files.length).toBeGreaterThan(30);
      expect(report.relativeEdges).toBeGreaterThan(60);
      expect(report.files).toEqual(expect.arrayContaining([entryFile, 'core/plugin.d.ts', 'core/logger.d.ts']));
      if (door === '.') expect(report.files).toContain('core/store/redis-store.d.ts');
      expect(report.offending).toEqual([]);
    },
    120_000,
  );

  it('keeps the plugin door free of the runtime', async () => {
    const report = await walkDeclarations(join(outDir, 'core/plugin-api.d.ts'), ALLOWED, outDir);
    expect(report.files.filter((f) => /^core\/(runtime|index|container|generation)\.d\.ts$|^core\/(http|admin|cli)\//.test(f))).toEqual([]);
  }, 120_000);

  it('lists a reason for every allowed package', () => {
    for (const [name, reason] of Object.entries(ALLOWED)) {
      expect(name).not.toMatch(/^node:|^\./);
      expect(reason.trim().length, `${name} needs a reason`).toBeGreaterThan(10);
    }
  });
});
