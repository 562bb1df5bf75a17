import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listApiFiles, loadApiDefinitions } from '../../../core/config/load-api-definitions.ts';
import { formatProblem } from '../../../core/errors/firehook-error.ts';

const fixtures = join(import.meta.dirname, '../../fixtures');

describe('loadApiDefinitions', () => {
  it('detects Classic, OAS and Operator YAML per file and extracts their handlers', async () => {
    const files = await listApiFiles(join(fixtures, 'apis'));
    const { apis, problems } = await loadApiDefinitions(files);
    expect(problems).toEqual([]);
    const byId = new Map(apis.map((a) => [a.apiId, a]));
    const classic = byId.get('classic-api')!;
    expect(classic.format).toBe('classic');
    expect(classic.orgId).toBe('org-1');
    expect(classic.handlers.map((h) => [h.event, h.handlerName, h.metaPointer])).toEqual([
      ['AuthFailure', 'eh_log_handler', '/event_handlers/events/AuthFailure/0/handler_meta'],
      ['KeyExpired', 'eh_log_handler', '/event_handlers/events/KeyExpired/0/handler_meta'],
      ['KeyExpired', 'eh_log_handler', '/event_handlers/events/KeyExpired/1/handler_meta'],
    ]);
    const oas = byId.get('oas-api')!;
    expect(oas.format).toBe('oas');
    expect(oas.orgId).toBe('org-2');
    expect(oas.handlers[0]).toMatchObject({ event: 'RatelimitExceeded', handlerName: 'log', pointer: '/x-tyk-api-gateway/server/eventHandlers/0' });
    const operator = apis.find((a) => a.format === 'operator')!;
    expect(operator.apiId).toBe(Buffer.from('gateways/webhook-handler').toString('base64url'));
    expect(operator.handlers[0]).toMatchObject({ event: 'AuthFailure', pointer: '/spec/event_handlers/events/AuthFailure/0' });
  });

  it('freezes accepted definitions', async () => {
    const { apis } = await loadApiDefinitions([join(fixtures, 'apis/classic.json')]);
    expect(Object.isFrozen(apis[0]!.raw)).toBe(true);
    expect(Object.isFrozen(apis[0]!.handlers[0]!.meta)).toBe(true);
  });

  it('reports syntax errors with line and column', async () => {
    const { apis, problems } = await loadApiDefinitions([join(fixtures, 'broken/bad-json.json'), join(fixtures, 'broken/bad-yaml.yaml')]);
    expect(apis).toEqual([]);
    expect(problems).toHaveLength(2);
    expect(formatProblem(problems[0]!)).toMatch(/bad-json\.json#: invalid JSON: line 1, column \d+/);
    expect(formatProblem(problems[1]!)).toMatch(/bad-yaml\.yaml#: invalid YAML: line \d+, column \d+/);
  });

  it('reports every structural problem of a file together, each with its pointer', async () => {
    const { apis, problems } = await loadApiDefinitions([join(fixtures, 'broken/no-api-id.json'), join(fixtures, 'broken/oas-bad.json')]);
    expect(apis).toEqual([]);
    const lines = problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/no-api-id\.json#: missing required key "api_id"$/));
    expect(lines).toContainEqual(expect.stringMatching(/no-api-id\.json#\/event_handlers\/events\/AuthFailure: must be array \(got "not-a-list"\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/oas-bad\.json#\/x-tyk-api-gateway\/info: missing required key "id"$/));
    expect(lines).toContainEqual(expect.stringMatching(/oas-bad\.json#\/x-tyk-api-gateway\/server\/eventHandlers\/0: missing required key "trigger"$/));
  });

  it('rejects a second definition with the same api_id, naming both files', async () => {
    const file = join(fixtures, 'apis/classic.json');
    const { apis, problems } = await loadApiDefinitions([file, file]);
    expect(apis).toHaveLength(1);
    expect(problems[0]).toMatchObject({ pointer: '/api_id', severity: 'error' });
    expect(problems[0]!.message).toContain(file);
  });

  it('reports an unreadable file by name', async () => {
    const { problems } = await loadApiDefinitions([join(fixtures, 'apis/missing.json')]);
    expect(problems[0]!.message).toMatch(/cannot read file: ENOENT/);
  });
});
