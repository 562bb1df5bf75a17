import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.ts';
import { startGatewayProcess } from './harness.ts';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

describe('examples/gateway configuration', () => {
  it('refuses to start and names each <file>#<pointer> when an API definition lacks its proxy settings', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fh-gateway-bad-'));
    dirs.push(dir);
    await mkdir(join(dir, 'apps'));
    await writeFile(join(dir, 'apps/broken.json'), JSON.stringify({ api_id: 'broken', org_id: 'o', proxy: { listen_path: 'no-slash' } }));
    await writeFile(join(dir, 'gateway.json'), JSON.stringify({ app_path: 'apps', template_path: join(ROOT, 'templates') }));
    const failure = await startGatewayProcess(join(dir, 'gateway.json')).then(
      async (started) => {
        await started.stop();
        return new Error('the gateway started');
      },
      (error: unknown) => error as Error,
    );
    expect(failure.message).toMatch(/exited with 1/);
    expect(failure.message).toContain(`${join(dir, 'apps/broken.json')}#/proxy/listen_path: must be a path starting with "/"`);
    expect(failure.message).toContain(`${join(dir, 'apps/broken.json')}#/proxy/target_url: must be an absolute URL`);
  });
});
