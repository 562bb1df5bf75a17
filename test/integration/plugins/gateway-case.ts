/** Gateway configs, API definitions and events for the packed-project tests, and reading the archive back. */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A directory in the project with a gateway config and API definitions; returns the config path. */
export async function gatewayCase(project: string, name: string, gateway: Record<string, unknown>, apis: Record<string, unknown>[]): Promise<string> {
  const dir = join(project, 'cases', name);
  await mkdir(join(dir, 'apps'), { recursive: true });
  await writeFile(join(dir, 'tyk.conf'), JSON.stringify({ app_path: 'apps', template_path: '../../node_modules/firehook/templates', ...gateway }, null, 2));
  for (const api of apis) await writeFile(join(dir, 'apps', `${apiId(api)}.json`), JSON.stringify(api, null, 2));
  return join(dir, 'tyk.conf');
}

function apiId(api: Record<string, unknown>): string {
  return (api.api_id as string | undefined) ?? (api['x-tyk-api-gateway'] as { info: { id: string } }).info.id;
}

export const classic = (id: string, events: Record<string, unknown[]>) => ({
  api_id: id,
  org_id: 'acme',
  name: id[0]!.toUpperCase() + id.slice(1),
  event_handlers: { events },
});
export const oas = (id: string, eventHandlers: unknown[]) => ({
  openapi: '3.0.3',
  info: { title: id, version: '1.0.0' },
  paths: {},
  'x-tyk-api-gateway': {
    info: { id, orgId: 'acme', name: 'Orders', state: { active: true } },
    upstream: { url: 'http://127.0.0.1:8082/' },
    server: { listenPath: { value: `/${id}/`, strip: true }, eventHandlers },
  },
});
export const keyEvent = (api: string, type: string, key: string, extra: Record<string, unknown> = {}) => ({
  api_id: api,
  type,
  meta: { Message: type, Path: `/${api}/things`, Origin: '10.1.2.3', Key: key, ...extra },
});

/** One archive line as firehook-plugin-archive writes it. */
export interface ArchiveRecord {
  time: string;
  api_id: string;
  org_id: string;
  Type: string;
  Meta: { Key?: string; OriginatingRequest?: string; [field: string]: unknown };
  TimeStamp: string;
  request?: { method: string; url: string; http_version: string; headers: [string, string][]; body: string; body_encoding: string };
}

/** Every record in an archive directory, rotated files first (oldest first), then the active file. */
export async function archivedRecords(dir: string): Promise<ArchiveRecord[]> {
  const names = (await readdir(dir).catch(() => [] as string[]))
    .filter((n) => n.endsWith('.ndjson'))
    .sort((a, b) => (a === 'events.ndjson' ? 1 : b === 'events.ndjson' ? -1 : a.localeCompare(b)));
  const records: ArchiveRecord[] = [];
  for (const name of names) for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) if (line) records.push(JSON.parse(line) as ArchiveRecord);
  return records;
}
