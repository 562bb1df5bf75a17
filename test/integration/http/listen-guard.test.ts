/**
 * The listen guard against real sockets: without ingest_secret a listen host is judged by the address
 * it resolves to and the address bound, not by its text (`0` is a name that resolves to 0.0.0.0).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestServer } from '../../../core/http/server.ts';
import { createRuntime, type Runtime } from '../../../core/runtime.ts';
import { captureLogger } from '../../helpers/capture-logger.ts';
import { startCli } from '../../helpers/cli.ts';
import { isLoopbackAddress } from '../../../core/net/ip-address.ts';
import { workspace, type Workspace } from '../admin/helpers.ts';

describe('listen guard', () => {
  let ws: Workspace;
  let runtime: Runtime;
  beforeAll(async () => {
    ws = await workspace({ memory: true });
    runtime = await createRuntime({ configFile: ws.config, logger: captureLogger('warn').logger });
  });
  afterAll(async () => {
    await runtime?.close(1_000);
    await ws?.cleanup();
  });

  const server = (listen: string, secret = '') => new IngestServer(runtime, { listen, secret, bodyLimit: 1024 });

  it('refuses a name that resolves to a non-loopback address, naming that address, before binding', async () => {
    const s = server('0:0');
    await expect(s.start()).rejects.toMatchObject({ code: 'FH_LISTEN_INSECURE', message: expect.stringContaining('0.0.0.0') });
    await s.close();
  });

  it('binds the loopback address a name resolves to, and a non-loopback one only with a secret', async () => {
    const local = server('localhost:0');
    const address = await local.start();
    expect(isLoopbackAddress(address.address)).toBe(true);
    await local.close();
    const open = server('0:0', 's3cret');
    expect((await open.start()).address).toBe('0.0.0.0');
    await open.close();
  });

  it('makes firehook serve exit 1 with FH_LISTEN_INSECURE for such a name', async () => {
    const cli = startCli(['serve', '--config', ws.config, '--listen', '0:0']);
    try {
      expect(await cli.exited).toBe(1);
      expect(cli.stderr()).toContain('FH_LISTEN_INSECURE');
      expect(cli.stderr()).toContain('0.0.0.0');
    } finally {
      await cli.stop('SIGKILL');
    }
  });
});
