/**
 * `firehook deliveries list|show|attempts|replay`: inspect and re-queue dead letters (and read the
 * attempt log) of durable delivery in Redis. The caller supplies how to reach the admin interface.
 */
import type { Command } from 'commander';
import type { AttemptRecord, DeadLetter, DeliveryAdmin } from '../delivery/delivery-service.ts';
import { FirehookError } from '../errors/firehook-error.ts';

export interface DeliveriesHandle {
  deliveries: DeliveryAdmin;
  close(): Promise<void>;
}

/** Opens the admin interface; gets the command's `--config` value when one was given. */
export type OpenDeliveries = (options: { config?: string }) => Promise<DeliveriesHandle>;

export interface CliOutput {
  out: { write(text: string): unknown };
  err: { write(text: string): unknown };
}

interface CommonOptions {
  config?: string;
  json?: boolean;
  handler?: string;
  api?: string;
  limit?: string;
}

/** Register `deliveries` and its subcommands on `program`. Failures set `process.exitCode = 1`. */
export function registerDeliveriesCommand(program: Command, open: OpenDeliveries, io: CliOutput = { out: process.stdout, err: process.stderr }): Command {
  const command = program.command('deliveries').description('inspect and replay webhook deliveries that failed finally (durable mode, Redis)');

  const run = (action: (admin: DeliveryAdmin, opts: CommonOptions) => Promise<boolean>) => async (opts: CommonOptions) => {
    let handle: DeliveriesHandle | undefined;
    try {
      handle = await open(opts.config === undefined ? {} : { config: opts.config });
      if (!(await action(handle.deliveries, opts))) process.exitCode = 1;
    } catch (error) {
      const code = error instanceof FirehookError ? `${error.code}: ` : '';
      io.err.write(`${code}${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    } finally {
      await handle?.close().catch(() => undefined);
    }
  };
  const common = (c: Command): Command =>
    c.option('-c, --config <file>', 'gateway config file (its storage section names the Redis)').option('--json', 'print JSON');
  const filters = (c: Command): Command => c.option('--handler <id>', 'only this handler').option('--api <id>', 'only this API');
  const query = (opts: CommonOptions) => ({
    ...(opts.handler === undefined ? {} : { handler: opts.handler }),
    ...(opts.api === undefined ? {} : { apiId: opts.api }),
  });

  filters(common(command.command('list').description('list dead letters, newest first')))
    .option('-n, --limit <n>', 'how many', '50')
    .action(
      run(async (admin, opts) => {
        const letters = await admin.deadLetters({ ...query(opts), limit: Number(opts.limit) || 50 });
        if (opts.json) io.out.write(`${JSON.stringify(letters, null, 2)}\n`);
        else if (letters.length === 0) io.out.write('no dead letters\n');
        else for (const l of letters) io.out.write(`${letterLine(l)}\n`);
        return true;
      }),
    );

  common(command.command('show').description('show one dead letter and its attempts').argument('<id>', 'delivery id (msg_...) or dead-letter entry id')).action(
    async (id: string, opts: CommonOptions) =>
      run(async (admin) => {
        const letter = await admin.deadLetter(id);
        if (!letter) {
          io.err.write(`FH_DELIVERY_NOT_FOUND: no dead letter ${id}\n`);
          return false;
        }
        const attempts = await admin.attempts({ deliveryId: letter.id, limit: 100 });
        if (opts.json) io.out.write(`${JSON.stringify({ ...letter, attemptLog: attempts }, null, 2)}\n`);
        else io.out.write(showText(letter, attempts));
        return true;
      })(opts),
  );

  filters(common(command.command('attempts').description('recent attempts from the delivery log, newest first')))
    .option('--delivery <id>', 'only this delivery')
    .option('-n, --limit <n>', 'how many', '50')
    .action(
      run(async (admin, opts) => {
        const delivery = (opts as CommonOptions & { delivery?: string }).delivery;
        const attempts = await admin.attempts({ ...query(opts), ...(delivery ? { deliveryId: delivery } : {}), limit: Number(opts.limit) || 50 });
        if (opts.json) io.out.write(`${JSON.stringify(attempts, null, 2)}\n`);
        else for (const a of attempts) io.out.write(`${attemptLine(a)}\n`);
        return true;
      }),
    );

  filters(common(command.command('replay').description('re-queue dead letters (fresh attempts, no cooldown)').argument('[ids...]', 'delivery ids')))
    .option('--all', 'replay every dead letter (optionally filtered)')
    .action(async (ids: string[], opts: CommonOptions & { all?: boolean }) =>
      run(async (admin) => {
        if (opts.all === true) {
          const { replayed } = await admin.replayAll(query(opts));
          io.out.write(opts.json ? `${JSON.stringify({ replayed })}\n` : `replayed ${replayed}\n`);
          return true;
        }
        if (ids.length === 0) {
          io.err.write('give delivery ids or --all\n');
          return false;
        }
        const result = await admin.replay(ids);
        if (opts.json) io.out.write(`${JSON.stringify(result)}\n`);
        else for (const id of result.replayed) io.out.write(`replayed ${id}\n`);
        for (const id of result.missing) io.err.write(`FH_DELIVERY_NOT_FOUND: no dead letter ${id}\n`);
        return result.missing.length === 0;
      })(opts),
    );
  return command;
}

function time(ms: number): string {
  return new Date(ms).toISOString();
}

function letterLine(l: DeadLetter): string {
  const code = l.lastResponseCode === undefined ? (l.lastError?.split(':')[0] ?? '-') : String(l.lastResponseCode);
  return `${l.id}  ${time(l.failedAt)}  ${l.reason}  attempts=${l.attempts}  last=${code}  ${l.method} ${l.url}  handler=${l.origin.handler}`;
}

function attemptLine(a: AttemptRecord): string {
  const result = a.responseCode === undefined ? (a.error ?? '-') : String(a.responseCode);
  return `${time(a.at)}  ${a.deliveryId}  #${a.attempt}  ${a.outcome}  ${result}  ${a.durationMs}ms  ${a.method} ${a.url}  handler=${a.handler}`;
}

function showText(l: DeadLetter, attempts: AttemptRecord[]): string {
  const lines = [
    `id:        ${l.id}`,
    `reason:    ${l.reason}`,
    `failed:    ${time(l.failedAt)} (created ${time(l.createdAt)})`,
    `attempts:  ${l.attempts}`,
    `last:      ${l.lastResponseCode ?? ''}${l.lastError ? ` ${l.lastError}` : ''}`,
    `request:   ${l.method} ${l.url}`,
    `origin:    api=${l.origin.apiId || '<system>'} event=${l.origin.eventType} handler=${l.origin.handler} plugin=${l.origin.plugin}`,
    'headers:',
    ...Object.entries(l.headers).map(([k, v]) => `  ${k}: ${v}`),
    `body:      ${l.body === undefined ? '<none>' : l.body}`,
    'attempt log:',
    ...attempts.map((a) => `  ${attemptLine(a)}${a.responseBody ? `\n    response: ${a.responseBody.slice(0, 500)}` : ''}`),
  ];
  return `${lines.join('\n')}\n`;
}
