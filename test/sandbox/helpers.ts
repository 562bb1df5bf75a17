/** Real parts for sandbox tests: a memory (or given) store, the real session store, the egress dispatcher. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEgressAgent } from '../../core/net/index.ts';
import { createSessionStore } from '../../core/sessions/create-session-store.ts';
import { MemoryStore } from '../../core/store/memory-store.ts';
import type { Store } from '../../core/store/store.ts';
import {
  createSandbox,
  type RunItem,
  type RunResult,
  type Sandbox,
  type SandboxLimits,
  type SandboxLogLine,
  type SandboxScope,
  type SandboxWarning,
} from '../../sandbox/index.ts';

export interface TestSandbox {
  sandbox: Sandbox;
  store: Store;
  sessions: ReturnType<typeof createSessionStore>;
  logs: SandboxLogLine[];
  warnings: SandboxWarning[];
  close(): Promise<void>;
}

export function startSandbox(
  options: {
    timeoutMs?: number;
    memoryLimitMb?: number;
    sharedContext?: boolean;
    store?: Store;
    limits?: Partial<SandboxLimits>;
    allow?: string[];
    bootstrapExtraPath?: string;
  } = {},
): TestSandbox {
  const store = options.store ?? new MemoryStore();
  const sessions = createSessionStore({ store, fireSystem: () => undefined });
  const dispatcher = createEgressAgent({ denyPrivateNetworks: true, allowNetworks: options.allow ?? ['127.0.0.1'] });
  const logs: SandboxLogLine[] = [];
  const warnings: SandboxWarning[] = [];
  const sandbox = createSandbox({
    timeoutMs: options.timeoutMs ?? 1_000,
    memoryLimitMb: options.memoryLimitMb ?? 64,
    sharedContext: options.sharedContext ?? false,
    ...(options.bootstrapExtraPath ? { bootstrapExtraPath: options.bootstrapExtraPath } : {}),
    host: { storage: store, sessions, http: { dispatcher } },
    onLog: (line) => logs.push(line),
    onWarning: (w) => warnings.push(w),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  return {
    sandbox,
    store,
    sessions,
    logs,
    warnings,
    async close() {
      await sandbox.close();
      await dispatcher.close();
    },
  };
}

let seq = 0;

/** A unique fake absolute path for an in-memory handler file. */
export function fileName(label: string): string {
  return `/virtual/${label}-${++seq}.js`;
}

/** Source of a handler object `h` whose Handle body is `body` (with `event` and `context` in scope). */
export function handlerSource(body: string, name = 'h'): string {
  return `var ${name} = new TykJS.TykEventHandlers.NewEventHandler({});\n${name}.NewHandler(function (event, context) {\n${body}\n});\n`;
}

export function event(
  file: string,
  meta: Record<string, unknown> = {},
  options: { name?: string; type?: string; apiId?: string; orgId?: string; scope?: SandboxScope } = {},
): RunItem {
  const orgId = options.orgId ?? 'org-a';
  return {
    file,
    name: options.name ?? 'h',
    event: {
      Type: options.type ?? 'AuthFailure',
      Meta: { Message: 'Auth Failure', OriginatingRequest: '', ...meta },
      TimeStamp: '2015-01-15 17:21:15.111157073 +0000 UTC',
    },
    context: { APIID: options.apiId ?? 'api-a', OrgID: orgId },
    scope: options.scope ?? { kind: 'org', orgId },
  };
}

/** Load one handler file into a fresh activated generation (asserting it loaded) and return its path. */
export async function loadHandler(t: TestSandbox, body: string, label = 'h'): Promise<string> {
  const path = fileName(label);
  const report = await t.sandbox.load([{ path, source: handlerSource(body) }], { activate: false });
  if (!report.ok) throw new Error(`load failed: ${report.errors.map((e) => e.message).join('; ')}`);
  generations.set(path, report.generation);
  return path;
}

const generations = new Map<string, number>();

/** Load several handler bodies into one generation (one isolate); returns their paths in order. */
export async function loadHandlers(t: TestSandbox, bodies: string[], label = 'h'): Promise<string[]> {
  const files = bodies.map((body) => ({ path: fileName(label), source: handlerSource(body) }));
  const report = await t.sandbox.load(files, { activate: false });
  if (!report.ok) throw new Error(`load failed: ${report.errors.map((e) => e.message).join('; ')}`);
  for (const f of files) generations.set(f.path, report.generation);
  return files.map((f) => f.path);
}

/** Run events against the generation their file was loaded into by loadHandler. */
export function runIn(t: TestSandbox, items: RunItem[]): Promise<RunResult[]> {
  const generation = generations.get(items[0]!.file);
  return t.sandbox.run(items, generation === undefined ? {} : { generation });
}

export async function runOne(t: TestSandbox, item: RunItem): Promise<RunResult> {
  return (await runIn(t, [item]))[0]!;
}

/** Messages logged by `log()` from a file. */
export function logged(t: TestSandbox, file: string): string[] {
  return t.logs.filter((l) => l.file === file && l.kind === 'log').map((l) => l.message);
}

export async function tempDir(files: Record<string, string> = {}): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-sandbox-'));
  for (const [name, source] of Object.entries(files)) await writeFile(join(dir, name), source);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
