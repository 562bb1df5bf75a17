import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPluginPackages } from '../../core/plugin-loader.ts';

let project: string;

async function write(path: string, content: string | object): Promise<void> {
  await mkdir(dirname(join(project, path)), { recursive: true });
  await writeFile(join(project, path), typeof content === 'string' ? content : JSON.stringify(content));
}

const pluginSource = (name: string) => `{ name: '${name}', contractVersion: 1, optionsSchema: { type: 'object' }, create: () => ({ handle() {} }) }`;

beforeAll(async () => {
  project = await mkdtemp(join(tmpdir(), 'fh-plugins-'));
  await write('package.json', { name: 'my-gateway', private: true });
  await write('node_modules/firehook-plugin-esm/package.json', {
    name: 'firehook-plugin-esm',
    version: '1.2.0',
    type: 'module',
    exports: { '.': { import: './index.js' } },
    peerDependencies: { firehook: '>=0.1.0 <1' },
  });
  await write('node_modules/firehook-plugin-esm/index.js', `export const plugin = ${pluginSource('eh_esm')};`);
  await write('node_modules/firehook-plugin-cjs/package.json', { name: 'firehook-plugin-cjs', version: '0.3.0', main: 'index.js' });
  await write('node_modules/firehook-plugin-cjs/index.js', `module.exports = { plugins: [() => (${pluginSource('eh_cjs_a')}), ${pluginSource('eh_cjs_b')}] };`);
  await write('node_modules/@acme/firehook-plugin/package.json', { name: '@acme/firehook-plugin', version: '2.0.0', type: 'module', main: 'index.js' });
  await write('node_modules/@acme/firehook-plugin/index.js', `export default ${pluginSource('eh_scoped')};`);
  await write('node_modules/firehook-plugin-old/package.json', {
    name: 'firehook-plugin-old',
    version: '9.0.0',
    type: 'module',
    main: 'index.js',
    peerDependencies: { firehook: '^9.0.0' },
  });
  await write('node_modules/firehook-plugin-old/index.js', `export const plugin = ${pluginSource('eh_old')};`);
  await write('node_modules/firehook-plugin-empty/package.json', { name: 'firehook-plugin-empty', version: '1.0.0', type: 'module', main: 'index.js' });
  await write('node_modules/firehook-plugin-empty/index.js', `export const nothing = 1;`);
  await write('node_modules/firehook-plugin-badcontract/package.json', {
    name: 'firehook-plugin-badcontract',
    version: '1.0.0',
    type: 'module',
    main: 'index.js',
  });
  await write(
    'node_modules/firehook-plugin-badcontract/index.js',
    `export const plugin = { name: 'eh_bad', contractVersion: 2, optionsSchema: {}, create() {} };`,
  );
  await write('node_modules/firehook-plugin-throws/package.json', { name: 'firehook-plugin-throws', version: '1.0.0', type: 'module', main: 'index.js' });
  await write('node_modules/firehook-plugin-throws/index.js', `throw new Error('boom at import');`);
  await write('local/plugin.mjs', `export const plugin = ${pluginSource('eh_local')};`);
  await write('local/builtin-clash.mjs', `export const plugin = ${pluginSource('eh_log_handler')};`);
  await write('node_modules/firehook-plugin-esm2/package.json', { name: 'firehook-plugin-esm2', version: '1.0.0', type: 'module', main: 'index.js' });
  await write('node_modules/firehook-plugin-esm2/index.js', `export const plugin = ${pluginSource('eh_esm')};`);
});
afterAll(async () => {
  await rm(project, { recursive: true, force: true });
});

describe('loadPluginPackages', () => {
  it('loads ESM, CommonJS, scoped and local-path plugins resolved from the project', async () => {
    const loaded = await loadPluginPackages(['firehook-plugin-esm', 'firehook-plugin-cjs', '@acme/firehook-plugin', './local/plugin.mjs'], project);
    expect(loaded.map((l) => [l.spec, l.version, l.exports.length])).toEqual([
      ['firehook-plugin-esm', '1.2.0', 1],
      ['firehook-plugin-cjs', '0.3.0', 2],
      ['@acme/firehook-plugin', '2.0.0', 1],
      ['./local/plugin.mjs', undefined, 1],
    ]);
  });

  it('refuses two packages, or a package and a built-in, claiming one handler name, naming both', async () => {
    await expect(loadPluginPackages(['firehook-plugin-esm', './local/plugin.mjs', 'firehook-plugin-esm2'], project)).rejects.toMatchObject({
      code: 'FH_PLUGIN_DUPLICATE',
      message: 'handler name "eh_esm" is claimed by both plugin package "firehook-plugin-esm2" and plugin package "firehook-plugin-esm"',
    });
    await expect(loadPluginPackages(['./local/builtin-clash.mjs'], project)).rejects.toMatchObject({
      code: 'FH_PLUGIN_DUPLICATE',
      message: expect.stringContaining('and the built-in handlers'),
    });
  });

  it('names the package when it is missing', async () => {
    await expect(loadPluginPackages(['firehook-plugin-nope'], project)).rejects.toMatchObject({
      code: 'FH_PLUGIN_NOT_FOUND',
      message: expect.stringContaining('"firehook-plugin-nope"'),
    });
  });

  it('refuses a package whose firehook peer range is not satisfied', async () => {
    await expect(loadPluginPackages(['firehook-plugin-old'], project)).rejects.toMatchObject({
      code: 'FH_PLUGIN_INCOMPATIBLE',
      message: expect.stringContaining('requires firehook ^9.0.0'),
    });
  });

  it('refuses a package without a plugin export, with a wrong contract, or that throws on import', async () => {
    await expect(loadPluginPackages(['firehook-plugin-empty'], project)).rejects.toMatchObject({
      code: 'FH_PLUGIN_INVALID',
      message: expect.stringContaining('exports no plugin'),
    });
    await expect(loadPluginPackages(['firehook-plugin-badcontract'], project)).rejects.toMatchObject({
      code: 'FH_PLUGIN_INVALID',
      message: expect.stringContaining('contractVersion must be 1'),
    });
    await expect(loadPluginPackages(['firehook-plugin-throws'], project)).rejects.toMatchObject({
      code: 'FH_PLUGIN_INVALID',
      message: expect.stringContaining('boom at import'),
    });
  });
});
