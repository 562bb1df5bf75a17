/**
 * The example gateway around a Firehook runtime: the API definitions Firehook loaded become routes
 * (longest `proxy.listen_path` first), `/tyk/...` is the key management API, and the uptime
 * checker and certificate monitor run beside. Tyk keys read from the gateway config:
 * `listen_address`, `listen_port`, `secret`, `uptime_tests.config`, `security.certificate_expiry_monitor`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Runtime } from 'firehook';
import { ApiHandler } from './api-handler.ts';
import { apiSpecFrom } from './api-spec.ts';
import { startCertificateMonitor } from './cert-expiry.ts';
import { handleKeyApi } from './key-api.ts';
import { RequestEvents } from './request-events.ts';
import { startUptimeChecker } from './uptime-checker.ts';

export interface GatewayOptions {
  /** `host:port`; default the config's `listen_address` (127.0.0.1) and `listen_port` (8080). */
  listen?: string;
}

export interface Gateway {
  /** `host:port` the gateway listens on. */
  address: string;
  close(): Promise<void>;
}

const BODY_LIMIT = 1024 * 1024;
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback);

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > BODY_LIMIT ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startGateway(runtime: Runtime, options: GatewayOptions = {}): Promise<Gateway> {
  const config = runtime.config;
  const logger = runtime.logger.child({ component: 'gateway' });
  const classic = runtime.generation().apis.filter((api) => {
    if (api.format !== 'oas') return true;
    logger.warn(
      { api_id: api.apiId, file: api.file },
      'the example gateway routes Tyk Classic definitions (and Operator manifests) only; this API is not served',
    );
    return false;
  });
  const handlers = classic.map((api) => new ApiHandler(runtime, apiSpecFrom(api), logger)).sort((a, b) => b.spec.listenPath.length - a.spec.listenPath.length);
  const secret = typeof config.secret === 'string' ? config.secret : '';

  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = new URL(req.url ?? '/', 'http://gateway.invalid').pathname;
      const api = handlers.find((h) => h.owns(path));
      if (body === undefined) {
        await new RequestEvents(runtime, api?.spec.apiId ?? '', req, Buffer.alloc(0)).reply(res, 413, 'Request is too large');
      } else if (path.startsWith('/tyk/')) {
        if (!(await handleKeyApi(runtime, secret, logger, req, res, body))) res.writeHead(404).end('Not Found');
      } else if (api) {
        await api.handle(req, res, body);
      } else {
        const rendered = runtime.errors.renderSync({ code: 404, message: 'Not Found', unknownRoute: true, request: { method: req.method, path } });
        res.writeHead(rendered.status, rendered.headers).end(rendered.body);
      }
    })().catch((error: unknown) => {
      logger.error({ err: error, url: req.url }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"error": "internal error"}');
      else res.destroy();
    });
  });

  const split = options.listen?.lastIndexOf(':') ?? -1;
  const [host, port] = options.listen
    ? [options.listen.slice(0, split).replace(/^\[(.*)\]$/, '$1'), Number(options.listen.slice(split + 1))]
    : [typeof config.listen_address === 'string' && config.listen_address !== '' ? config.listen_address : '127.0.0.1', num(config.listen_port, 8080)];
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;

  const uptimeConfig = obj(obj(config.uptime_tests).config);
  const uptime =
    obj(config.uptime_tests).disable === true
      ? { stop() {} }
      : startUptimeChecker(
          runtime,
          handlers.map((h) => h.spec),
          { timeWait: num(uptimeConfig.time_wait, 10), failureTriggerSampleSize: num(uptimeConfig.failure_trigger_sample_size, 1) },
          logger,
        );
  const certConfig = obj(obj(config.security).certificate_expiry_monitor);
  const certificates = startCertificateMonitor(
    runtime,
    handlers.map((h) => h.spec),
    {
      warningThresholdDays: num(certConfig.warning_threshold_days, 30),
      checkCooldownSeconds: num(certConfig.check_cooldown_seconds, 3600),
      eventCooldownSeconds: num(certConfig.event_cooldown_seconds, 86_400),
      baseDir: config.base_dir,
    },
    logger,
  );

  logger.info({ address, apis: handlers.map((h) => ({ api_id: h.spec.apiId, listen_path: h.spec.listenPath })) }, 'gateway listening');
  let closing: Promise<void> | undefined;
  return {
    address,
    close() {
      closing ??= (async () => {
        uptime.stop();
        certificates.stop();
        for (const h of handlers) h.close();
        server.closeIdleConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}
