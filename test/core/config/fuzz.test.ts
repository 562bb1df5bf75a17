import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromDocument } from '../../../core/config/load-api-definitions.ts';
import { loadGatewayConfig } from '../../../core/config/load-gateway-config.ts';
import { valueAt } from '../../../core/config/validate.ts';
import { buildGeneration } from '../../../core/generation.ts';
import { BUILTIN_PLUGINS } from '../../../plugins/builtin.ts';
import { IngestProblem, parseEvents } from '../../../core/http/parse-events.ts';
import { captureLogger } from '../../helpers/capture-logger.ts';
import { unitServices } from '../../helpers/fake-services.ts';

const fixtures = join(import.meta.dirname, '../../fixtures/apis');
const seeds = ['classic.json', 'oas.json'].map((f) => JSON.parse(readFileSync(join(fixtures, f), 'utf8')) as Record<string, unknown>);

/** Every path (as segments) to a value inside a document. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  const out = [prefix];
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  }
  return out;
}

function mutate(doc: unknown, path: string[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0) return replacement;
  const copy = Array.isArray(doc) ? [...doc] : { ...(doc as Record<string, unknown>) };
  const [head, ...rest] = path as [string, ...string[]];
  const target = copy as Record<string, unknown>;
  if (rest.length === 0) {
    if (remove) delete target[head];
    else target[head] = replacement;
  } else {
    target[head] = mutate(target[head], rest, replacement, remove);
  }
  return copy;
}

/** The pointer names a place in the document, or a missing key of an existing object. */
function pointsIntoDocument(doc: unknown, pointer: string): boolean {
  if (valueAt(doc, pointer) !== undefined) return true;
  const parent = pointer.slice(0, pointer.lastIndexOf('/'));
  const container = valueAt(doc, parent);
  return container !== null && typeof container === 'object';
}

describe('configuration loading under random mutation', () => {
  it('gives problems with pointers into the document, or a valid definition, and never crashes', async () => {
    const { config } = await loadGatewayConfig(undefined);
    const { logger } = captureLogger('silent');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...seeds), fc.nat(), fc.jsonValue({ maxDepth: 3 }), fc.boolean(), async (seed, pick, replacement, remove) => {
        const all = paths(seed);
        const doc = mutate(seed, all[pick % all.length]!, replacement, remove);
        const { api, problems } = fromDocument(doc, 'fuzz.json');
        for (const p of problems) {
          expect(p.pointer === '' || p.pointer.startsWith('/')).toBe(true);
          expect(pointsIntoDocument(doc, p.pointer)).toBe(true);
          expect(p.message.length).toBeGreaterThan(0);
        }
        if (api === undefined) {
          expect(problems.length).toBeGreaterThan(0);
          return;
        }
        const built = await buildGeneration({ number: 1, gateway: config!, apis: [api], plugins: BUILTIN_PLUGINS, services: unitServices(logger) });
        expect(built.generation).toBeDefined();
        for (const p of built.problems) {
          expect(p.pointer === '' || p.pointer.startsWith('/')).toBe(true);
          if (p.severity === 'error') expect(pointsIntoDocument(doc, p.pointer)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('ingestion parsing of arbitrary bodies', () => {
  it('either accepts well-formed events or throws an IngestProblem, nothing else', () => {
    const eventLike = fc.record(
      {
        type: fc.oneof(fc.string(), fc.constant('AuthFailure')),
        api_id: fc.option(fc.string(), { nil: undefined }),
        meta: fc.option(fc.jsonValue({ maxDepth: 4 }), { nil: undefined }),
        timestamp: fc.option(
          fc.oneof(
            fc.string(),
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          ),
          { nil: undefined },
        ),
      },
      { requiredKeys: [] },
    );
    const bodies = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.array(eventLike).map((a) => JSON.stringify(a)),
      eventLike.map((e) => JSON.stringify(e)),
      fc.array(eventLike).map((a) => a.map((e) => JSON.stringify(e)).join('\n')),
    );
    fc.assert(
      fc.property(bodies, fc.constantFrom('application/json', 'application/x-ndjson', 'text/plain', ''), (body, type) => {
        try {
          const events = parseEvents(body, type);
          expect(events.length).toBeGreaterThan(0);
          for (const e of events) {
            expect(typeof e.type).toBe('string');
            expect(e.type.length).toBeGreaterThan(0);
            expect(Object.isFrozen(e.meta)).toBe(true);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(IngestProblem);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
