import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GlobalWebhookRegistry } from '../../../core/global-webhooks/registry.ts';
import { readSeeds, seedGlobalWebhooks } from '../../../core/global-webhooks/seeds.ts';
import { MemoryWebhookBackend } from '../../../core/global-webhooks/backend.ts';
import { createLogger } from '../../../core/logger.ts';
import { MemoryStore } from '../../../core/store/memory-store.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function dir(files: Record<string, string>): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'fh-seeds-'));
  dirs.push(d);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(join(d, name, '..'), { recursive: true });
    await writeFile(join(d, name), text);
  }
  return d;
}

const registry = () =>
  new GlobalWebhookRegistry({ backend: new MemoryWebhookBackend(new MemoryStore()), logger: createLogger({ level: 'silent' }), pollIntervalMs: 0 });

describe('global webhook seeds', () => {
  it('reads a list, a {webhooks} object, a single definition and YAML from files and directories', async () => {
    const d = await dir({
      'list.json': JSON.stringify([{ id: 'a', url: 'http://h/a' }]),
      'many/one.json': JSON.stringify({ webhooks: [{ id: 'b', url: 'http://h/b' }] }),
      'many/two.yaml': 'id: c\nurl: http://h/c\nmethod: put\n',
      'many/ignored.txt': 'x',
    });
    const { webhooks, problems } = await readSeeds([join(d, 'list.json'), join(d, 'many')]);
    expect(problems).toEqual([]);
    expect(webhooks.map((w) => `${w.id}:${w.method ?? ''}`)).toEqual(['a:', 'b:', 'c:PUT']);
  });

  it('reports every problem with file and pointer, including duplicate ids and missing paths', async () => {
    const d = await dir({ 'a.json': JSON.stringify({ webhooks: [{ id: 'x', url: 'http://h' }, { id: 'x', url: 'http://h2' }, { url: 'mailto:x' }] }) });
    const { problems } = await readSeeds([join(d, 'a.json'), join(d, 'missing.json')]);
    expect(problems.map((p) => `${p.file.slice(d.length)}#${p.pointer}`).sort()).toEqual(
      ['/a.json#/webhooks/1/id', '/a.json#/webhooks/2', '/a.json#/webhooks/2/url', '/missing.json#'].sort(),
    );
  });

  it('creates missing webhooks only, leaves edited and deleted ones alone, and overwrites when asked', async () => {
    const d = await dir({
      's.json': JSON.stringify([
        { id: 'keep', url: 'http://h/seed' },
        { id: 'dead', url: 'http://h/dead' },
      ]),
    });
    const r = registry();
    await r.start();
    expect((await seedGlobalWebhooks(r, [join(d, 's.json')], false)).created).toEqual(['keep', 'dead']);
    await r.put({ id: 'keep', url: 'http://h/edited' });
    await r.remove('dead');
    const again = await seedGlobalWebhooks(r, [join(d, 's.json')], false);
    expect([...again.created, ...again.updated]).toEqual([]);
    expect((await r.lookup('keep'))?.url).toBe('http://h/edited');
    const forced = await seedGlobalWebhooks(r, [join(d, 's.json')], true);
    expect(forced.updated).toEqual(['keep']);
    expect(forced.created).toEqual(['dead']);
    expect((await r.lookup('keep'))?.url).toBe('http://h/seed');
    expect((await seedGlobalWebhooks(r, [join(d, 's.json')], true)).updated).toEqual([]);
    await r.close();
  });

  it('writes nothing when a seed file has an error, and keeps the problems on the registry', async () => {
    const d = await dir({
      's.json': JSON.stringify([
        { id: 'fine', url: 'http://h' },
        { id: 'bad', url: 'nope' },
      ]),
    });
    const r = registry();
    const result = await seedGlobalWebhooks(r, [join(d, 's.json')], false);
    expect(result.created).toEqual([]);
    expect(r.seedProblems.map((p) => p.pointer)).toEqual(['/1/url']);
    expect(await r.list()).toEqual([]);
  });
});
