import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { decodeSigningSecret, signatureHeaders, signWebhook } from '../../../core/delivery/signing.ts';

// The published vector of the Standard Webhooks specification (libraries/javascript webhook.test.ts).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('signWebhook', () => {
  it('produces the specification test vector when given its id, timestamp, payload and secret', () => {
    expect(signWebhook(VECTOR.id, VECTOR.timestamp, VECTOR.payload, [VECTOR.secret])).toBe(VECTOR.signature);
  });

  it('signs with every secret, space-separated, when secrets are rotating', () => {
    const other = `whsec_${Buffer.from('another secret key material!').toString('base64')}`;
    const value = signWebhook(VECTOR.id, VECTOR.timestamp, VECTOR.payload, [other, VECTOR.secret]);
    const parts = value.split(' ');
    expect(parts).toHaveLength(2);
    expect(parts[1]).toBe(VECTOR.signature);
    expect(parts[0]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });
});

describe('signatureHeaders', () => {
  it('verifies with the reference Standard Webhooks library when signed now', () => {
    const body = JSON.stringify({ event: 'QuotaExceeded', note: 'ünïcode "quoted"' });
    const headers = signatureHeaders('msg_abc', body, { secret: VECTOR.secret, previous_secrets: [`whsec_${Buffer.alloc(24, 7).toString('base64')}`] });
    expect(new Webhook(VECTOR.secret).verify(body, headers)).toEqual(JSON.parse(body));
    // The previous secret's signature verifies too (receivers still on the old secret).
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`).verify(body, headers)).not.toThrow();
  });

  it('fails reference verification when the body was altered', () => {
    const headers = signatureHeaders('msg_abc', '{"a":1}', { secret: VECTOR.secret });
    expect(() => new Webhook(VECTOR.secret).verify('{"a":2}', headers)).toThrow();
  });

  it('signs an empty body when the request has none', () => {
    const headers = signatureHeaders('msg_get', undefined, { secret: VECTOR.secret }, 1614265330_000);
    expect(headers['webhook-signature']).toBe(signWebhook('msg_get', 1614265330, '', [VECTOR.secret]));
    expect(headers['webhook-timestamp']).toBe('1614265330');
  });
});

describe('decodeSigningSecret', () => {
  it('throws FH_DELIVERY_INVALID when the secret is not base64', () => {
    expect(() => decodeSigningSecret('whsec_not base64!')).toThrow(expect.objectContaining({ code: 'FH_DELIVERY_INVALID' }));
    expect(() => decodeSigningSecret('whsec_')).toThrow(expect.objectContaining({ code: 'FH_DELIVERY_INVALID' }));
  });
});
