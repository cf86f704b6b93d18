import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, journalDir } from '@tokumei/bus';
import { createLogger } from '@tokumei/config';
import { journalCheck } from '../src/journal-check.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const HOUR = 3_600_000;

async function journalAt(writtenAt: number, maxBytes = 1_000_000) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-audit-journal-'));
  const salt = randomBytes(32);
  const { journal } = await Journal.open({
    dir: journalDir(dataDir), retentionMs: 24 * HOUR, maxBytes, logger: createLogger({ level: 'silent' }),
    saltFor: () => Promise.resolve(salt), now: () => writtenAt,
  });
  await journal.append(0n, [Buffer.from('ip=192.0.2.9 ua=Mozilla/5.0')]);
  return { dataDir, journal };
}

const config = (dataDir: string) => ({ dataDir, rawRetentionMs: 24 * HOUR, busMaxPending: 10, bodyLimit: 8192 });

describe('journal audit check', () => {
  it('passes for a private journal younger than the raw retention', async () => {
    const { dataDir } = await journalAt(NOW - HOUR);
    const result = journalCheck(config(dataDir), NOW);
    expect(result.findings).toEqual([]);
    expect(result.status).toBe('pass');
    expect(result.evidence.join('\n')).toContain('1 record(s)');
    expect(result.evidence.join('\n')).toContain('oldest record written 1 h ago');
    expect(result.evidence.join('\n')).not.toContain('192.0.2.9');
  });

  it('fails for records older than the retention, or readable modes', async () => {
    const { dataDir } = await journalAt(NOW - 25 * HOUR);
    const dir = journalDir(dataDir);
    fs.chmodSync(dir, 0o755);
    const [segment] = fs.readdirSync(dir);
    fs.chmodSync(path.join(dir, segment ?? ''), 0o644);
    const result = journalCheck(config(dataDir), NOW);
    expect(result.status).toBe('fail');
    const messages = result.findings.map((f) => f.message).join('\n');
    expect(messages).toContain('mode 0755, not 0700');
    expect(messages).toContain('mode 0644, not 0600');
    expect(messages).toContain('written 25 h ago, longer than the raw retention of 24 h');
  });

  it('fails for a journal larger than its bound', async () => {
    const { dataDir, journal } = await journalAt(NOW, 10_000_000);
    expect(journalCheck(config(dataDir), NOW).status).toBe('pass');
    // The bound with 10 pending records of at most 8 KiB: 10 × 10 KiB plus one 4 MiB segment.
    await journal.append(1n, [Buffer.alloc(4 * 1024 * 1024 + 200_000)]);
    const result = journalCheck(config(dataDir), NOW);
    expect(result.findings.map((f) => f.message)).toEqual([expect.stringMatching(/^the journal holds \d+ bytes, more than its bound of 4296704$/)]);
  });

  it('passes with no journal directory at all', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-audit-journal-'));
    expect(journalCheck(config(dataDir), NOW).status).toBe('pass');
  });
});
