import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NODE, ROOT } from '../../helpers/cli.ts';

describe('examples/embed', () => {
  it('runs against the built package and its handlers log the fired events', async () => {
    const child = spawn(NODE, ['--no-node-snapshot', join(ROOT, 'examples/embed/embed.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => 'closed' in l)).toMatchObject({ closed: { unfinished: 0, undelivered: 0 }, stats: { fired: 3, matched: 2 } });
    expect(lines.find((l) => l.msg === 'AuthFailureEvent:AuthFailure')).toMatchObject({ api_id: 'petstore', key: '****3456' });
  });
});
