import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, obfuscateKey } from '../../core/logger.ts';
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

describe('obfuscateKey', () => {
  it('keeps only the last four characters, as Tyk does', () => {
    expect(obfuscateKey('abcdef123456')).toBe('****3456');
    expect(obfuscateKey('abcd')).toBe('--');
    expect(obfuscateKey('')).toBe('--');
  });
});
