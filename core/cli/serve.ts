import type { Command } from 'commander';
import { IngestServer } from '../http/server.ts';
import { flushLogger } from '../logger.ts';
import { createRuntime } from '../runtime.ts';
import { exitWithConfigError } from './output.ts';

/** `firehook serve`: the runtime plus the ingestion HTTP server, until SIGTERM/SIGINT. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run Firehook with its HTTP ingestion server (embedded defaults when no --config)')
    .option('-c, --config <file>', 'gateway config file (Tyk tyk.conf shape); default: embedded defaults')
    .option('-l, --listen <host:port>', 'address to listen on (overrides "listen")')
    .option('--redis <url>', 'use Redis at this URL as the store (overrides "storage")')
    .option('--no-watch', 'do not hot-reload on file changes')
    .action(async (opts: { config?: string; listen?: string; redis?: string; watch: boolean }) => {
      const runtime = await createRuntime({
        configFile: opts.config ?? process.env.FIREHOOK_CONFIG,
        overrides: { ...(opts.listen ? { listen: opts.listen } : {}), ...(opts.redis ? { redisUrl: opts.redis } : {}) },
        watch: opts.watch,
      }).catch(exitWithConfigError);
      let server: IngestServer;
      try {
        server = new IngestServer(runtime, {
          listen: runtime.config.listen,
          secret: runtime.config.ingest_secret,
          bodyLimit: runtime.config.ingest_body_limit,
        });
        const address = await server.start();
        runtime.logger.info({ address: `${address.address}:${address.port}`, generation: runtime.generation().number }, 'listening');
      } catch (error) {
        await runtime.close(0);
        exitWithConfigError(error);
      }
      let stopping = false;
      const stop = async (signal: string): Promise<void> => {
        if (stopping) return;
        stopping = true;
        runtime.logger.info({ signal }, 'shutting down: intake stopped, draining');
        await server.close();
        const report = await runtime.close();
        runtime.logger.info({ ...report }, 'stopped');
        await flushLogger(runtime.logger);
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop('SIGTERM'));
      process.on('SIGINT', () => void stop('SIGINT'));
    });
}
