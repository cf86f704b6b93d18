import { describe, it, expect } from 'vitest';
import { MemoryRegister, RUN_SALT_MAX_MS, SaltStore, commitment, type SaltRecord } from '@tokumei/privacy';

const DAY = 86_400_000;
const RUN = '0123456789abcdef';

function setup(iso = '2026-03-10T12:00:00Z') {
  let now = Date.parse(iso);
  const records: SaltRecord[] = [];
  const register = new MemoryRegister();
  const store = new SaltStore(register, { graceMs: DAY, now: () => now, onRecord: (r) => records.push(r) });
  return { store, register, records, advance: (ms: number) => { now += ms; } };
}

describe('run salts for days the store no longer keeps', () => {
  it('gives an old day a salt only with a well-formed run id, the same one for the same run and day', async () => {
    const { store } = setup();
    expect(await store.saltFor('2026-01-05')).toBeUndefined();
    expect(await store.saltFor('2026-01-05', 'not-hex!')).toBeUndefined();
    expect(await store.saltFor('not-a-day', RUN)).toBeUndefined();
    const first = await store.saltFor('2026-01-05', RUN);
    expect(first?.length).toBe(32);
    expect((await store.saltFor('2026-01-05', RUN))?.equals(first ?? Buffer.alloc(0))).toBe(true);
    const otherRun = await store.saltFor('2026-01-05', 'fedcba9876543210');
    const otherDay = await store.saltFor('2026-01-06', RUN);
    expect(otherRun?.equals(first ?? Buffer.alloc(0))).toBe(false);
    expect(otherDay?.equals(first ?? Buffer.alloc(0))).toBe(false);
  });

  it('uses the shared day salt for live days even inside a run', async () => {
    const { store } = setup();
    const day = await store.saltFor('2026-03-10');
    expect((await store.saltFor('2026-03-10', RUN))?.equals(day ?? Buffer.alloc(0))).toBe(true);
  });

  it('shares run salts between stores over one register (worker replicas agree)', async () => {
    const { store, register } = setup();
    const other = new SaltStore(register, { graceMs: DAY, now: () => Date.parse('2026-03-10T12:00:00Z') });
    const a = await store.saltFor('2025-12-31', RUN);
    expect((await other.saltFor('2025-12-31', RUN))?.equals(a ?? Buffer.alloc(0))).toBe(true);
  });

  it('endRun destroys every salt of the run, wipes it from memory and records the destruction', async () => {
    const { store, register, records } = setup();
    const salt = await store.saltFor('2026-01-05', RUN);
    const copy = Buffer.from(salt ?? Buffer.alloc(0));
    await store.saltFor('2026-01-06', RUN);
    await store.saltFor('2026-01-06', 'fedcba9876543210');
    expect([...(await store.liveRuns()).entries()]).toEqual([[RUN, ['2026-01-05', '2026-01-06']], ['fedcba9876543210', ['2026-01-06']]]);
    expect(await store.liveDays()).toEqual([]);

    expect(await store.endRun(RUN)).toBe(2);
    expect(salt?.equals(Buffer.alloc(32))).toBe(true);
    expect([...(await register.load()).keys()]).toEqual(['run:fedcba9876543210:2026-01-06']);
    const destroyed = records.filter((r) => r.destroyed !== undefined);
    expect(destroyed.map((r) => [r.day, r.run])).toEqual([['2026-01-05', RUN], ['2026-01-06', RUN]]);
    expect(destroyed[0]?.commitment).toBe(commitment(copy));
    // A new salt after the end is a different one: nothing of the old run can be recomputed.
    expect((await store.saltFor('2026-01-05', RUN))?.equals(copy)).toBe(false);
  });

  it('rotate keeps run salts until they are RUN_SALT_MAX_MS old (a crashed import), then destroys them', async () => {
    const { store, register, advance } = setup();
    const salt = await store.saltFor('2026-01-05', RUN);
    expect(await store.rotate()).toEqual([]);
    advance(RUN_SALT_MAX_MS - 1000);
    expect(await store.rotate()).not.toContain(`run:${RUN}:2026-01-05`);
    advance(2000);
    expect(await store.rotate()).toContain(`run:${RUN}:2026-01-05`);
    expect(salt?.equals(Buffer.alloc(32))).toBe(true);
    expect((await register.load()).size).toBe(0);
  });

  it('rotate forgets run salts that another process ended', async () => {
    const { store, register } = setup();
    const other = new SaltStore(register, { graceMs: DAY, now: () => Date.parse('2026-03-10T12:00:00Z') });
    const salt = await store.saltFor('2026-01-05', RUN);
    await other.endRun(RUN);
    await store.rotate();
    expect(salt?.equals(Buffer.alloc(32))).toBe(true);
  });
});
