/**
 * The sandbox's public surface: Tyk-style JavaScript event handlers in isolated-vm, in a
 * supervised child process. Knows nothing about plugins or the core.
 */
export { createSandbox } from './sandbox.ts';
export { SandboxError, type SandboxErrorCode, type SandboxErrorDetails } from './errors.ts';
export { resolveLimits, STORAGE_LIMITS } from './limits.ts';
export { storageKey } from './host-ops.ts';
export type * from './types.ts';
