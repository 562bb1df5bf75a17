import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createRuntime, definePlugin, PLUGIN_CONTRACT_VERSION, type HandlerOutcome } from '../../../core/index.ts';

let server: Server;
let target: string;
let dir: string;
let hits = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ owner: 'team-a', path: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'fh-ctx-http-'));
  await mkdir(join(dir, 'apps'));
  await writeFile(
    join(dir, 'apps/api.json'),
    JSON.stringify({
      api_id: 'petstore',
      org_id: 'acme',
      name: 'Petstore',
      event_handlers: { events: { AuthFailure: [{ handler_name: 'fh_lookup', handler_meta: {} }] } },
    }),
  );
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** A plugin that enriches each event with an HTTP lookup through ctx.http. */
const lookup = definePlugin({
  name: 'fh_lookup',
  contractVersion: PLUGIN_CONTRACT_VERSION,
  optionsSchema: { type: 'object', additionalProperties: false },
  create: (_options, ctx) => ({
    async handle(event): Promise<HandlerOutcome> {
      try {
        const res = await ctx.http.request(`${target}/owners/${event.apiId}`, { timeoutMs: 2_000 });
        return { status: 'ok', detail: `${res.status} ${res.body}` };
      } catch (error) {
        return { status: 'failed', detail: (error as { code?: string }).code ?? String(error) };
      }
    },
  }),
});

async function writeGateway(webhooks: Record<string, unknown>): Promise<void> {
  await writeFile(join(dir, 'tyk.conf'), JSON.stringify({ app_path: 'apps', webhooks }));
}

describe('HandlerContext.http', () => {
  it('lets a plugin call out under the gateway webhooks egress policy, following a reload of that policy', async () => {
    await writeGateway({ deny_private_networks: true, allow_networks: ['127.0.0.1'] });
    const runtime = await createRuntime({ configFile: join(dir, 'tyk.conf'), plugins: [lookup], logger: createLogger({ level: 'silent' }), watch: false });
    try {
      const [allowed] = await runtime.fireAndWait('petstore', 'AuthFailure', { Key: 'k' });
      expect(allowed).toMatchObject({ status: 'ok', detail: '200 {"owner":"team-a","path":"/owners/petstore"}' });
      const before = hits;
      await writeGateway({ deny_private_networks: true });
      expect((await runtime.reload()).ok).toBe(true);
      const [denied] = await runtime.fireAndWait('petstore', 'AuthFailure', { Key: 'k' });
      expect(denied).toMatchObject({ status: 'failed', detail: 'FH_EGRESS_DENIED' });
      expect(hits).toBe(before);
    } finally {
      await runtime.close();
    }
  });
});
