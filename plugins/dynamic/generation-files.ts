/**
 * The sandbox generation of one configuration generation: built on first use from the files
 * the plugin meets (self-registering files first, then each handler's file), each file read and
 * loaded once, released when the configuration generation is disposed.
 */
import { readFile } from 'node:fs/promises';
import type { FileReport, GenerationOptions, Sandbox, SandboxWarning } from '../../sandbox/index.ts';
import type { HandlerFile } from './handler-files.ts';

export class GenerationFiles {
  private generation: number | undefined;
  private readonly reports = new Map<string, FileReport>();
  private chain: Promise<unknown> = Promise.resolve();
  private released = false;
  private readonly sandbox: Sandbox;
  private readonly options: GenerationOptions;

  constructor(sandbox: Sandbox, options: GenerationOptions) {
    this.sandbox = sandbox;
    this.options = options;
  }

  get id(): number | undefined {
    return this.generation;
  }

  paths(): string[] {
    return [...this.reports.keys()];
  }

  /** Load files not loaded yet; every requested path gets a report (new warnings alongside). */
  ensure(files: readonly HandlerFile[]): Promise<{ reports: Map<string, FileReport>; warnings: SandboxWarning[] }> {
    const task = async () => {
      if (this.released) throw new Error('this configuration generation was released');
      const fresh = files.filter((f) => !this.reports.has(f.path));
      let warnings: SandboxWarning[] = [];
      if (fresh.length > 0) {
        const report =
          this.generation === undefined
            ? await this.sandbox.load(fresh, { ...this.options, activate: false })
            : await this.sandbox.load(fresh, { into: this.generation });
        this.generation = report.generation;
        for (const r of report.files) this.reports.set(r.path, r);
        warnings = report.warnings;
      }
      return { reports: new Map(files.map((f) => [f.path, this.reports.get(f.path)!])), warnings };
    };
    const next = this.chain.then(task, task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Load one file by path, reading it only if this generation has not loaded it yet. */
  async ensurePath(path: string): Promise<{ report: FileReport; warnings: SandboxWarning[] }> {
    const known = this.reports.get(path);
    if (known) return { report: known, warnings: [] };
    const source = await readFile(path, 'utf8');
    const { reports, warnings } = await this.ensure([{ path, source }]);
    return { report: reports.get(path)!, warnings };
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.chain;
    if (this.generation !== undefined) await this.sandbox.release(this.generation);
  }
}
