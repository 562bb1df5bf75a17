/**
 * Real parts for the example gateway's end-to-end suite: an upstream whose health the test
 * controls, a recorder standing in for every webhook target and the JS handler's recorder,
 * short-lived certificates made with the openssl CLI, a workspace copied from examples/gateway
 * (URLs pointed at these servers), and the gateway itself as a child process.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { NODE, ROOT } from '../../helpers/cli.ts';
import { eventually } from '../../helpers/poll.ts';

const EXAMPLE = join(ROOT, 'examples/gateway');
const run = promisify(execFile);

export interface Recorded {
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** Records every JSON POST it receives (webhooks at /events and /monitor, JS observations at /js). */
export async function startRecorder(): Promise<{ url: string; received: Recorded[]; close(): Promise<void> }> {
  const received: Recorded[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { unparsed: text };
      }
      received.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200).end('ok');
    });
  });
  return { url: await listen(server), received, close: () => close(server) };
}

/** `/health` answers `health.status`, `/flaky` always 500, anything else echoes the request. */
export async function startUpstream(): Promise<{ url: string; health: { status: number }; close(): Promise<void> }> {
  const health = { status: 200 };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url === '/health') res.writeHead(health.status).end();
      else if (req.url?.startsWith('/flaky')) res.writeHead(500).end('upstream failure');
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ url: req.url, headers: req.headers }));
    });
  });
  return { url: await listen(server), health, close: () => close(server) };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

const opensslTime = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');

/** A self-signed certificate valid from `notBefore` to `notAfter` (ms), written as `<dir>/<name>.pem`. */
export async function makeCertificate(dir: string, name: string, commonName: string, notBefore: number, notAfter: number): Promise<string> {
  const ca = join(dir, `ca-${name}`);
  await mkdir(ca, { recursive: true });
  await writeFile(join(ca, 'index.txt'), '');
  await writeFile(join(ca, 'serial'), '01\n');
  await writeFile(
    join(ca, 'ca.cnf'),
    `[ca]\ndefault_ca = d\n[d]\ndatabase = ${ca}/index.txt\nnew_certs_dir = ${ca}\nserial = ${ca}/serial\ndefault_md = sha256\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\n`,
  );
  const key = join(ca, 'key.pem');
  const csr = join(ca, 'csr.pem');
  const cert = join(dir, `${name}.pem`);
  await run('openssl', [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    key,
    '-subj',
    `/CN=${commonName}`,
    '-out',
    csr,
  ]);
  await run('openssl', [
    'ca',
    '-batch',
    '-config',
    join(ca, 'ca.cnf'),
    '-selfsign',
    '-keyfile',
    key,
    '-in',
    csr,
    '-startdate',
    opensslTime(notBefore),
    '-enddate',
    opensslTime(notAfter),
    '-out',
    cert,
  ]);
  return cert;
}

type Json = Record<string, unknown>;

/**
 * Copy examples/gateway into `dir`, pointing the example's URLs (upstream :8000, receiver :8001)
 * at the test servers, then let `adjust` change the gateway config and API definitions.
 */
export async function makeWorkspace(
  dir: string,
  urls: { upstream: string; receiver: string },
  adjust: (gateway: Json, apis: Record<string, Json>) => void,
): Promise<string> {
  const rewrite = (text: string): string => text.replaceAll('http://127.0.0.1:8000', urls.upstream).replaceAll('http://127.0.0.1:8001', urls.receiver);
  await mkdir(join(dir, 'apps'), { recursive: true });
  await mkdir(join(dir, 'event_handlers'), { recursive: true });
  for (const file of await readdir(join(EXAMPLE, 'event_handlers'))) {
    await writeFile(join(dir, 'event_handlers', file), rewrite(await readFile(join(EXAMPLE, 'event_handlers', file), 'utf8')));
  }
  const gateway = JSON.parse(rewrite(await readFile(join(EXAMPLE, 'gateway.json'), 'utf8'))) as Json;
  const apis: Record<string, Json> = {};
  for (const file of await readdir(join(EXAMPLE, 'apps'))) apis[file] = JSON.parse(rewrite(await readFile(join(EXAMPLE, 'apps', file), 'utf8'))) as Json;
  gateway.template_path = join(ROOT, 'templates');
  adjust(gateway, apis);
  for (const [file, api] of Object.entries(apis)) await writeFile(join(dir, 'apps', file), JSON.stringify(api, null, 2));
  await writeFile(join(dir, 'gateway.json'), JSON.stringify(gateway, null, 2));
  return join(dir, 'gateway.json');
}

export interface GatewayProcess {
  url: string;
  lines: Json[];
  stderr(): string;
  stop(): Promise<number | null>;
}

/** Start `examples/gateway/gateway.ts` (the built package) on a free port; resolves once it listens. */
export async function startGatewayProcess(configFile: string): Promise<GatewayProcess> {
  const child: ChildProcess = spawn(NODE, ['--no-node-snapshot', join(EXAMPLE, 'gateway.ts'), '--config', configFile, '--listen', '127.0.0.1:0'], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Json[] = [];
  let buffered = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Json);
      } catch {
        lines.push({ raw: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const listening = await Promise.race([
    eventually(() => lines.find((l) => l.msg === 'gateway listening'), 'gateway listening', 20_000),
    exited.then((code) => {
      throw new Error(`gateway exited with ${code}: ${err.slice(-2000)}`);
    }),
  ]);
  return {
    url: `http://${String(listening.address)}`,
    lines,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Every field of `expected` equals (deeply, recursively for objects) the same field of `actual`. */
export function isSubset(expected: unknown, actual: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return expected === actual;
  if (actual === null || typeof actual !== 'object') return false;
  return Object.entries(expected).every(([k, v]) => isSubset(v, (actual as Record<string, unknown>)[k]));
}
