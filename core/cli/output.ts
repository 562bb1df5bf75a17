import { ConfigError, FirehookError, formatProblem } from '../errors/firehook-error.ts';

/** Print a startup failure the way `validate` prints problems, then exit 1. */
export function exitWithConfigError(error: unknown): never {
  if (error instanceof ConfigError) {
    for (const p of error.problems) process.stderr.write(`${formatProblem(p)}\n`);
  } else if (error instanceof FirehookError) {
    process.stderr.write(`${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
}
