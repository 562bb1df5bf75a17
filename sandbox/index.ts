/**
 * The sandbox's public surface: Tyk-style JavaScript event handlers in isolated-vm, in a
 * supervised child process. Knows nothing about plugins or the core.
 */
export { createSandbox } from './host/sandbox.ts';
export { SandboxError } from './host/errors.ts';
/** @public used by bench/sandbox/throughput.bench.ts through dist/ */
export { resolveLimits } from './host/limits.ts';
export { storageKey } from './host/host-ops.ts';
export type * from './host/types.ts';
