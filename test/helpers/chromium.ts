/**
 * Finding and launching Debian's Chromium for the browser tests (playwright-core drives it; no
 * browser download). `CHROME_PATH` names another binary. Where none is found, a browser test file
 * is skipped with one line saying how to install it, unless `CI` is set: there a missing browser
 * fails the run, so CI can never pass without its browser tests.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { describe } from 'vitest';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_INSTALL_HINT = 'apt-get install -y chromium';

/** The binary to drive: `CHROME_PATH` when set, else Debian's; undefined when it does not exist. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = env.CHROME_PATH || DEFAULT_CHROMIUM;
  return existsSync(path) ? path : undefined;
}

/** Why a browser test cannot run here, in one line, or undefined when it can. */
export function chromiumMissing(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (findChromium(env)) return undefined;
  const where = env.CHROME_PATH ? `CHROME_PATH=${env.CHROME_PATH}` : DEFAULT_CHROMIUM;
  return `Chromium not found at ${where}: install it with \`${CHROMIUM_INSTALL_HINT}\` (Debian), or set CHROME_PATH to a Chromium binary`;
}

const isCi = (env: NodeJS.ProcessEnv): boolean => Boolean(env.CI) && env.CI !== 'false' && env.CI !== '0';

/**
 * `describe` for a browser test suite: runs it when Chromium is there; otherwise skips it with one
 * line on stderr (outside CI) or fails it naming the missing browser (in CI).
 */
export function describeWithChromium(name: string, body: () => void): void {
  const missing = chromiumMissing();
  if (!missing) {
    describe(name, body);
    return;
  }
  if (isCi(process.env)) {
    describe(name, () => {
      throw new Error(`${missing} (CI is set, so the browser tests must run)`);
    });
    return;
  }
  process.stderr.write(`skipped ${name}: ${missing}\n`);
  describe.skip(name, body);
}

export interface LaunchedChromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless persistent context in a fresh profile, with the flags this closed network needs. */
export async function launchChromium(viewport = { width: 1280, height: 760 }): Promise<LaunchedChromium> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error(chromiumMissing());
  const profile = await mkdtemp(join(tmpdir(), 'fh-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport,
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
