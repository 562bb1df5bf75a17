import type { PluginExport } from '../core/plugin-api.ts';
import { createDynamicPlugin } from './dynamic/index.ts';
import { createLogPlugin } from './log/log-plugin.ts';
import { createWebhookPlugin } from './webhook/index.ts';

/** The built-in handler plugins, as factories (one fresh instance per configuration generation). */
export const BUILTIN_PLUGINS: PluginExport[] = [createWebhookPlugin, createLogPlugin, createDynamicPlugin];
