/**
 * Global webhook references: a webhook whose `id` names a definition in the global webhook
 * registry takes its URL, method, headers, template and delivery options from there (its own
 * cooldown and enabled flag stay), and follows later changes without a reload. A deleted global
 * webhook leaves the handler on its last definition, now local, with a warning. An `id` the
 * registry does not know is a plain local webhook when the handler has its own URL, and an error
 * (at the id) otherwise.
 */
import { ConfigError, globalWebhookAsOasHandler, type GlobalWebhookRecord, type HandlerContext } from '../../core/plugin-api.ts';
import { cooldownWasWritten, normalizeWebhookOptions } from './normalize-options.ts';
import type { WebhookOptions } from './options-schema.ts';

export type ResolvedOptions = WebhookOptions & { target_path: string };

export type Binding = { kind: 'local'; options: ResolvedOptions } | { kind: 'live'; options: ResolvedOptions; revision: number } | { kind: 'unresolved' };

/** The reference's own settings over the global definition's. Throws ConfigError if the definition is invalid. */
function merge(reference: WebhookOptions, record: GlobalWebhookRecord): ResolvedOptions {
  const global = normalizeWebhookOptions(globalWebhookAsOasHandler(record), { file: `global webhook ${record.id}`, pointer: '', format: 'oas' });
  return {
    ...global,
    target_path: global.target_path!,
    id: record.id,
    name: reference.name ?? global.name ?? record.id,
    disabled: false,
    event_timeout: cooldownWasWritten(reference) ? reference.event_timeout : global.event_timeout,
  };
}

export async function resolveGlobalReference(options: WebhookOptions, ctx: HandlerContext): Promise<Binding> {
  const id = options.id;
  const registry = id ? ctx.globalWebhooks : undefined;
  if (id && registry) {
    const record = await registry.lookup(id);
    if (record?.deleted) {
      ctx.warn(
        '/id',
        `global webhook "${id}" was deleted${record.deletedAt ? ` (${record.deletedAt})` : ''}; this handler keeps its last definition as a local webhook [FH_GLOBAL_WEBHOOK_DELETED]`,
      );
      return { kind: 'local', options: merge(options, record) };
    }
    if (record) return { kind: 'live', options: merge(options, record), revision: record.revision };
  }
  if (options.target_path !== undefined) return { kind: 'local', options: options as ResolvedOptions };
  const seedErrors = registry?.seedProblems.filter((p) => p.severity === 'error').length ?? 0;
  const message = `unknown global webhook id "${id}"${seedErrors > 0 ? ` (the global webhook seed files have ${seedErrors} problem${seedErrors === 1 ? '' : 's'}; nothing was seeded)` : ''}`;
  if (registry && !registry.complete) {
    ctx.warn('/id', `${message} in the seed files; the shared registry was not consulted`);
    return { kind: 'unresolved' };
  }
  throw new ConfigError([{ file: ctx.source.file, pointer: `${ctx.source.pointer}/id`, message: `${message} [FH_GLOBAL_WEBHOOK_UNKNOWN]`, severity: 'error' }]);
}

/**
 * Apply every later revision of the referenced definition through `apply`; on deletion, stop
 * following and keep the last definition. Returns the function that stops following.
 */
export function followGlobalWebhook(
  reference: WebhookOptions,
  revision: number,
  ctx: HandlerContext,
  apply: (options: ResolvedOptions) => Promise<void>,
): () => void {
  const id = reference.id!;
  const registry = ctx.globalWebhooks;
  if (!registry) return () => undefined;
  let seen = revision;
  let stopped = false;
  let chain = Promise.resolve();
  const follow = (record: GlobalWebhookRecord): Promise<void> | undefined => {
    if (stopped || record.revision <= seen) return;
    seen = record.revision;
    if (record.deleted) {
      stopped = true;
      unwatch();
      ctx.logger.warn(
        { code: 'FH_GLOBAL_WEBHOOK_DELETED', webhook: id },
        `global webhook "${id}" was deleted; this handler keeps its last definition as a local webhook`,
      );
      return;
    }
    // one update at a time, in revision order; the registry awaits it for writes made on this node
    chain = chain.then(async () => {
      if (stopped) return;
      try {
        await apply(merge(reference, record));
        ctx.logger.info({ webhook: id, revision: record.revision }, 'global webhook changed; handler follows');
      } catch (error) {
        const code = (error as { code?: string }).code ?? 'FH_GLOBAL_WEBHOOK_INVALID';
        ctx.logger.error(
          { code, webhook: id, revision: record.revision, err: (error as Error).message },
          'global webhook change could not be applied; the handler keeps the previous definition',
        );
      }
    });
    return chain;
  };
  const unwatch = registry.watch(id, follow);
  // a revision that arrived while this handler was being built
  const latest = registry.cached(id);
  if (latest && latest.revision > seen) void follow(latest);
  return () => {
    stopped = true;
    unwatch();
  };
}
