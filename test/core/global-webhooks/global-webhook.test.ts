import { describe, expect, it } from 'vitest';
import { globalWebhookAsOasHandler, keepMaskedSecrets, maskSecrets, parseGlobalWebhook } from '../../../core/global-webhooks/global-webhook.ts';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('parseGlobalWebhook', () => {
  it('accepts a full definition, upper-cases the method and drops bookkeeping fields', () => {
    const { webhook, problems } = parseGlobalWebhook(
      {
        id: 'a.b:c-1',
        name: 'n',
        url: 'https://h/x?q=1',
        method: 'patch',
        headers: [{ name: 'X-A', value: '1' }],
        bodyTemplate: 't.json',
        cooldownPeriod: '1m30s',
        timeout: '5s',
        retry_schedule: ['1s', '1m'],
        signing: { secret: SECRET },
        deny_private_networks: true,
        allow_networks: ['10.0.0.0/8'],
        tyk_compat_escaping: false,
        revision: 4,
        createdAt: 'x',
        updatedAt: 'y',
        deleted: false,
      },
      'f',
    );
    expect(problems).toEqual([]);
    expect(webhook).toMatchObject({ id: 'a.b:c-1', method: 'PATCH', cooldownPeriod: '1m30s' });
    expect(webhook).not.toHaveProperty('revision');
  });

  it('reports each bad field at its pointer under the base pointer', () => {
    const { problems } = parseGlobalWebhook(
      {
        id: '-x',
        url: 'http://h',
        timeout: '5 s',
        retry_schedule: ['1s', 'later'],
        signing: { secret: 'plain' },
        headers: [
          { name: 'ok', value: 'a\nb' },
          { name: 'X-Price', value: '10 €' },
        ],
      },
      'seed.json',
      '/webhooks/3',
    );
    expect(problems.map((p) => p.pointer).sort()).toEqual([
      '/webhooks/3/headers/0/value',
      '/webhooks/3/headers/1/value',
      '/webhooks/3/id',
      '/webhooks/3/retry_schedule/1',
      '/webhooks/3/signing/secret',
      '/webhooks/3/timeout',
    ]);
    expect(problems.every((p) => p.file === 'seed.json')).toBe(true);
  });

  it('also reports what the schema cannot see: a zero timeout, bad allow-list entries, secrets that do not decode', () => {
    const { webhook, problems } = parseGlobalWebhook(
      { id: 'x', url: 'http://h', timeout: '0', allow_networks: ['10.0.0.0/40'], signing: { secret: 'whsec_AAAAA' } },
      'request',
      '',
    );
    expect(webhook).toBeUndefined();
    expect(problems.map((p) => `${p.pointer}: ${p.message}`).sort()).toEqual([
      '/allow_networks/0: not a host name, IP address or CIDR (got "10.0.0.0/40")',
      '/signing/secret: must be whsec_ followed by a base64 secret',
      '/timeout: must be a positive Go duration (got "0")',
    ]);
  });

  it('requires id and url', () => {
    expect(
      parseGlobalWebhook({}, 'f')
        .problems.map((p) => p.message)
        .sort(),
    ).toEqual(['missing required key "id"', 'missing required key "url"']);
  });
});

describe('secrets', () => {
  it('masks signing secrets and restores them when the mask comes back', () => {
    const stored = { id: 'a', url: 'http://h', signing: { secret: SECRET, previous_secrets: ['whsec_aGVsbG8='] } };
    const masked = maskSecrets(stored);
    expect(masked.signing).toEqual({ secret: `whsec_****${SECRET.slice(-4)}`, previous_secrets: ['whsec_****bG8='] });
    expect(keepMaskedSecrets(masked, stored)).toEqual({ webhook: stored, problems: [] });
    expect(keepMaskedSecrets({ ...masked, signing: { secret: 'whsec_****zzzz' } }, stored).problems).toEqual([
      '/signing/secret: a masked secret must match a stored one; send the full secret',
    ]);
  });

  it('maps onto a Tyk OAS webhook event handler entry', () => {
    expect(globalWebhookAsOasHandler({ id: 'a', url: 'http://h', method: 'POST', revision: 3 } as never)).toEqual({
      type: 'webhook',
      enabled: true,
      id: 'a',
      url: 'http://h',
      method: 'POST',
    });
  });
});
