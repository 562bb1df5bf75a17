import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from './poll.ts';

export const ROOT = join(import.meta.dirname, '../..');
export const NODE = process.execPath;
export const BIN = join(ROOT, 'bin/firehook.js');

/** A running `firehook` process whose stdout JSON log lines are collected. */
export interface CliProcess {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  waitForLine(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface CliOptions {
  cwd?: string;
  /** Added to this process's environment; `replaceEnv` uses exactly this environment instead. */
  env?: Record<string, string | undefined>;
  replaceEnv?: boolean;
  /** The firehook bin script; default this checkout's `bin/firehook.js` (built `dist/`). */
  bin?: string;
}

/** Start the real CLI as a child process. */
export function startCli(args: string[], options: CliOptions = {}): CliProcess {
  const child = spawn(NODE, ['--no-node-snapshot', options.bin ?? BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: options.replaceEnv ? options.env : { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let i: number;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ raw: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    lines,
    stderr: () => err,
    exited,
    waitForLine: (match, timeoutMs) =>
      eventually(
        () => lines.find(match),
        () => `log line (stderr: ${err.slice(-500)})`,
        timeoutMs,
      ),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Run the CLI to completion and capture its output. */
export async function runCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(NODE, ['--no-node-snapshot', BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}

/** Start `firehook serve` on a free port and wait until it listens; returns its base URL. */
export async function startServer(args: string[] = [], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliProcess & { url: string }> {
  const cli = startCli(['serve', '--listen', '127.0.0.1:0', ...args], options);
  const listening = await cli.waitForLine((l) => l.msg === 'listening');
  return Object.assign(cli, { url: `http://${String(listening.address)}` });
}
