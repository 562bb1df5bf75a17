/**
 * The parts of one single-target chaos scenario: a dedicated Redis, one counting receiver, a
 * workspace whose API sends every event to that receiver, and the real CLI on it (restartable at
 * the same address). `cleanup()` stops everything the scenario started.
 */
import type { CliProcess } from '../helpers/cli.ts';
import { startReceiver, type Receiver } from './receiver.ts';
import { startRedis, type RedisProcess } from './redis-process.ts';
import { createWorkspace, startFirehook, type Workspace } from './workspace.ts';

export interface ChaosEnv {
  redis: RedisProcess;
  receiver: Receiver;
  ws: Workspace;
  /** The runtime started last. */
  readonly cli: CliProcess | undefined;
  /** Start (or start again) `firehook serve` on the workspace. */
  startRuntime(): Promise<CliProcess>;
  cleanup(): Promise<void>;
}

export interface ChaosEnvOptions {
  persistentRedis: boolean;
  receiverDelayMs?: number;
  gateway?: Record<string, unknown>;
  /** JS handler files bound to the same event (see createWorkspace). */
  jsHandlers?: Record<string, string>;
  /** Run the runtime with hot reload (file watching). */
  watch?: boolean;
}

export async function chaosEnv(options: ChaosEnvOptions): Promise<ChaosEnv> {
  const redis = await startRedis({ persistent: options.persistentRedis });
  const receiver = await startReceiver(options.receiverDelayMs ? { delayMs: options.receiverDelayMs } : {});
  const ws = await createWorkspace({
    redisUrl: redis.url,
    targets: [receiver.url],
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.jsHandlers ? { jsHandlers: options.jsHandlers } : {}),
  });
  const started: CliProcess[] = [];
  return {
    redis,
    receiver,
    ws,
    get cli() {
      return started.at(-1);
    },
    async startRuntime() {
      const cli = await startFirehook(ws, { watch: options.watch === true });
      started.push(cli);
      return cli;
    },
    async cleanup() {
      for (const cli of started) await cli.stop('SIGKILL');
      await receiver.close();
      await redis.close();
      await ws.remove();
    },
  };
}
