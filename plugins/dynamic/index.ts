/**
 * `eh_dynamic_handler`: Tyk JavaScript event handlers. Register `createDynamicPlugin` (a factory:
 * one instance per configuration generation) with the other built-in plugins; self-registering
 * files in `event_handlers_path` come in through the plugin's `discover` hook.
 */
export { createDynamicPlugin } from './dynamic-plugin.ts';
export { ScriptError } from './script-error.ts';
export { SHARED_SANDBOX_KEY } from './shared-sandbox.ts';
