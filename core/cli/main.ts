import 'reflect-metadata';
import { Command } from 'commander';
import { packageVersion } from '../package-root.ts';
import { registerFireCommand } from './fire.ts';
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
  return program;
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
});

await buildProgram().parseAsync(process.argv);
