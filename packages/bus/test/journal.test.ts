import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, MemoryBus, inspectJournal, type JournalOptions, type PartitionBatch } from '@tokumei/bus';
import { TokumeiError } from '@tokumei/errors';
import { captureLogs } from '../../../test/helpers/logs.js';

const DAY = '2026-03-10';
const NOW = Date.parse(`${DAY}T12:00:00Z`);
const SECRET = 'ip=192.0.2.44 ua=Mozilla/5.0 TkmJournal';

function setup(overrides: Partial<JournalOptions> = {}) {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tokumei-journal-')), 'journal');
  const salts = new Map<string, Buffer>([[DAY, randomBytes(32)]]);
  const logs = captureLogs();
  let now = NOW;
  const options: JournalOptions = {
    dir, retentionMs: 86_400_000, maxBytes: 1_000_000, logger: logs.logger,
    saltFor: (day) => Promise.resolve(salts.get(day)), now: () => now, ...overrides,
  };
  return { dir, salts, logs, options, open: () => Journal.open(options), setNow: (ms: number) => (now = ms) };
}

const values = (from: number, count: number) => Array.from({ length: count }, (_, i) => Buffer.from(`${SECRET} #${from + i}`));

describe('Journal', () => {
  it('gives back every appended record under its offset after a reopen, encrypted at rest and 0600', async () => {
    const { dir, open } = setup();
    const { journal, replay } = await open();
    expect(replay.messages).toEqual([]);
    await Promise.all([journal.append(100n, values(0, 3)), journal.append(103n, values(3, 2))]);
    await journal.append(105n, values(5, 1));
    // No close(): a crash leaves the files as they are.

    const bytes = Buffer.concat(fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f))));
    expect(bytes.includes('192.0.2.44')).toBe(false);
    expect(bytes.includes('Mozilla')).toBe(false);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(dir)) expect(fs.statSync(path.join(dir, f)).mode & 0o777).toBe(0o600);

    const again = await open();
    expect(again.replay.messages.map((m) => [m.offset, m.value.toString()])).toEqual(
      values(0, 6).map((v, i) => [100n + BigInt(i), v.toString()]));
    expect(inspectJournal(dir).segments.reduce((n, s) => n + s.records, 0)).toBe(6);
  });

  it('resolves appends made one after another (each right after the previous fsync)', async () => {
    const { journal } = (await setup().open());
    for (let i = 0; i < 20; i += 1) await journal.append(BigInt(i), values(i, 1));
    expect(journal.bytes()).toBeGreaterThan(0);
  });

  it('deletes segments once everything in them is committed', async () => {
    const { dir, open } = setup({ segmentBytes: 200 });
    const { journal } = await open();
    for (let i = 0; i < 6; i += 1) await journal.append(BigInt(i * 2), values(i * 2, 2));
    const before = inspectJournal(dir).segments.length;
    expect(before).toBeGreaterThan(2);
    await journal.release(6n);
    const kept = inspectJournal(dir).segments;
    expect(kept.length).toBeLessThan(before);
    const replayed = (await open()).replay.messages.map((m) => m.offset);
    // Whole segments go: what is left starts at or before 6 and holds everything after.
    expect(replayed.at(-1)).toBe(11n);
    expect(replayed[0]).toBeLessThanOrEqual(6n);
    await journal.release(12n);
    expect(inspectJournal(dir).segments).toEqual([]);
  });

  it('cannot read back a day whose salt was destroyed, and says how many records that was', async () => {
    const { salts, open, logs } = setup();
    const { journal } = await open();
    await journal.append(0n, values(0, 4));
    salts.get(DAY)?.fill(0);
    salts.delete(DAY);
    const again = await open();
    expect(again.replay.messages).toEqual([]);
    expect(again.replay.unreadable).toBe(4);
    expect(logs.text()).not.toContain('192.0.2.44');
  });

  it('keeps nothing longer than the retention', async () => {
    const { dir, open, setNow } = setup({ retentionMs: 60_000 });
    const { journal } = await open();
    await journal.append(0n, values(0, 2));
    setNow(NOW + 61_000);
    expect(await journal.sweep()).toBe(1);
    expect(inspectJournal(dir).segments).toEqual([]);
    // And a reopen after the retention drops what a crash left, unread.
    setNow(NOW);
    await (await open()).journal.append(10n, values(10, 2));
    setNow(NOW + 61_000);
    const again = await open();
    expect(again.replay).toMatchObject({ messages: [], expired: 2 });
    expect(inspectJournal(dir).segments).toEqual([]);
  });

  it('refuses appends beyond its size bound with TKM_BUS_FULL', async () => {
    const { journal } = await setup({ maxBytes: 400 }).open();
    await journal.append(0n, values(0, 2));
    const error = await journal.append(2n, values(2, 10)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokumeiError);
    expect((error as TokumeiError).code).toBe('TKM_BUS_FULL');
  });

  it('ignores a frame cut short by a crash and keeps the whole ones before it', async () => {
    const { dir, open } = setup();
    const { journal } = await open();
    await journal.append(0n, values(0, 2));
    await journal.append(2n, values(2, 2));
    const [file] = fs.readdirSync(dir);
    const full = path.join(dir, file ?? '');
    fs.truncateSync(full, fs.statSync(full).size - 5);
    expect((await open()).replay.messages.map((m) => m.offset)).toEqual([0n, 1n]);
  });
});

describe('MemoryBus with a journal', () => {
  it('acknowledges a publish once journaled, replays uncommitted records, and continues after their offsets', async () => {
    const { open, dir } = setup();
    const first = await open();
    const bus = new MemoryBus({ topic: 'raw', maxPending: 100, firstOffset: 1000n });
    bus.useJournal(first.journal, first.replay);
    await bus.publisher().publish(values(0, 3).map((value) => ({ key: 'k', value })));
    expect(inspectJournal(dir).segments[0]?.records).toBe(3);

    // Commit the first record only, then "crash".
    await new Promise<void>((resolve) => {
      void bus.subscriber().run(async (batch: PartitionBatch) => {
        await batch.commit(1001n);
        resolve();
        await new Promise(() => undefined);
      });
    });

    const second = await open();
    const restarted = new MemoryBus({ topic: 'raw', maxPending: 100, firstOffset: 0n });
    restarted.useJournal(second.journal, second.replay);
    await restarted.publisher().publish(values(3, 1).map((value) => ({ key: 'k', value })));
    const seen: bigint[] = [];
    await restarted.subscriber().run(async (batch) => {
      for (const m of batch.messages) seen.push(m.offset);
      await batch.commit((batch.messages.at(-1)?.offset ?? 0n) + 1n);
    });
    await restarted.subscriber().stop();
    // The journal keeps whole segments, so the committed record comes back too: the worker skips it by its range.
    expect(seen).toEqual([1000n, 1001n, 1002n, 1003n]);
    await restarted.close();
    expect(inspectJournal(dir).segments).toEqual([]);
  });
});
