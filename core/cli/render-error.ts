import { STATUS_CODES } from 'node:http';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { GatewayConfig } from '../config/gateway-config.ts';
import { createErrorRenderer } from '../error-templates/error-renderer.ts';
import { createLogger } from '../logger.ts';
import { createTemplateService } from '../template/index.ts';
import { exitWithConfigError } from './output.ts';

interface RenderErrorOptions {
  code: string;
  contentType?: string;
  message: string;
  unknownRoute?: boolean;
  path: string;
  config?: string;
}

/**
 * `firehook render-error`: print the response a client would receive for an error, rendered from the
 * configured error templates (status line, headers, blank line, body).
 * `loadGatewayConfig` gets the `--config` value (or FIREHOOK_CONFIG), `undefined` for the defaults.
 */
export function registerRenderErrorCommand(program: Command, loadGatewayConfig: (configFile?: string) => Promise<GatewayConfig>): void {
  program
    .command('render-error')
    .description('print the error response a client would receive (error templates from template_path)')
    .option('--code <status>', 'HTTP status code', '500')
    .option('--content-type <type>', "the request's Content-Type (selects the json or xml templates)")
    .option('--message <text>', 'error message', 'There was a problem proxying the request')
    .option('--unknown-route', 'render the 404 for a request that matches no route')
    .option('--path <path>', 'request path for the track_404_logs line', '/')
    .option('-c, --config <file>', 'gateway config file; default: embedded defaults')
    .action(async (opts: RenderErrorOptions) => {
      const code = Number(opts.code);
      if (!Number.isInteger(code) || code < 100 || code > 599) {
        process.stderr.write(`--code must be an HTTP status code (100-599), got ${JSON.stringify(opts.code)}\n`);
        process.exit(2);
      }
      const config = await loadGatewayConfig(opts.config ?? process.env.FIREHOOK_CONFIG).catch(exitWithConfigError);
      const logger = createLogger({ level: process.env.FIREHOOK_LOG_LEVEL ?? 'warn', destination: process.stderr });
      const renderer = createErrorRenderer({
        templateDir: resolve(config.base_dir, config.template_path),
        templates: createTemplateService({ logger }),
        hideGeneratorHeader: config.hide_generator_header,
        track404Logs: config.track_404_logs,
        logger,
      });
      const response = await renderer.render({
        code: opts.unknownRoute ? 404 : code,
        message: opts.message,
        requestContentType: opts.contentType,
        unknownRoute: opts.unknownRoute === true,
        request: { method: 'GET', path: opts.path, protocol: 'HTTP/1.1', origin: 'cli' },
      });
      const text = formatResponse(response.status, response.headers, response.body);
      process.stdout.write(process.stdout.isTTY && !text.endsWith('\n') ? `${text}\n` : text);
    });
}

/** A response as HTTP/1.1 text: status line, headers, Content-Length, blank line, body (exact bytes). */
export function formatResponse(status: number, headers: Record<string, string>, body: string): string {
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd()];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
