/**
 * Embedding Firehook in a Node service: the service fires events as things happen; Firehook runs
 * the handlers configured in Tyk API definitions. Run after `npm run build`:
 *   node --no-node-snapshot examples/embed/embed.ts
 */
import 'reflect-metadata';
import { createRuntime } from 'firehook';

const runtime = await createRuntime({ watch: false });

// A gateway would call these from its request path; they return at once and never throw.
runtime.fire('petstore', 'AuthFailure', { Message: 'Auth failure', Path: '/petstore/pets', Origin: '10.0.0.1', Key: 'abcdef123456' });
runtime.fire('orders', 'RatelimitExceeded', { Message: 'API Rate Limit Exceeded', Path: '/orders/', Origin: '10.0.0.2', Key: 'fedcba654321' });

// Sessions are what JS handlers read with TykGetKeyData; setting one fires TokenCreated.
await runtime.sessions.set('abcdef123456', { org_id: 'acme', quota_max: 100, quota_remaining: 100, quota_renews: Math.floor(Date.now() / 1000) + 3600 });

const report = await runtime.close();
console.log(JSON.stringify({ closed: report, stats: runtime.stats().dispatch }));
