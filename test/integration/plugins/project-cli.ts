/**
 * `firehook` run from a project's own installation (`node_modules/firehook/bin/firehook.js`), the
 * way an operator starts it after `npm install firehook`; stdout JSON log lines are collected.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { eventually } from '../../helpers/capture-logger.ts';
import { TOOL_ENV } from './packed-project.ts';

export interface ProjectCli {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  waitForLine(match: (line: Record<string, unknown>) => boolean, deadlineMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startProjectCli(project: string, args: string[]): ProjectCli {
  const child = spawn(process.execPath, ['--no-node-snapshot', 'node_modules/firehook/bin/firehook.js', ...args], { cwd: project, env: TOOL_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
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
    waitForLine: (match, deadlineMs = 15_000) => eventually(() => lines.find(match), deadlineMs, `log line (stderr: ${err.slice(-500)})`),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Start `firehook serve` and wait until it listens; or resolve with the exit code if it refuses to start. */
export async function serveProject(project: string, config: string): Promise<{ cli: ProjectCli; url: string | undefined; code: number | null | undefined }> {
  const cli = startProjectCli(project, ['serve', '--config', config, '--listen', '127.0.0.1:0']);
  const outcome = await Promise.race([
    cli.waitForLine((l) => l.msg === 'listening', 20_000).then((line) => ({ url: `http://${String(line.address)}`, code: undefined })),
    cli.exited.then((code) => ({ url: undefined, code })),
  ]);
  return { cli, ...outcome };
}

/** POST events to the ingestion endpoint. */
export async function postEvents(url: string, events: unknown[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
