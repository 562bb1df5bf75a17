/**
 * Seed the global webhook registry from files: JSON or YAML holding one definition, a list of
 * them, or `{"webhooks": [...]}`; a directory contributes its `*.json`, `*.yaml` and `*.yml`
 * files. A seed creates a webhook that does not exist yet (a deleted one counts as existing, so a
 * deletion made through the admin API sticks); with `overwrite`, a seed whose definition differs
 * replaces the stored one.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseDocumentFile } from '../config/parse-document.ts';
import type { ConfigProblem } from '../errors/firehook-error.ts';
import type { GatewayEgress } from '../net/egress-floor.ts';
import { definitionOf, parseGlobalWebhook, type GlobalWebhookInput } from './global-webhook.ts';
import type { GlobalWebhookRegistry } from './registry.ts';

export interface SeedResult {
  created: string[];
  updated: string[];
  problems: ConfigProblem[];
}

const SEED_FILE = /\.(json|ya?ml)$/i;

async function seedFiles(paths: readonly string[]): Promise<{ files: string[]; problems: ConfigProblem[] }> {
  const files: string[] = [];
  const problems: ConfigProblem[] = [];
  for (const path of paths.map((p) => resolve(p))) {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) problems.push({ file: path, pointer: '', message: 'global webhook seed file or directory not found', severity: 'error' });
    else if (info.isDirectory())
      files.push(
        ...(await readdir(path))
          .filter((n) => SEED_FILE.test(n))
          .sort()
          .map((n) => join(path, n)),
      );
    else files.push(path);
  }
  return { files, problems };
}

/**
 * Read and validate seed files; every problem of every file is reported together. With the
 * gateway's `egress` settings, a seed that asks to lower the private-network floor is an error.
 */
export async function readSeeds(paths: readonly string[], egress?: GatewayEgress): Promise<{ webhooks: GlobalWebhookInput[]; problems: ConfigProblem[] }> {
  const { files, problems } = await seedFiles(paths);
  const webhooks: GlobalWebhookInput[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const parsed = await parseDocumentFile(file);
    problems.push(...parsed.problems);
    parsed.documents.forEach((doc, index) => {
      const base = parsed.documents.length > 1 ? `/${index}` : '';
      let entries: [unknown, string][];
      if (Array.isArray(doc)) entries = doc.map((d, i) => [d, `${base}/${i}`]);
      else if (doc !== null && typeof doc === 'object' && Array.isArray((doc as { webhooks?: unknown }).webhooks))
        entries = (doc as { webhooks: unknown[] }).webhooks.map((d, i) => [d, `${base}/webhooks/${i}`]);
      else entries = [[doc, base]];
      for (const [value, pointer] of entries) {
        const result = parseGlobalWebhook(value, file, pointer, egress);
        problems.push(...result.problems);
        if (!result.webhook) continue;
        const previous = seen.get(result.webhook.id);
        if (previous !== undefined) {
          problems.push({
            file,
            pointer: `${pointer}/id`,
            message: `duplicate global webhook id "${result.webhook.id}" (also in ${previous})`,
            severity: 'error',
          });
          continue;
        }
        seen.set(result.webhook.id, `${file}#${pointer}`);
        webhooks.push(result.webhook);
      }
    });
  }
  return { webhooks, problems };
}

/** Seed `registry` from `paths`; nothing is written when any seed file has an error. */
export async function seedGlobalWebhooks(
  registry: GlobalWebhookRegistry,
  paths: readonly string[],
  overwrite: boolean,
  egress?: GatewayEgress,
): Promise<SeedResult> {
  const { webhooks, problems } = await readSeeds(paths, egress);
  const result: SeedResult = { created: [], updated: [], problems };
  registry.seedProblems = problems;
  if (problems.some((p) => p.severity === 'error')) return result;
  for (const webhook of webhooks) {
    const existing = await registry.lookup(webhook.id);
    if (existing === undefined || (overwrite && (existing.deleted || JSON.stringify(definitionOf(existing)) !== JSON.stringify(definitionOf(webhook))))) {
      try {
        await registry.put(webhook, existing && !existing.deleted ? existing.revision : 0);
        (existing && !existing.deleted ? result.updated : result.created).push(webhook.id);
      } catch (error) {
        // another node seeded or edited it meanwhile: theirs stands
        if ((error as { code?: string }).code !== 'FH_GLOBAL_WEBHOOK_CONFLICT') throw error;
      }
    }
  }
  return result;
}
