import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MonitorConfig } from '../../../core/config/gateway-config.ts';
import type { TriggerMeta } from '../../../core/event.ts';
import type { Session } from '../../../core/sessions/session-store.ts';

const NODE = fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
const WORKER = fileURLToPath(new URL('./monitor-worker.ts', import.meta.url));
const prefix = `fh-test:${randomUUID()}:`;

const CONFIG: MonitorConfig = {
  enable_trigger_monitors: true,
  configuration: {},
  global_trigger_limit: 0,
  monitor_user_keys: true,
  monitor_org_keys: true,
};

interface Worker {
  child: ChildProcessWithoutNullStreams;
  events: TriggerMeta[];
  check(session: Session, key: string): Promise<number[]>;
}

async function startWorker(): Promise<Worker> {
  const child = spawn(NODE, ['--no-node-snapshot', WORKER, prefix, JSON.stringify(CONFIG)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: TriggerMeta[] = [];
  const pending = new Map<number, (fired: number[]) => void>();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let nextId = 0;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const message = JSON.parse(line);
      if (message.ready) resolve();
      else if (message.event) events.push(message.meta);
      else if (message.error) throw new Error(message.error);
      else pending.get(message.id)?.(message.fired);
    });
  });
  await ready;
  return {
    child,
    events,
    check: (session, key) =>
      new Promise((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ id, session, key })}\n`);
      }),
  };
}

let workers: Worker[] = [];

beforeAll(async () => {
  workers = await Promise.all([startWorker(), startWorker()]);
}, 30_000);

afterAll(async () => {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          w.child.once('exit', () => resolve());
          w.child.stdin.end();
        }),
    ),
  );
  const raw = new Redis('redis://127.0.0.1:6379');
  const keys = await raw.keys(`${prefix}*`);
  if (keys.length > 0) await raw.del(...keys);
  await raw.quit();
});

/** Climb usage request by request; each step is checked by both processes at the same time. */
async function climb(key: string, limits: number[], renews: number, extra: Partial<Session> = {}): Promise<number[]> {
  const fired: number[] = [];
  for (let used = 1; used <= 100; used++) {
    const session: Session = {
      org_id: 'org-int',
      quota_max: 100,
      quota_remaining: 100 - used,
      quota_renews: renews,
      monitor: { trigger_limits: limits },
      ...extra,
    };
    const results = await Promise.all(workers.map((w) => w.check(session, key)));
    fired.push(...results.flat());
  }
  return fired;
}

const eventsFor = (key: string, org = 'org-int') => workers.flatMap((w) => w.events).filter((e) => e.Key === key && e.OrgID === org);

describe('quota monitor across two processes sharing Redis', () => {
  const renews = Math.floor(Date.now() / 1000) + 3600;

  for (const limits of [
    [90, 75, 50],
    [50, 75, 90],
  ]) {
    it(`fires 50, 75 and 90 exactly once for thresholds ${JSON.stringify(limits)}`, async () => {
      const key = `key-${limits.join('-')}`;
      const fired = await climb(key, limits, renews);
      expect([...fired].sort((a, b) => a - b)).toEqual([50, 75, 90]);
      const events = eventsFor(key);
      expect(events.map((e) => e.TriggerLimit).sort((a, b) => a - b)).toEqual([50, 75, 90]);
      for (const e of events) {
        expect(e).toMatchObject({ Message: 'Quota trigger reached', OriginatingRequest: '', OrgID: 'org-int', Key: key });
        expect(e.UsagePercentage).toBe(e.TriggerLimit);
      }
    });
  }

  it('fires an organisation monitor with an empty key, once per threshold', async () => {
    const fired = await climb('', [80], renews, { org_id: 'org-only' });
    expect(fired).toEqual([80]);
    expect(eventsFor('', 'org-only')).toHaveLength(1);
  });

  it('fires the thresholds again in the next quota period and never after the renewal passed', async () => {
    const key = 'key-renewal';
    expect(await climb(key, [50], renews)).toEqual([50]);
    expect(await climb(key, [50], renews + 3600)).toEqual([50]);
    expect(await climb(key, [50], Math.floor(Date.now() / 1000) - 1)).toEqual([]);
  });
});
