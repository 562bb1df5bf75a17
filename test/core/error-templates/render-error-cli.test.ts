import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { formatResponse, registerRenderErrorCommand } from '../../../core/cli/render-error.ts';
import { loadGatewayConfig } from '../../../core/config/load-gateway-config.ts';
import { ConfigError } from '../../../core/errors/firehook-error.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function gatewayDir(config: Record<string, unknown>, templates: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fh-render-error-'));
  dirs.push(dir);
  await mkdir(join(dir, 'tpl'));
  for (const [name, text] of Object.entries(templates)) await writeFile(join(dir, 'tpl', name), text);
  await writeFile(join(dir, 'tyk.conf'), JSON.stringify({ template_path: 'tpl', ...config }));
  return join(dir, 'tyk.conf');
}

/** Run `firehook render-error ...` in-process with the real config loader; returns stdout. */
async function run(args: string[]): Promise<string> {
  const program = new Command('firehook').exitOverride();
  registerRenderErrorCommand(program, async (file) => {
    const result = await loadGatewayConfig(file);
    if (!result.config) throw new ConfigError(result.problems);
    return result.config;
  });
  let out = '';
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  }) as typeof process.stdout.write;
  try {
    await program.parseAsync(['node', 'firehook', 'render-error', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

describe('firehook render-error', () => {
  it('prints the status line, headers and body a client would receive for an XML request', async () => {
    const config = await gatewayDir(
      {},
      { 'error.json': '{"error": "{{.Message}}"}', 'error_500.xml': '<error><code>{{.StatusCode}}</code><m>{{.Message}}</m></error>' },
    );
    const out = await run(['--config', config, '--code', '500', '--content-type', 'application/xml', '--message', 'Tom & "Jerry"']);
    const body = '<error><code>500</code><m>Tom &amp; &#34;Jerry&#34;</m></error>';
    expect(out).toBe(
      `HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/xml\r\nX-Generator: tyk.io\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  });

  it('honours hide_generator_header and falls back to error.json', async () => {
    const config = await gatewayDir({ hide_generator_header: true }, { 'error.json': '{"error": "{{.Message}}"}' });
    const out = await run(['-c', config, '--code', '403', '--content-type', 'text/xml', '--message', 'Access to this API has been disallowed']);
    expect(out).toBe(
      'HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: 51\r\n\r\n{"error": "Access to this API has been disallowed"}',
    );
  });

  it('prints the unknown-route 404 without X-Generator', async () => {
    const config = await gatewayDir({}, {});
    expect(await run(['-c', config, '--unknown-route'])).toBe(
      'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nNot Found',
    );
  });

  it('formats unknown status codes without a reason phrase', () => {
    expect(formatResponse(599, {}, '')).toBe('HTTP/1.1 599\r\nContent-Length: 0\r\n\r\n');
  });
});
