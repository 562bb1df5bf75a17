/**
 * A runtime process for the quota monitor integration test: a Redis store and a quota monitor
 * reading check requests as JSON lines on stdin and writing results and fired events to stdout.
 */
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { createQuotaMonitor } from '../../../core/monitor/quota-monitor.ts';
import { RedisStore } from '../../../core/store/redis-store.ts';

const [prefix, configJson] = process.argv.slice(2);
const store = new RedisStore({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
const write = (message: unknown): void => {
  process.stdout.write(`${JSON.stringify(message)}\n`);
};
const monitor = createQuotaMonitor({
  config: JSON.parse(configJson!),
  store,
  fireSystem: (type, meta) => write({ event: type, meta }),
  logger: pino({ level: 'silent' }),
});

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { id, session, key } = JSON.parse(line);
  monitor.check(session, key).then(
    (result) => write({ id, fired: result.fired }),
    (error: Error) => write({ id, error: error.message }),
  );
});
lines.on('close', () => {
  void store.close().then(() => process.exit(0));
});
write({ ready: true });
