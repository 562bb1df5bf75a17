/**
 * A small reverse proxy that reads Tyk API definitions and fires Tyk's events through an embedded
 * Firehook runtime (public package API only). Run after `npm run build`:
 *   node --no-node-snapshot examples/gateway/gateway.ts --config examples/gateway/gateway.json [--listen 127.0.0.1:8080]
 * or `npm run gateway -- --config examples/gateway/gateway.json`. See docs/gateway-example.md.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createRuntime, type Runtime } from 'firehook';
import { startGateway, type Gateway } from './create-gateway.ts';

const { values } = parseArgs({ options: { config: { type: 'string' }, listen: { type: 'string' } } });
const configFile = values.config ?? process.env.FIREHOOK_CONFIG;
if (configFile === undefined) {
  process.stderr.write('usage: gateway.ts --config <gateway.json> [--listen host:port]\n');
  process.exit(2);
}

let runtime: Runtime;
let gateway: Gateway;
try {
  runtime = await createRuntime({ configFile, watch: false });
  gateway = await startGateway(runtime, values.listen ? { listen: values.listen } : {});
} catch (error) {
  // Configuration problems print as `<file>#<json-pointer>: <message>`, one per line.
  process.stderr.write(`gateway did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  runtime.logger.info({ signal }, 'gateway stopping');
  await gateway.close();
  const report = await runtime.close();
  runtime.logger.info({ ...report }, 'gateway stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
