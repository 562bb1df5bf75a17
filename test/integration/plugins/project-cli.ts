/**
 * `firehook` run from a project's own installation (`node_modules/firehook/bin/firehook.js`), the
 * way an operator starts it after `npm install firehook`; stdout JSON log lines are collected.
 */
import { startCli, type CliProcess } from '../../helpers/cli.ts';
import { TOOL_ENV } from './packed-project.ts';

export type ProjectCli = CliProcess;

/** The project's installed firehook, run in the project with the tool environment. */
export function startProjectCli(project: string, args: string[]): ProjectCli {
  return startCli(args, { cwd: project, env: TOOL_ENV, replaceEnv: true, bin: 'node_modules/firehook/bin/firehook.js' });
}

/** Start `firehook serve` and wait until it listens; or resolve with the exit code if it refuses to start. */
export async function serveProject(project: string, config: string): Promise<{ cli: ProjectCli; url: string | undefined; code: number | null | undefined }> {
  const cli = startProjectCli(project, ['serve', '--config', config, '--listen', '127.0.0.1:0']);
  const outcome = await Promise.race([
    cli.waitForLine((l) => l.msg === 'listening').then((line) => ({ url: `http://${String(line.address)}`, code: undefined })),
    cli.exited.then((code) => ({ url: undefined, code })),
  ]);
  return { cli, ...outcome };
}

/** POST events to the ingestion endpoint. */
export async function postEvents(url: string, events: unknown[]): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
