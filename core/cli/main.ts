import 'reflect-metadata';
import { Command } from 'commander';
import { packageVersion } from '../package-root.ts';
import { ConfigError } from '../errors/firehook-error.ts';
import { loadGatewayConfig } from '../config/load-gateway-config.ts';
import { registerDeliveriesCommand } from './deliveries.ts';
import { registerFireCommand } from './fire.ts';
import { openDeliveries } from './open-deliveries.ts';
import { registerRenderErrorCommand } from './render-error.ts';
import { registerServeCommand } from './serve.ts';
import { registerValidateCommand } from './validate.ts';

/** The `firehook` command line. */
export function buildProgram(): Command {
  const program = new Command('firehook')
    .description('Tyk-compatible API-gateway event runtime: webhooks, log handlers, sandboxed JS handlers, quota monitors')
    .version(packageVersion());
  registerServeCommand(program);
  registerValidateCommand(program);
  registerFireCommand(program);
  registerDeliveriesCommand(program, openDeliveries);
  registerRenderErrorCommand(program, async (file) => {
    const { config, problems } = await loadGatewayConfig(file);
    if (config === undefined) throw new ConfigError(problems);
    return config;
  });
  return program;
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
});

await buildProgram().parseAsync(process.argv);
