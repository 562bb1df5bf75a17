import type { Command } from 'commander';
import { createLogger, flushLogger } from '../logger.ts';
import { createRuntime } from '../runtime.ts';
import { exitWithConfigError } from './output.ts';

/** `firehook fire`: load the config, fire one event, wait for its handlers, print what each did. */
export function registerFireCommand(program: Command): void {
  program
    .command('fire')
    .description('fire one event through the configured handlers and print each outcome')
    .option('-a, --api <api_id>', 'API id (omit for a system event)')
    .requiredOption('-e, --event <type>', 'event type, e.g. AuthFailure')
    .option('-m, --meta <json>', 'event metadata as a JSON object', '{}')
    .option('-c, --config <file>', 'gateway config file; default: embedded defaults')
    .option('--redis <url>', 'use Redis at this URL as the store')
    .action(async (opts: { api?: string; event: string; meta: string; config?: string; redis?: string }) => {
      let meta: Record<string, unknown>;
      try {
        meta = JSON.parse(opts.meta) as Record<string, unknown>;
        if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw new Error('not an object');
      } catch (error) {
        process.stderr.write(`--meta must be a JSON object: ${(error as Error).message}\n`);
        process.exit(2);
      }
      const runtime = await createRuntime({
        configFile: opts.config ?? process.env.FIREHOOK_CONFIG,
        overrides: opts.redis ? { redisUrl: opts.redis } : {},
        logger: createLogger({ level: process.env.FIREHOOK_LOG_LEVEL ?? 'warn', destination: process.stderr }),
      }).catch(exitWithConfigError);
      const reports = await runtime.fireAndWait(opts.api, opts.event, meta);
      const report = await runtime.close();
      if (reports.length === 0) process.stdout.write(`no handler is registered for ${opts.event}${opts.api ? ` on API ${opts.api}` : ' (system)'}\n`);
      for (const r of reports)
        process.stdout.write(`${r.handler} (${r.plugin}): ${r.status}${r.code ? ` [${r.code}]` : ''}${r.detail ? ` - ${r.detail}` : ''}\n`);
      if (report.undelivered > 0) process.stdout.write(`${report.undelivered} deliveries still pending at exit\n`);
      await flushLogger(runtime.logger);
      process.exit(reports.some((r) => r.status === 'failed' || r.status === 'dropped') || report.undelivered > 0 ? 1 : 0);
    });
}
