/** A HandlerContext around a real gateway config, a real template service and a recording delivery service. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLogger,
  createTemplateService,
  loadGatewayConfig,
  MemoryStore,
  type DeliveryRequest,
  type DeliveryService,
  type GatewayConfig,
  type HandlerContext,
  type HandlerSource,
  type SubmitResult,
} from '../../../core/index.ts';
import { ProvidedStatsRegistry } from '../../../core/stats-registry.ts';

export const REPO_TEMPLATES = fileURLToPath(new URL('../../../templates', import.meta.url));

/** Records every submission; answers `queued`, or `suppressed` for a cooldown key it has seen. */
export class RecordingDelivery implements DeliveryService {
  readonly requests: DeliveryRequest[] = [];
  private readonly claimed = new Set<string>();
  private next = 0;

  async submit(request: DeliveryRequest): Promise<SubmitResult> {
    this.requests.push(request);
    if (request.cooldown !== undefined) {
      if (this.claimed.has(request.cooldown.key)) return { status: 'suppressed' };
      this.claimed.add(request.cooldown.key);
    }
    return { status: 'queued', id: `d${++this.next}` };
  }
}

export async function gatewayConfig(raw: Record<string, unknown> = {}): Promise<GatewayConfig> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-webhook-'));
  const file = join(dir, 'tyk.conf');
  await writeFile(file, JSON.stringify({ template_path: REPO_TEMPLATES, ...raw }));
  const { config, problems } = await loadGatewayConfig(file);
  if (config === undefined) throw new Error(problems.map((p) => p.message).join('\n'));
  return config;
}

export interface TestContext extends HandlerContext {
  readonly warnings: { pointer: string; message: string }[];
  readonly recorder: RecordingDelivery;
}

export function handlerContext(gateway: GatewayConfig, options: { source?: Partial<HandlerSource>; delivery?: DeliveryService } = {}): TestContext {
  const recorder = new RecordingDelivery();
  const warnings: { pointer: string; message: string }[] = [];
  const logger = createLogger({ level: 'silent' });
  return {
    logger,
    store: new MemoryStore(),
    sessions: undefined as never,
    gateway,
    api: { apiId: 'api1', orgId: 'org1', name: 'API 1' },
    source: { file: '/apps/api1.json', pointer: '/event_handlers/events/AuthFailure/0/handler_meta', format: 'classic', ...options.source },
    event: 'AuthFailure',
    handlerId: 'api1:AuthFailure:0',
    templates: createTemplateService({ logger }),
    delivery: options.delivery ?? recorder,
    http: undefined as never,
    shared: { getOrCreate: (_key, create) => create() },
    stats: new ProvidedStatsRegistry(),
    resolvePath: (p) => (isAbsolute(p) ? p : resolve(gateway.base_dir, p)),
    warn: (pointer, message) => warnings.push({ pointer, message }),
    fire: () => {},
    fireSystem: () => {},
    warnings,
    recorder,
  };
}
