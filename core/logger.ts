import { pino, type LoggerOptions } from 'pino';
import type { LogTransportConfig } from './config/gateway-config.ts';

/**
 * One log method, in pino's call forms: `(fields, message, ...format args)` or
 * `(message, ...format args)`. A non-string first argument is merged into the line (an `Error`
 * under `err`).
 */
export interface LogFn {
  (obj: unknown, msg?: string, ...args: unknown[]): void;
  (msg: string, ...args: unknown[]): void;
}

/**
 * The logger Firehook and plugins write to (`ctx.logger`, `RuntimeOptions.logger`, ...): the part
 * of pino's logger they use. `createLogger` returns a pino logger, and any pino logger (or another
 * object with these members) can be passed where Firehook asks for a `Logger`.
 */
export interface Logger {
  /** The lowest level written: `trace`, `debug`, `info`, `warn`, `error`, `fatal` or `silent`. */
  level: string;
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** A logger that adds `bindings` to every line it writes. */
  child(bindings: Record<string, unknown>): Logger;
  /** Whether a line at `level` would be written (to skip building costly fields). */
  isLevelEnabled(level: string): boolean;
  /** Write out everything buffered; `callback` runs once it is written. */
  flush(callback?: (error?: Error) => void): void;
}

/** Header names whose values never appear in logs in full. */
const REDACT_PATHS = [
  'headers.authorization',
  'headers.Authorization',
  'header_map.Authorization',
  'header_map.authorization',
  'signing.secret',
  'signing.previous_secrets',
  'secret',
  'ingest_secret',
  'storage.password',
];

/**
 * Build the root logger: pretty output on a TTY, JSON lines otherwise, or the configured
 * pino transports (file, syslog, a shipper).
 */
export function createLogger(options: { level?: string; transports?: LogTransportConfig[]; destination?: NodeJS.WritableStream } = {}): Logger {
  const base: LoggerOptions = {
    level: options.level ?? 'info',
    base: { name: 'firehook' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  if (options.destination) return pino(base, options.destination as pino.DestinationStream);
  if (options.transports && options.transports.length > 0) {
    return pino({
      ...base,
      transport: { targets: options.transports.map((t) => ({ target: t.target, level: t.level ?? base.level!, options: t.options ?? {} })) },
    });
  }
  if (process.stdout.isTTY) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return pino(base);
}

/** Tyk's key obfuscation: `****` + the last four characters; `--` for keys of four or fewer. */
export function obfuscateKey(key: string): string {
  if (key.length > 4) return `****${key.slice(-4)}`;
  return '--';
}

/** Wait until everything logged so far is written (before `process.exit`, which drops queued output). */
export function flushLogger(logger: Logger, deadlineMs = 5_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, deadlineMs);
    timer.unref();
    try {
      logger.flush((error?: Error) => {
        clearTimeout(timer);
        void error;
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}
