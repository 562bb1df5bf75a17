/**
 * A throw-away Firehook workspace for chaos runs (gateway config, one Classic API definition with
 * one webhook per receiver, a template that puts the event id in the body, optional JS handlers),
 * and the real CLI started on it.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startCli, type CliProcess } from '../helpers/cli.ts';
import { freePort } from '../integration/delivery/helpers.ts';

export const CHAOS_API = 'chaos';
export const CHAOS_ORG = 'chaos-org';
/** Body of every webhook: the event id the producer put in the meta. */
export const CHAOS_TEMPLATE = '{"id": "{{.Meta.EventId}}", "type": "{{.Type}}"}\n';

export interface WorkspaceOptions {
  redisUrl: string;
  /** Webhook targets: one eh_web_hook_handler per URL, all on the same event. */
  targets: string[];
  /** Gateway config keys to add or override. */
  gateway?: Record<string, unknown>;
  /** Extra handler_meta for every webhook. */
  webhook?: Record<string, unknown>;
  /** JS handler files (name -> source) in `event_handlers_path`, each bound as `{name: <file without .js>}`. */
  jsHandlers?: Record<string, string>;
}

export interface Workspace {
  dir: string;
  configFile: string;
  /** Base URL the runtime listens on (a fixed port, so a restarted runtime answers at the same address). */
  url: string;
  apiFile: string;
  /** Rewrite the API definition (same handlers, `revision` changes a harmless field). */
  writeApi(revision: number): Promise<void>;
  remove(): Promise<void>;
}

export async function createWorkspace(o: WorkspaceOptions): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-chaos-'));
  await mkdir(join(dir, 'apps'));
  await mkdir(join(dir, 'templates'));
  await mkdir(join(dir, 'handlers'));
  await writeFile(join(dir, 'templates', 'chaos.json'), CHAOS_TEMPLATE);
  for (const [file, source] of Object.entries(o.jsHandlers ?? {})) await writeFile(join(dir, 'handlers', file), source);
  const port = await freePort();
  const gateway = {
    app_path: 'apps',
    template_path: join(ROOT, 'templates'),
    event_handlers_path: 'handlers',
    listen: `127.0.0.1:${port}`,
    log_level: 'info',
    storage: { type: 'redis', url: o.redisUrl },
    webhooks: { timeout: '1s', retry_schedule: ['100ms', '200ms', '500ms', ...Array<string>(27).fill('1s')], max_concurrency_per_target: 16 },
    ...o.gateway,
  };
  const configFile = join(dir, 'tyk.conf');
  await writeFile(configFile, JSON.stringify(gateway, null, 2));
  const apiFile = join(dir, 'apps', 'chaos.json');
  const writeApi = async (revision: number): Promise<void> => {
    const webhooks = o.targets.map((url) => ({
      handler_name: 'eh_web_hook_handler',
      handler_meta: {
        method: 'POST',
        target_path: `${url}/hook`,
        template_path: 'templates/chaos.json',
        header_map: { 'X-Chaos-Revision': String(revision) },
        event_timeout: 0,
        ...o.webhook,
      },
    }));
    const js = Object.keys(o.jsHandlers ?? {}).map((file) => ({
      handler_name: 'eh_dynamic_handler',
      handler_meta: { name: file.replace(/\.js$/, ''), path: file },
    }));
    await writeFile(
      apiFile,
      JSON.stringify(
        { api_id: CHAOS_API, org_id: CHAOS_ORG, name: `chaos r${revision}`, event_handlers: { events: { AuthFailure: [...webhooks, ...js] } } },
        null,
        2,
      ),
    );
  };
  await writeApi(0);
  return { dir, configFile, url: `http://127.0.0.1:${port}`, apiFile, writeApi, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `firehook serve --config <ws>` (the built CLI); resolves once it listens. */
export async function startFirehook(ws: Workspace, options: { watch?: boolean } = {}): Promise<CliProcess> {
  const cli = startCli(['serve', '--config', ws.configFile, ...(options.watch ? [] : ['--no-watch'])], { cwd: ws.dir });
  await cli.waitForLine((l) => l.msg === 'listening', 30_000);
  return cli;
}
