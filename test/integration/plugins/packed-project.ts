/**
 * A fresh npm project with `firehook` and the example plugins installed from `npm pack` tarballs,
 * as an operator would have it: firehook is compiled from the current source into a staging copy
 * of the package (the shared `dist/` is left alone), packed, and installed together with the
 * packed plugins.
 *
 * Hermetic: the project starts with a lockfile holding the root `package-lock.json`'s entries for
 * firehook's dependencies (versions, tarball URLs, integrity), so npm installs exactly what the
 * repository pins, never whatever the registry serves newest that day; from the npm cache when it
 * has them (a root `npm ci` put them there), else by the locked URLs. The project allows
 * isolated-vm's install script the way the README tells operators to, so npm warns about none.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from '../../helpers/cli.ts';

export const EXAMPLES = join(ROOT, 'examples/plugins');
export const PLUGIN_PACKAGES = ['firehook-plugin-archive', 'firehook-plugin-chat'] as const;

/**
 * Node 24 (the one running the tests) first on PATH, so npm and its scripts run on it too; none of
 * the `npm_*` variables of an enclosing `npm test` (they would configure the inner npm).
 */
export const TOOL_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_'))),
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  npm_config_update_notifier: 'false',
  // the cache the enclosing run was given (`npm_config_cache=$(mktemp -d) npm test`) stays in use
  ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
};

/** What the installing project writes into its package.json for isolated-vm (see the README). */
export const PROJECT_ALLOW_SCRIPTS = { 'isolated-vm': true } as const;

interface LockEntry {
  version?: string;
  dev?: boolean;
  devOptional?: boolean;
  [field: string]: unknown;
}

/** The root lockfile's `packages` entries that are not dev-only: firehook's installed dependencies. */
export async function lockedRuntimePackages(): Promise<Record<string, LockEntry>> {
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  return Object.fromEntries(Object.entries(lock.packages).filter(([path, entry]) => path !== '' && !entry.dev && !entry.devOptional));
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = TOOL_ENV): Promise<RunResult> {
  const started = Date.now();
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

async function must(command: string, args: string[], cwd: string): Promise<RunResult> {
  const result = await run(command, args, cwd);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr.slice(-2000)}`);
  return result;
}

export interface PackedProject {
  /** The temporary directory holding everything. */
  root: string;
  /** The project firehook and the plugins are installed in. */
  project: string;
  tarballs: Record<string, string>;
  /** ms per step; `offline` 1 when the npm cache alone sufficed. */
  timings: Record<string, number>;
  /** What `npm install` printed (stdout and stderr). */
  installOutput: string;
}

/** Build, pack and install; returns where the project is and how long each step took. */
export async function createPackedProject(): Promise<PackedProject> {
  const root = await mkdtemp(join(tmpdir(), 'fh-packed-'));
  const stage = join(root, 'stage');
  const tgz = join(root, 'tarballs');
  const project = join(root, 'project');
  const timings: Record<string, number> = {};
  await mkdir(tgz);

  const noModules = (src: string) => !src.split('/').includes('node_modules');
  // what npm packs: package.json, README and the `files` list (dist is compiled below, negations applied by npm)
  const { files } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
  for (const entry of ['package.json', 'README.md', ...files.filter((f) => f !== 'dist' && !f.startsWith('!'))]) {
    await cp(join(ROOT, entry), join(stage, entry), { recursive: true, filter: noModules });
  }
  const build = await run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json', '--outDir', join(stage, 'dist')], ROOT);
  timings.build = build.ms;
  // Type errors elsewhere in the tree still emit; only a build that produced no entry point is fatal.
  if (build.code !== 0) console.warn(`tsc reported problems (the build still emitted):\n${build.stdout.slice(-1500)}`);

  const tarballs: Record<string, string> = {};
  const packStarted = Date.now();
  for (const dir of [stage, ...PLUGIN_PACKAGES.map((p) => join(EXAMPLES, p))]) {
    const packed = await must('npm', ['pack', dir, '--pack-destination', tgz, '--json', '--ignore-scripts'], root);
    const [info] = JSON.parse(packed.stdout) as { name: string; filename: string }[];
    tarballs[info!.name] = join(tgz, info!.filename);
  }
  timings.pack = Date.now() - packStarted;

  await mkdir(project);
  const manifest = { name: 'my-gateway', version: '1.0.0', private: true, type: 'module', allowScripts: PROJECT_ALLOW_SCRIPTS };
  await writeFile(join(project, 'package.json'), JSON.stringify(manifest, null, 2));
  const seed = {
    name: manifest.name,
    version: manifest.version,
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name: manifest.name, version: manifest.version }, ...(await lockedRuntimePackages()) },
  };
  await writeFile(join(project, 'package-lock.json'), JSON.stringify(seed, null, 2));
  const installArgs = ['install', '--no-audit', '--no-fund', ...Object.values(tarballs)];
  let install = await run('npm', [...installArgs, '--offline'], project);
  timings.offline = install.code === 0 ? 1 : 0;
  if (install.code !== 0) install = await run('npm', [...installArgs, '--prefer-offline'], project);
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr.slice(-2000)}`);
  timings.install = install.ms;
  return { root, project, tarballs, timings, installOutput: install.stdout + install.stderr };
}

/** A plugin package written straight into the project's node_modules (for the failure cases). */
export async function writePackage(project: string, name: string, manifest: Record<string, unknown>, source: string): Promise<void> {
  const dir = join(project, 'node_modules', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'index.js', ...manifest }));
  await writeFile(join(dir, 'index.js'), source);
}
