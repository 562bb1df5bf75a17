import { describe, expect, it } from 'vitest';
import { checkBoundAddress, checkListenLiteral, listenAddress } from '../../../core/http/listen-guard.ts';

const resolvesTo = (address: string) => async () => ({ address });

describe('listen guard', () => {
  it('refuses a non-loopback IP literal at once without a secret, and allows it with one', () => {
    expect(() => checkListenLiteral('0.0.0.0:7070', '0.0.0.0', '')).toThrow(expect.objectContaining({ code: 'FH_LISTEN_INSECURE' }));
    expect(() => checkListenLiteral('[::]:7070', '::', '')).toThrow(expect.objectContaining({ code: 'FH_LISTEN_INSECURE' }));
    expect(() => checkListenLiteral('0.0.0.0:7070', '0.0.0.0', 's3cret')).not.toThrow();
    expect(() => checkListenLiteral('127.0.0.2:7070', '127.0.0.2', '')).not.toThrow();
    expect(() => checkListenLiteral('[::1]:7070', '::1', '')).not.toThrow();
  });

  it('judges a name by the address it resolves to, and binds that address', async () => {
    await expect(listenAddress('127.example.test:7070', '127.example.test', '', resolvesTo('203.0.113.7'))).rejects.toMatchObject({
      code: 'FH_LISTEN_INSECURE',
      message: expect.stringContaining('203.0.113.7'),
    });
    await expect(listenAddress('localhost:7070', 'localhost', '', resolvesTo('::1'))).resolves.toBe('::1');
    await expect(listenAddress('gw.internal:7070', 'gw.internal', '', resolvesTo('127.0.0.1'))).resolves.toBe('127.0.0.1');
    await expect(listenAddress('gw.internal:7070', 'gw.internal', 's3cret', resolvesTo('203.0.113.7'))).resolves.toBe('gw.internal');
    await expect(listenAddress('nowhere.invalid:7070', 'nowhere.invalid', '', async () => Promise.reject(new Error('ENOTFOUND')))).rejects.toMatchObject({
      code: 'FH_LISTEN_INSECURE',
    });
  });

  it('checks the bound address', () => {
    expect(() => checkBoundAddress('0:7070', '0.0.0.0', '')).toThrow(expect.objectContaining({ code: 'FH_LISTEN_INSECURE' }));
    expect(() => checkBoundAddress('x:7070', '::ffff:127.0.0.1', '')).not.toThrow();
    expect(() => checkBoundAddress('0:7070', '0.0.0.0', 's3cret')).not.toThrow();
  });
});
