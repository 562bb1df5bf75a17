/**
 * Strikes against handlers that overran their time limit, blew the memory limit, wedged the
 * isolate or crashed the process. At `maxStrikes` a handler (or, for work that cannot be
 * attributed to one handler, a whole file) is quarantined: its events fail at once with
 * FH_SANDBOX_QUARANTINED. Changing the file's content clears its strikes.
 */
export class Strikes {
  private readonly counts = new Map<string, number>();
  private readonly hashes = new Map<string, string>();
  private quarantinedCount = 0;
  private readonly maxStrikes: number;
  private readonly onQuarantine: (file: string, handler: string, reason: string) => void;

  constructor(maxStrikes: number, onQuarantine: (file: string, handler: string, reason: string) => void) {
    this.maxStrikes = maxStrikes;
    this.onQuarantine = onQuarantine;
  }

  /** `handler` `*` charges the whole file. */
  strike(file: string, handler: string, reason: string): void {
    const key = `${file}#${handler}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    if (count === this.maxStrikes) {
      this.quarantinedCount++;
      this.onQuarantine(file, handler, reason);
    }
  }

  isQuarantined(file: string, handler: string): boolean {
    if (this.quarantinedCount === 0) return false;
    return (this.counts.get(`${file}#${handler}`) ?? 0) >= this.maxStrikes || (this.counts.get(`${file}#*`) ?? 0) >= this.maxStrikes;
  }

  /** Record the content a file was loaded with; new content clears its strikes. */
  noteContent(file: string, hash: string): void {
    const previous = this.hashes.get(file);
    this.hashes.set(file, hash);
    if (previous === undefined || previous === hash) return;
    for (const [key, count] of this.counts) {
      if (!key.startsWith(`${file}#`)) continue;
      if (count >= this.maxStrikes) this.quarantinedCount--;
      this.counts.delete(key);
    }
  }

  quarantined(): string[] {
    return [...this.counts].filter(([, n]) => n >= this.maxStrikes).map(([k]) => k);
  }
}
