// @ts-check
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatChatMessage } from 'firehook-plugin-chat';

/**
 * @param {string} Type
 * @param {Record<string, unknown>} Meta
 * @returns {import('firehook').EventMessage}
 */
const event = (Type, Meta, apiId = 'petstore') => ({ Type, Meta, TimeStamp: '2015-01-15 17:21:15.111157073 +0000 UTC', apiId, orgId: 'acme', time: 0 });
const api = { apiId: 'petstore', orgId: 'acme', name: 'Petstore' };
/** @param {import('../lib/format-message.js').ChatMessage} message */
const fields = (message) => message.blocks.find((b) => b.fields)?.fields?.map((f) => f.text) ?? [];

describe('formatChatMessage', () => {
  it('escapes mrkdwn control characters and keeps hostile values inside their field', () => {
    const message = formatChatMessage(
      event('AuthFailure', { Message: '<!channel> & <https://evil|click>', Path: '/a`b<c>', Origin: '1.2.3.4', Key: 'k<>&-1234' }),
      api,
      { handlerId: 'h' },
    );
    assert.equal(message.blocks[1]?.text?.text, '&lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
    assert.deepEqual(fields(message).slice(2), ["*Path*\n`/a'b&lt;c&gt;`", '*Origin*\n1.2.3.4', '*Key*\n`****1234`']);
    assert.equal(JSON.stringify(message).includes('<!channel>'), false);
  });

  it('shows host checks, breaker state and custom fields, and never a secret-looking field', () => {
    const host = formatChatMessage(
      event('HostDown', { Message: 'down', HostInfo: { CheckURL: 'http://up.example/health', ResponseCode: 503, IsTCPError: false } }),
      api,
      { handlerId: 'h' },
    );
    assert.deepEqual(fields(host).slice(2), ['*Check URL*\nhttp://up.example/health', '*Response code*\n503']);
    const breaker = formatChatMessage(event('BreakerTripped', { Path: '/p', APIID: 'petstore', CircuitEvent: 0 }), api, { handlerId: 'h' });
    assert.deepEqual(fields(breaker).slice(2), ['*Path*\n`/p`', '*APIID*\npetstore', '*Circuit*\ntripped']);
    const custom = formatChatMessage(
      event('DeployFinished', { Message: 'v2 live', Version: 'v2', Replicas: 3, ApiToken: 'tok-secret', SessionKey: 'abcdef987654' }, ''),
      undefined,
      { handlerId: 'system:DeployFinished:0', title: 'Ops' },
    );
    assert.equal(custom.blocks[0]?.text?.text, 'Ops: DeployFinished');
    assert.equal(custom.text, 'Ops: DeployFinished on gateway: v2 live');
    assert.deepEqual(fields(custom), ['*Event*\nDeployFinished', '*API*\ngateway', '*Version*\nv2', '*Replicas*\n3', '*SessionKey*\n****7654']);
    assert.equal(JSON.stringify(custom).includes('tok-secret'), false);
  });

  it('keeps to Slack limits: at most 10 fields, header under 150 characters', () => {
    /** @type {Record<string, unknown>} */
    const many = { Message: '<&>'.repeat(2000) };
    for (let i = 0; i < 30; i++) many[`Field${i}`] = `value ${i}`;
    const message = formatChatMessage(event('X'.repeat(300), many), api, { handlerId: 'h', channel: '#ops', username: 'firehook', icon_emoji: ':fire:' });
    assert.equal(fields(message).length, 10);
    assert.ok((message.blocks[0]?.text?.text.length ?? 0) <= 150);
    assert.ok((message.blocks[1]?.text?.text.length ?? 0) <= 3000);
    assert.match(message.blocks[1]?.text?.text ?? '', /;…$/);
    assert.ok(message.text.length <= 3000);
    assert.deepEqual([message.channel, message.username, message.icon_emoji], ['#ops', 'firehook', ':fire:']);
  });
});
