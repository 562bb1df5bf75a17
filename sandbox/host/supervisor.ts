/**
 * The sandbox child process, seen from the host: fork (with `--no-node-snapshot`, its own heap
 * ceiling and, by default, Node's permission model), request/reply over IPC, liveness pings, a
 * resident-memory ceiling, and a clean account of what was in flight when it died. Restart
 * policy lives with the caller (sandbox/host/sandbox.ts), which replays generations.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from '../shared/protocol.ts';

type Request = Extract<ParentMessage, { id: number }>;
type Reply = Extract<ChildMessage, { t: 'gen-done' | 'loaded' | 'ran' | 'pong' }>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface WedgedInfo {
  gen: number;
  crossing: number;
  index: number;
  statuses: number[];
}

/** Why the child is gone. */
export interface ExitInfo {
  reason: string;
  wedged?: WedgedInfo;
  catastrophic?: { gen: number; message: string };
}

/** A request that could not complete because the child process ended. */
export class WorkerGoneError extends Error {
  readonly info: ExitInfo;
  constructor(info: ExitInfo) {
    super(`sandbox process ended: ${info.reason}`);
    this.name = 'WorkerGoneError';
    this.info = info;
  }
}

export interface WorkerProcessOptions {
  hardening: boolean;
  maxRssMb: number;
  onHost(message: Extract<ChildMessage, { t: 'host' }>): void;
  onLogs(lines: Extract<ChildMessage, { t: 'logs' }>['lines']): void;
  onExit(info: ExitInfo): void;
  onStderr?(text: string): void;
}

const PING_INTERVAL_MS = 1_000;
const PING_DEADLINE_MS = 5_000;

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();
  private seq = 0;
  private exitInfo: ExitInfo | undefined;
  private exitReported = false;
  private lastHeard = Date.now();
  private pinger: NodeJS.Timeout | undefined;
  private readonly options: WorkerProcessOptions;

  constructor(options: WorkerProcessOptions) {
    this.options = options;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.exitInfo === undefined;
  }

  /** Fork the child and wait until it reports ready. */
  start(): Promise<void> {
    const worker = workerPath();
    const child = fork(worker, [], {
      execArgv: [
        '--no-node-snapshot',
        '--max-old-space-size=512',
        '--disable-warning=ExperimentalWarning',
        '--disable-warning=SecurityWarning',
        ...(this.options.hardening ? permissionFlags(worker) : []),
      ],
      env: {},
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => this.options.onStderr?.(text));
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      child.on('message', (message: ChildMessage) => {
        this.lastHeard = Date.now();
        if (message.t === 'ready') {
          ready = true;
          this.pinger = setInterval(() => this.ping(), PING_INTERVAL_MS);
          this.pinger.unref();
          resolve();
          return;
        }
        this.dispatch(message);
      });
      child.on('error', (error) => {
        if (!ready) reject(error);
        this.ended({ reason: `process error: ${error.message}` });
      });
      child.on('exit', (code, signal) => {
        if (!ready) reject(new Error(`sandbox process exited during start (code ${code}, signal ${signal})`));
        this.ended({ reason: signal ? `killed by ${signal}` : `exited with code ${code}` });
      });
    });
  }

  private dispatch(message: ChildMessage): void {
    switch (message.t) {
      case 'host':
        this.options.onHost(message);
        return;
      case 'logs':
        this.options.onLogs(message.lines);
        return;
      case 'wedged':
        this.kill({ reason: 'a call overran its time limit in uninterruptible work', wedged: message });
        return;
      case 'catastrophic':
        this.kill({ reason: `catastrophic isolate error: ${message.message}`, catastrophic: message });
        return;
      case 'pong':
        if (message.rss > this.options.maxRssMb * 1024 * 1024) {
          this.kill({ reason: `resident memory ${Math.round(message.rss / 1048576)} MB over the ${this.options.maxRssMb} MB ceiling` });
          return;
        }
        break;
      case 'ready':
        return;
    }
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    waiter.resolve(message);
  }

  /** Send a request; `id` is also the crossing id the child reports for it. */
  request<R extends Reply = Reply>(message: DistributiveOmit<Request, 'id'>): { id: number; reply: Promise<R> } {
    if (!this.alive) return { id: -1, reply: Promise.reject(new WorkerGoneError(this.exitInfo ?? { reason: 'not started' })) };
    const id = ++this.seq;
    const reply = new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (reply: Reply) => void, reject });
      this.child!.send({ ...message, id } as Request);
    });
    return { id, reply };
  }

  send(message: Extract<ParentMessage, { t: 'drop' | 'host-reply' }>): void {
    if (this.alive) this.child!.send(message);
  }

  private ping(): void {
    if (!this.alive) return;
    if (this.pending.size > 0 && Date.now() - this.lastHeard > PING_DEADLINE_MS) {
      this.kill({ reason: `no answer for ${PING_DEADLINE_MS} ms` });
      return;
    }
    this.request({ t: 'ping' }).reply.catch(() => undefined);
  }

  /** Kill the child now (SIGKILL: never wait on a possibly wedged isolate). */
  kill(info: ExitInfo): void {
    if (!this.child || this.exitInfo) return;
    this.exitInfo = info;
    this.child.kill('SIGKILL');
    this.rejectAll(info);
  }

  private ended(info: ExitInfo): void {
    if (this.pinger) clearInterval(this.pinger);
    this.pinger = undefined;
    this.exitInfo ??= info;
    this.rejectAll(this.exitInfo);
    if (this.exitReported) return;
    this.exitReported = true;
    this.options.onExit(this.exitInfo);
  }

  private rejectAll(info: ExitInfo): void {
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const w of waiters) w.reject(new WorkerGoneError(info));
  }
}

/** The child's entry, spawned by path (the host never imports the child's code). */
function workerPath(): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../child/worker${extension}`, import.meta.url));
}

/**
 * Node permission model: read only what the worker needs (the sandbox folder: the child's code,
 * the shared modules and the isolate bootstrap text; isolated-vm); no writes, subprocesses or workers.
 */
function permissionFlags(worker: string): string[] {
  const require = createRequire(import.meta.url);
  const ivmPackage = require.resolve('isolated-vm/package.json');
  const gypBuild = createRequire(ivmPackage).resolve('node-gyp-build/package.json');
  const reads = [dirname(dirname(worker)) + '/', dirname(ivmPackage) + '/', dirname(gypBuild) + '/', '/etc/alpine-release'];
  for (let dir = dirname(worker); ; dir = dirname(dir)) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      reads.push(candidate);
      break;
    }
    if (dirname(dir) === dir) break;
  }
  return ['--permission', '--allow-addons', ...reads.map((p) => `--allow-fs-read=${p}`)];
}
