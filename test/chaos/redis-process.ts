/**
 * A dedicated `redis-server` child process per chaos suite, on its own port, so a suite can
 * restart or kill it mid-burst without disturbing the shared Redis other tests use.
 * `persistent: true` runs it with an append-only file fsynced on every write (in its own temp
 * dir), so a restart keeps everything a client was told was written.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../integration/delivery/helpers.ts';
import { eventually } from '../helpers/poll.ts';

export interface RedisProcess {
  readonly port: number;
  readonly url: string;
  readonly pid: number | undefined;
  /** A client for the test's own checks (reconnects across restarts). */
  readonly client: Redis;
  /** Stop it (SIGTERM, or SIGKILL with `hard`) and wait until it has exited. */
  stop(hard?: boolean): Promise<void>;
  /** Start it again on the same port and data dir; resolves once it answers PING. */
  start(): Promise<void>;
  /** Stop, then start again after `downMs`. */
  restart(downMs: number, hard?: boolean): Promise<void>;
  /** Stop for good and delete its data dir. */
  close(): Promise<void>;
}

export async function startRedis(options: { persistent: boolean }): Promise<RedisProcess> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'fh-chaos-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--daemonize', 'no', '--loglevel', 'warning'];
  args.push(...(options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: null, retryStrategy: () => 50 });
  client.on('error', () => undefined);

  const start = async (): Promise<void> => {
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child = proc;
    exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    await eventually(async () => (await ping(port)) === 'PONG', `redis-server on port ${port}`);
  };
  const stop = async (hard = false): Promise<void> => {
    const proc = child;
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  await start();
  await client.connect();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child?.pid;
    },
    client,
    stop,
    start,
    async restart(downMs, hard = false) {
      await stop(hard);
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
    },
    async close() {
      client.disconnect();
      await stop(true);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One PING on a fresh connection; undefined when nothing answers. */
async function ping(port: number): Promise<string | undefined> {
  const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return await probe.ping();
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}
