// @ts-check
/**
 * The chat notifier on a real Firehook runtime: the plugin is named in the gateway config's
 * `plugins` (as an operator would), events are fired through the runtime, messages land on a
 * real HTTP receiver on 127.0.0.1. Run with `npm test` (Node's test runner).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cooldownKey, createLogger, createRuntime, webhookChecksum } from 'firehook';

const PLUGIN_ENTRY = fileURLToPath(import.meta.resolve('firehook-plugin-chat'));

/** @type {{ url: string, raw: string, body: any }[]} */
const received = [];
/** Status codes to answer with, in order; 200 once used up. */
const script = /** @type {number[]} */ ([]);
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const status = script.shift() ?? 200;
    if (status === 200) received.push({ url: req.url ?? '', raw: body, body: JSON.parse(body) });
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try later');
  });
});
let receiver = '';
const dirs = /** @type {string[]} */ ([]);

before(async () => {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  receiver = `http://127.0.0.1:${address.port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

/**
 * A project directory with a gateway config naming the plugin and one API definition.
 * @param {Record<string, unknown>} handlerMeta Classic handler_meta for AuthFailure.
 * @param {Record<string, unknown>} [gatewayExtra]
 */
async function project(handlerMeta, gatewayExtra = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'fh-chat-'));
  dirs.push(dir);
  await writeFile(
    join(dir, 'tyk.conf'),
    JSON.stringify({
      app_path: 'apps',
      plugins: [PLUGIN_ENTRY],
      webhooks: { deny_private_networks: true, allow_networks: ['127.0.0.1'], retry_schedule: ['20ms', '20ms'] },
      ...gatewayExtra,
    }),
  );
  const api = {
    api_id: 'petstore',
    org_id: 'acme',
    name: 'Petstore',
    event_handlers: { events: { AuthFailure: [{ handler_name: 'fh_chat_notifier', handler_meta: handlerMeta }] } },
  };
  await mkdir(join(dir, 'apps'));
  await writeFile(join(dir, 'apps/petstore.json'), JSON.stringify(api));
  return dir;
}

/** A runtime with its log lines collected. @param {string} dir */
async function start(dir) {
  /** @type {Record<string, any>[]} */
  const lines = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  const runtime = await createRuntime({ configFile: join(dir, 'tyk.conf'), logger: createLogger({ level: 'debug', destination }), watch: false });
  return { runtime, lines };
}

/** @param {string} key */
const authFailure = (key) => ({ Message: 'Auth failure', Path: '/petstore/pets', Origin: '10.1.2.3', Key: key });

describe('fh_chat_notifier', () => {
  it('posts a Slack-compatible message with event, API, path, origin and the obfuscated key', async () => {
    const { runtime } = await start(await project({ url: `${receiver}/hooks/one` }));
    try {
      const [report] = await runtime.fireAndWait('petstore', 'AuthFailure', authFailure('secret-key-1234'));
      assert.equal(report?.status, 'queued');
      await eventually(() => received.some((r) => r.url === '/hooks/one'), 'the message posted');
      const message = received.find((r) => r.url === '/hooks/one')?.body;
      assert.match(message.text, /AuthFailure on Petstore \(petstore\): Auth failure/);
      assert.equal(message.blocks[0].type, 'header');
      const fields = message.blocks.find((/** @type {any} */ b) => b.fields)?.fields.map((/** @type {any} */ f) => f.text);
      assert.deepEqual(fields, ['*Event*\nAuthFailure', '*API*\nPetstore (petstore)', '*Path*\n`/petstore/pets`', '*Origin*\n10.1.2.3', '*Key*\n`****1234`']);
      assert.equal(JSON.stringify(message).includes('secret-key-1234'), false);
    } finally {
      await runtime.close();
    }
  });

  it('retries through the delivery service when the chat service fails, and posts once', async () => {
    const { runtime } = await start(await project({ url: `${receiver}/hooks/retry` }));
    try {
      script.push(503, 500);
      await runtime.fireAndWait('petstore', 'AuthFailure', authFailure('retry-key-0002'));
      // the receiver sees the request before the client has recorded the attempt: wait for the record
      const attempts = await eventually(async () => {
        const list = await runtime.deliveries?.admin.attempts({ handler: 'petstore:AuthFailure:0' });
        return list?.some((a) => a.outcome === 'delivered') ? list : undefined;
      }, 'the delivered attempt recorded');
      assert.deepEqual(attempts.map((a) => a.outcome).reverse(), ['retrying', 'retrying', 'delivered']);
      assert.equal(received.filter((r) => r.url === '/hooks/retry').length, 1);
    } finally {
      await runtime.close();
    }
  });

  it('posts identical messages once within the cooldown', async () => {
    const { runtime } = await start(await project({ URL: `${receiver}/hooks/cooldown`, Cooldown: '1m' }));
    try {
      const first = await runtime.fireAndWait('petstore', 'AuthFailure', authFailure('dup-key-0003'));
      const second = await runtime.fireAndWait('petstore', 'AuthFailure', authFailure('dup-key-0003'));
      const other = await runtime.fireAndWait('petstore', 'AuthFailure', authFailure('other-key-0004'));
      assert.deepEqual(
        [first, second, other].map((r) => r[0]?.status),
        ['queued', 'suppressed', 'queued'],
      );
      await eventually(() => received.filter((r) => r.url === '/hooks/cooldown').length === 2, 'two messages posted');
      // the claim is the webhook handler's: Tyk's checksum of the request as sent, under webhook.cache.
      const url = `${receiver}/hooks/cooldown`;
      const keys = received.filter((r) => r.url === '/hooks/cooldown').map((r) => cooldownKey(webhookChecksum({ method: 'POST', url, body: r.raw })));
      for (const key of keys) assert.ok((await runtime.store.pttl(key)) > 50_000, key);
    } finally {
      await runtime.close();
    }
  });

  it('obeys the private-network policy: a loopback target outside allow_networks is never contacted', async () => {
    const dir = await project({ url: `${receiver}/hooks/denied` }, { webhooks: { deny_private_networks: true, retry_schedule: [] } });
    const { runtime } = await start(dir);
    try {
      await runtime.fireAndWait('petstore', 'AuthFailure', authFailure('denied-key-0005'));
      const admin = runtime.deliveries?.admin;
      const dead = await eventually(async () => (await admin?.deadLetters())?.[0], 'the dead letter');
      assert.equal(dead.reason, 'denied');
      assert.equal(
        received.some((r) => r.url === '/hooks/denied'),
        false,
      );
    } finally {
      await runtime.close();
    }
  });

  it('renders a custom .json template through ctx.templates when template_path is set', async () => {
    const dir = await project({ url: `${receiver}/hooks/template`, template_path: 'chat.json' });
    await writeFile(join(dir, 'chat.json'), '{"text": "{{.Type}} at {{.Meta.Path}} from {{.Meta.Origin}}"}');
    const { runtime } = await start(dir);
    try {
      await runtime.fireAndWait('petstore', 'AuthFailure', authFailure('template-key-0006'));
      await eventually(() => received.some((r) => r.url === '/hooks/template'), 'the templated message posted');
      assert.deepEqual(received.find((r) => r.url === '/hooks/template')?.body, { text: 'AuthFailure at /petstore/pets from 10.1.2.3' });
    } finally {
      await runtime.close();
    }
  });

  it('reports invalid options at load as <file>#<pointer> problems naming the keys the user wrote', async () => {
    const dir = await project({ Url: 'ftp://chat.example/hook', cooldown: 'soon', colour: 'red' });
    const { runtime, lines } = await start(dir);
    try {
      const problems = lines.filter((l) => l.code === 'FH_HANDLER_DISABLED').map((l) => l.msg);
      const at = `${join(dir, 'apps/petstore.json')}#/event_handlers/events/AuthFailure/0/handler_meta`;
      assert.deepEqual(problems.sort(), [
        `${at}/Url: must be an http or https URL (got "ftp://chat.example/hook")`,
        `${at}/colour: unknown key`,
        `${at}/cooldown: must be a Go duration such as "30s" or "1m30s" (got "soon")`,
      ]);
      assert.equal(runtime.generation().handlers.length, 0);
    } finally {
      await runtime.close();
    }
  });
});

/**
 * Poll `check` until it returns a truthy value and return it; the deadline is far past what a
 * loaded machine needs, so the test synchronises on what it observes, not on time.
 * @template T
 * @param {() => T | Promise<T>} check
 * @param {string} what
 * @returns {Promise<NonNullable<T>>}
 */
async function eventually(check, what, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return /** @type {NonNullable<T>} */ (value);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
