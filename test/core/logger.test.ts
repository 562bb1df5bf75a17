import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createLogger, obfuscateKey, type Logger } from '../../core/logger.ts';
import { eventually } from '../helpers/poll.ts';

describe('createLogger', () => {
  it('writes through configured pino transports and redacts secrets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fh-log-'));
    try {
      const file = join(dir, 'firehook.log');
      const logger = createLogger({ level: 'info', transports: [{ target: 'pino/file', options: { destination: file, mkdir: true } }] });
      logger.warn({ headers: { Authorization: 'Bearer top-secret' }, signing: { secret: 'whsec_abc' } }, 'hello transport');
      const text = await eventually(async () => {
        const t = await readFile(file, 'utf8').catch(() => '');
        return t.includes('hello transport') ? t : '';
      });
      expect(text).not.toContain('top-secret');
      expect(text).not.toContain('whsec_abc');
      expect(JSON.parse(text.trim().split('\n')[0]!)).toMatchObject({ level: 40, name: 'firehook' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('Logger', () => {
  it("is Firehook's own interface, satisfied by any pino logger and its children", () => {
    const base = pino({ level: 'silent' });
    const logger: Logger = base;
    const child: Logger = base.child({ component: 'test' }).child({ handler: 'h' });
    logger.info({ a: 1 }, 'fields and message');
    logger.warn('message with %s', 'a format argument');
    logger.error(new Error('boom'), 'an error first');
    child.debug('message only');
    expect(child.level).toBe('silent');
    expect(logger.isLevelEnabled('fatal')).toBe(false);
    expect(() => logger.flush()).not.toThrow();
  });
});

describe('obfuscateKey', () => {
  it('keeps only the last four characters, as Tyk does', () => {
    expect(obfuscateKey('abcdef123456')).toBe('****3456');
    expect(obfuscateKey('abcd')).toBe('--');
    expect(obfuscateKey('')).toBe('--');
  });
});
