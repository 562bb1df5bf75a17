import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startServer, type CliProcess } from '../../helpers/cli.ts';
import { eventually } from '../../helpers/poll.ts';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let receiver: Server;
let target: string;
const received: Received[] = [];
const dirs: string[] = [];
const running: (CliProcess & { url: string })[] = [];

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of running) await s.stop('SIGKILL');
  await new Promise((r) => receiver.close(r));
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function workspace(gateway: object, handlerMeta: object): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-wh-'));
  dirs.push(dir);
  await mkdir(join(dir, 'apps'));
  await writeFile(
    join(dir, 'apps/api.json'),
    JSON.stringify({
      api_id: 'hooked',
      org_id: 'acme',
      event_handlers: {
        events: {
          AuthFailure: [
            {
              handler_name: 'eh_web_hook_handler',
              handler_meta: {
                method: 'POST',
                target_path: `${target}/hook`,
                template_path: 'templates/default_webhook.json',
                header_map: { 'x-tyk-test-header': 'Tyk v1.BANANA' },
                event_timeout: 0,
                ...handlerMeta,
              },
            },
          ],
        },
      },
    }),
  );
  await writeFile(join(dir, 'tyk.conf'), JSON.stringify({ app_path: 'apps', template_path: join(ROOT, 'templates'), ...gateway }));
  // template_path in handler_meta is relative to the config's directory, as Tyk resolves it against its working dir.
  await mkdir(join(dir, 'templates'));
  await copyFile(join(ROOT, 'templates/default_webhook.json'), join(dir, 'templates/default_webhook.json'));
  return join(dir, 'tyk.conf');
}

const event = (key: string, message = 'Auth failure') => ({
  api_id: 'hooked',
  type: 'AuthFailure',
  meta: { Message: message, Path: '/hooked/x', Origin: '10.9.8.7', Key: key },
});

describe('firehook serve with eh_web_hook_handler', () => {
  it('posts the default Tyk template body with canonicalised headers to a real receiver', async () => {
    const s = await startServer(['--config', await workspace({}, {})]);
    running.push(s);
    const key = `key-${randomUUID()}`;
    const res = await fetch(`${s.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event(key, 'He said "hi"\n\\o/')),
    });
    expect(res.status).toBe(202);
    const got = await eventually(() => received.find((r) => r.body.includes(key)));
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hook');
    expect(got.headers['x-tyk-test-header']).toBe('Tyk v1.BANANA');
    expect(got.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got.body)).toEqual({ event: 'AuthFailure', message: 'He said "hi"\n\\o/', path: '/hooked/x', origin: '10.9.8.7', key });
  });

  it('suppresses duplicates inside the cooldown across two runtimes sharing Redis, and persists before answering', async () => {
    const prefix = `fh-test:${randomUUID()}:`;
    const config = await workspace({ storage: { type: 'redis', host: '127.0.0.1', port: 6379, key_prefix: prefix } }, { event_timeout: 30 });
    const a = await startServer(['--config', config]);
    const b = await startServer(['--config', config]);
    running.push(a, b);
    const key = `dup-${randomUUID()}`;
    const posts = [];
    for (let i = 0; i < 10; i++)
      posts.push(
        fetch(`${(i % 2 ? a : b).url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event(key)) }),
      );
    expect((await Promise.all(posts)).map((r) => r.status)).toEqual(Array(10).fill(202));
    await eventually(() => received.some((r) => r.body.includes(key)));
    // the claim is written as Tyk writes it: webhook.cache.<md5> (here under the test's key prefix)
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      const keys = await redis.keys(`${prefix}webhook.cache.*`);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(/webhook\.cache\.[0-9a-f]{32}$/);
      // durable mode answers 202 only after every handler claimed or was suppressed, so the count is final
      expect(received.filter((r) => r.body.includes(key))).toHaveLength(1);
      const all = await redis.keys(`${prefix}*`);
      if (all.length > 0) await redis.del(...all);
    } finally {
      await redis.quit();
    }
  });
});
