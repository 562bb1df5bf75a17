import { describe, expect, it } from 'vitest';
import type { SandboxActivityStats } from '../../core/plugin.ts';
import { ProvidedStatsRegistry } from '../../core/stats-registry.ts';

const stats = (events: number): SandboxActivityStats => ({ restarts: 0, generations: 1, queued: 0, inflightCrossings: 0, crossings: events, events });

describe('ProvidedStatsRegistry (ctx.stats)', () => {
  it('reads what a plugin offered by name, the latest offer winning, and nothing once withdrawn', () => {
    const registry = new ProvidedStatsRegistry();
    expect(registry.read('sandbox')).toBeUndefined();
    const withdrawFirst = registry.provide('sandbox', () => stats(3));
    expect(registry.read('sandbox')?.events).toBe(3);
    const withdrawSecond = registry.provide('sandbox', () => stats(5));
    expect(registry.read('sandbox')?.events).toBe(5);
    // withdrawing a replaced offer leaves the current one in place
    withdrawFirst();
    expect(registry.read('sandbox')?.events).toBe(5);
    withdrawSecond();
    expect(registry.read('sandbox')).toBeUndefined();
  });
});
