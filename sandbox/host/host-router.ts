/**
 * Binding calls and log lines from the child, attributed to the event (and so the handler,
 * API and organisation) that made them, via the crossing and index the isolate reports.
 */
import type { HostCallContext, HostOps } from './host-ops.ts';
import type { LogGate } from './log-gate.ts';
import { REPLY_TEXT, thrownReply } from '../shared/host-ops-table.ts';
import type { ChildMessage } from '../shared/protocol.ts';
import type { Scheduler } from './scheduler.ts';
import type { WorkerProcess } from './supervisor.ts';
import type { RunItem, SandboxLogLine } from './types.ts';

export class HostRouter {
  private readonly scheduler: Scheduler;
  private readonly hostOps: HostOps;
  private readonly logs: LogGate;
  private readonly loadingFile: (crossing: number) => string | undefined;

  constructor(scheduler: Scheduler, hostOps: HostOps, logs: LogGate, loadingFile: (crossing: number) => string | undefined) {
    this.scheduler = scheduler;
    this.hostOps = hostOps;
    this.logs = logs;
    this.loadingFile = loadingFile;
  }

  async serveHost(worker: WorkerProcess, message: Extract<ChildMessage, { t: 'host' }>): Promise<void> {
    const crossing = this.scheduler.crossings.get(message.crossing);
    const pending = crossing && message.index >= 0 ? crossing.items[message.index] : undefined;
    let reply: string;
    if (!pending) {
      reply = thrownReply(`${message.op}${REPLY_TEXT.notInEvent}`);
    } else {
      const ctx: HostCallContext = {
        scope: pending.item.scope,
        get http() {
          return pending.http;
        },
        set http(n: number) {
          pending.http = n;
        },
        warn: (text) => this.logs.push(`${pending.item.file}#${pending.item.name}`, lineFor(pending.item, 'warn', text)),
      };
      reply = await this.hostOps.call(message.op, message.args, ctx);
    }
    worker.send({ t: 'host-reply', id: message.id, reply });
  }

  routeLogs(lines: Extract<ChildMessage, { t: 'logs' }>['lines']): void {
    for (const [, crossingId, index, kind, text] of lines) {
      const crossing = this.scheduler.crossings.get(crossingId);
      const pending = crossing && index >= 0 ? crossing.items[index] : undefined;
      const logKind = kind === 'raw' ? 'raw' : kind === 'warn' ? 'warn' : 'log';
      if (pending) {
        this.logs.push(`${pending.item.file}#${pending.item.name}`, lineFor(pending.item, logKind, text));
      } else {
        const file = this.loadingFile(crossingId) ?? (crossing?.ctx !== '*' ? crossing?.ctx : undefined);
        this.logs.push(file ?? '?', { kind: logKind, message: text, ...(file ? { file } : {}) });
      }
    }
  }
}

function lineFor(item: RunItem, kind: SandboxLogLine['kind'], message: string): SandboxLogLine {
  const event = item.event as { Type?: unknown } | null;
  return {
    kind,
    message,
    file: item.file,
    handler: item.name,
    ...(item.label !== undefined ? { label: item.label } : {}),
    apiId: item.context.APIID,
    ...(typeof event?.Type === 'string' ? { eventType: event.Type } : {}),
  };
}
