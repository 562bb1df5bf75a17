import type { SandboxLimits } from './types.ts';

/** Default limits, scaled to the per-event timeout where it matters. */
export function resolveLimits(timeoutMs: number, overrides: Partial<SandboxLimits> = {}): SandboxLimits {
  return {
    maxBatch: 512,
    maxInflight: 4,
    budgetMs: Math.min(50, Math.max(5, Math.floor(timeoutMs / 10))),
    graceMs: 1_000,
    loadTimeoutMs: Math.max(timeoutMs, 2_000),
    maxStrikes: 3,
    maxLogLinesPerInvocation: 100,
    maxLogChars: 4_096,
    logLinesPerSecond: 200,
    maxArgChars: 1 << 20,
    maxHostCallsPerInvocation: 1_000,
    maxHttpPerInvocation: 10,
    httpTimeoutMs: Math.min(10_000, Math.max(250, Math.floor(timeoutMs / 2))),
    maxHttpConcurrency: 32,
    maxRequestBytes: 1 << 20,
    maxResponseBytes: 1 << 20,
    storageTimeoutMs: 2_000,
    maxEventBytes: 1 << 20,
    maxProcessRssMb: 2_048,
    processHardening: true,
    ...overrides,
  };
}

/** Storage binding limits (COMPAT.md): keys 1-256 bytes, values up to 64 KiB. */
export const STORAGE_LIMITS = { maxKeyBytes: 256, maxValueBytes: 64 * 1024, keyPrefix: 'jsvm-store:' } as const;

/** Session key argument cap (characters) before the host sees it. */
export const MAX_SESSION_KEY_CHARS = 1_024;

/** Error text kept from the isolate per failed event. */
export const MAX_ERROR_CHARS = 4_096;
