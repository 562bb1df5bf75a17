import type { Command } from 'commander';
import { validateFiles } from '../validate-files.ts';
import { formatProblem } from '../errors/firehook-error.ts';

/** `firehook validate [paths...]`: exit 0 when valid (warnings allowed), 1 with problem lines otherwise. */
export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('validate the gateway config and API definitions; prints <file>#<json-pointer>: <problem>')
    .argument('[paths...]', "API definition files or directories (default: the config's app_path)")
    .option('-c, --config <file>', 'gateway config file; default: embedded defaults')
    .action(async (paths: string[], opts: { config?: string }) => {
      const problems = await validateFiles(opts.config ?? process.env.FIREHOOK_CONFIG, paths);
      for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
      const errors = problems.filter((p) => p.severity === 'error').length;
      process.stderr.write(errors === 0 ? 'valid\n' : `${errors} problem${errors === 1 ? '' : 's'} found\n`);
      process.exit(errors === 0 ? 0 : 1);
    });
}
