/**
 * First contact on an old Node: the CLI and the package entry say which Node they need and exit 2
 * before any dependency is loaded (on Node 20 undici used to crash inside its own code).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIN_NODE_MAJOR, nodeVersionProblem } from '../../core/node-version.ts';
import { BIN, NODE, ROOT } from '../helpers/cli.ts';

/** Runs `args` on this Node 24 with `process.version` reading as `version` from the very start. */
function asNode(version: string, args: string[]) {
  const pretend = `data:text/javascript,Object.defineProperty(process,'version',{value:${JSON.stringify(version)}})`;
  return spawnSync(NODE, ['--no-node-snapshot', '--import', pretend, ...args], { cwd: ROOT, encoding: 'utf8' });
}

describe('nodeVersionProblem', () => {
  it('accepts Node 24 and later and names the running version otherwise', () => {
    expect(MIN_NODE_MAJOR).toBe(24);
    expect(nodeVersionProblem('v24.0.0')).toBeUndefined();
    expect(nodeVersionProblem('v26.1.0')).toBeUndefined();
    expect(nodeVersionProblem('v20.20.2')).toBe('firehook needs Node.js >= 24 (this is v20.20.2)');
    expect(nodeVersionProblem('v23.11.0')).toBe('firehook needs Node.js >= 24 (this is v23.11.0)');
  });
});

describe('on Node < 24', () => {
  it('the CLI prints what it needs and a hint, and exits 2 before loading anything', () => {
    const result = asNode('v20.20.2', [BIN, 'serve']);
    expect(result.status).toBe(2);
    const [first, hint] = result.stderr.trim().split('\n');
    expect(first).toBe('firehook needs Node.js >= 24 (this is v20.20.2)');
    expect(hint).toMatch(/^hint: install Node\.js 24/);
    expect(result.stdout).toBe('');
  });

  it('the package entry does the same when imported', () => {
    const entry = join(ROOT, 'dist/core/index.js');
    const result = asNode('v20.20.2', ['--input-type=module', '-e', `await import(${JSON.stringify(entry)}); console.log('loaded');`]);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('firehook needs Node.js >= 24 (this is v20.20.2)');
    expect(result.stdout).not.toContain('loaded');
  });

  /** A real older Node on this machine, if there is one (Debian's /usr/bin/node is 20 here). */
  const oldNode = ['/usr/bin/node', '/usr/local/bin/node'].find((path) => {
    const version = spawnSync(path, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    return version !== undefined && nodeVersionProblem(version) !== undefined;
  });
  it.runIf(oldNode !== undefined)('the CLI says so on a real older Node', () => {
    const result = spawnSync(oldNode!, [BIN, 'serve'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^firehook needs Node\.js >= 24 \(this is v\d+\.\d+\.\d+\)\nhint: /);
  });

  it('leaves Node 24 alone', () => {
    const result = asNode(process.version, [BIN, '--version']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
