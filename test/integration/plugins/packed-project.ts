/**
 * A fresh npm project with `firehook` and the example plugins installed from `npm pack` tarballs,
 * as an operator would have it: firehook is compiled from the current source into a staging copy
 * of the package (the shared `dist/` is left alone), packed, and installed together with the
 * packed plugins from the npm cache (the registry only for what the cache lacks).
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
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
};

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
  for (const entry of ['package.json', 'README.md', 'bin', 'templates', 'event_handlers', 'examples']) {
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
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'my-gateway', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const installArgs = ['install', '--no-audit', '--no-fund', ...Object.values(tarballs)];
  let install = await run('npm', [...installArgs, '--offline'], project);
  timings.offline = install.code === 0 ? 1 : 0;
  if (install.code !== 0) install = await run('npm', [...installArgs, '--prefer-offline'], project);
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.stderr.slice(-2000)}`);
  timings.install = install.ms;
  return { root, project, tarballs, timings };
}

/** A plugin package written straight into the project's node_modules (for the failure cases). */
export async function writePackage(project: string, name: string, manifest: Record<string, unknown>, source: string): Promise<void> {
  const dir = join(project, 'node_modules', name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', main: 'index.js', ...manifest }));
  await writeFile(join(dir, 'index.js'), source);
}
