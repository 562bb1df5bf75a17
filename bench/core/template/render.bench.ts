/**
 * Template rendering cost: Tyk's Go-template dialect translated onto Handlebars, per event.
 * Baseline, same run: JSON.stringify of an object holding the same fields (the cheapest way to
 * build a comparable JSON body by hand).
 */
import { fileURLToPath } from 'node:url';
import { report, timeLoop, type BenchResult } from '../../bench-format.ts';
import { createLogger } from '../../../core/logger.ts';
import { createTemplateService } from '../../../core/template/index.ts';

const TEMPLATE = fileURLToPath(new URL('../../../templates/default_webhook.json', import.meta.url));
const ITERATIONS = 500_000;
const ROUNDS = 5;

export async function run(): Promise<BenchResult[]> {
  const templates = createTemplateService({ logger: createLogger({ level: 'silent' }) });
  const plain = { Message: 'Key not authorised', OriginatingRequest: '', Path: '/get', Origin: '203.0.113.7', Key: '5a8c3e2f9b1d4c6e8a0f2b4d6c8e0a1b' };
  const hostile = { ...plain, Message: 'say "hi" \\ </script>\n', Path: '/a"b' };
  const data = (type: string, meta: typeof plain): unknown => ({
    Type: type,
    Meta: meta,
    TimeStamp: '2026-01-15 17:21:15.111157073 +0000 UTC',
    EventType: type,
    EventMetaData: meta,
  });
  let sink = 0;
  const baseline = timeLoop(ITERATIONS, ROUNDS, () => {
    sink += JSON.stringify({ event: 'AuthFailure', message: plain.Message, path: plain.Path, origin: plain.Origin, key: plain.Key }).length;
  });
  const results: BenchResult[] = [];
  const measure = async (name: string, type: string, meta: typeof plain, tykCompatEscaping: boolean): Promise<void> => {
    const template = await templates.load(TEMPLATE, { tykCompatEscaping });
    const ns = timeLoop(ITERATIONS, ROUNDS, () => {
      sink += template.render(data(type, meta)).length;
    });
    results.push({ name, value: ns, unit: 'ns/render', baseline: { name: 'JSON.stringify of the same fields (ns)', value: baseline }, ratio: ns / baseline });
  };
  await measure('default_webhook.json, AuthFailure (first branch)', 'AuthFailure', plain, false);
  await measure('default_webhook.json, CertificateExpired (tenth branch)', 'CertificateExpired', plain, false);
  await measure('default_webhook.json, AuthFailure, values needing escapes', 'AuthFailure', hostile, false);
  await measure('default_webhook.json, AuthFailure, tyk_compat_escaping', 'AuthFailure', hostile, true);
  if (sink <= 0) throw new Error('nothing rendered');
  return results;
}

if (import.meta.main) report('core/template/render', await run());
