import { describe, it, expect } from 'vitest';
import { MemorySaltStore, utcDay } from '@tokumei/privacy';

const DAY = 86_400_000;

/** A settable clock for the store. */
function clockAt(iso: string) {
  let now = Date.parse(iso);
  return { now: () => now, set: (next: string) => { now = Date.parse(next); } };
}

describe('utcDay / isLive', () => {
  it('cuts days at UTC midnight', () => {
    expect(utcDay(Date.parse('2026-03-10T23:59:59.999Z'))).toBe('2026-03-10');
    expect(utcDay(Date.parse('2026-03-11T00:00:00.000Z'))).toBe('2026-03-11');
  });

  it('keeps today and yesterday (24 h grace), not the day before or tomorrow', () => {
    const store = new MemorySaltStore(() => Date.parse('2026-03-01T00:30:00Z'));
    expect(['2026-03-02', '2026-03-01', '2026-02-28', '2026-02-27'].map((d) => store.isLive(d))).toEqual([false, true, true, false]);
  });
});

describe('MemorySaltStore', () => {
  it('gives the same 32-byte salt for the same day', async () => {
    const store = new MemorySaltStore(clockAt('2026-03-10T12:00:00Z').now);
    const first = await store.saltFor('2026-03-10');
    const second = await store.saltFor('2026-03-10');
    expect(first).toBeInstanceOf(Buffer);
    expect(first?.length).toBe(32);
    expect(second?.equals(first ?? Buffer.alloc(0))).toBe(true);
  });

  it('gives different salts for today and yesterday, and different stores different salts', async () => {
    const clock = clockAt('2026-03-10T12:00:00Z');
    const store = new MemorySaltStore(clock.now);
    const today = await store.saltFor('2026-03-10');
    const yesterday = await store.saltFor('2026-03-09');
    expect(today).toBeDefined();
    expect(yesterday).toBeDefined();
    expect(today?.equals(yesterday ?? Buffer.alloc(0))).toBe(false);
    const other = await new MemorySaltStore(clock.now).saltFor('2026-03-10');
    expect(other?.equals(today ?? Buffer.alloc(0))).toBe(false);
  });

  it('has no salt for days before yesterday or after today', async () => {
    const store = new MemorySaltStore(clockAt('2026-03-10T12:00:00Z').now);
    expect(await store.saltFor('2026-03-08')).toBeUndefined();
    expect(await store.saltFor('2026-03-11')).toBeUndefined();
    expect(await store.saltFor('2020-01-01')).toBeUndefined();
  });

  it('keeps yesterday\'s salt across midnight, then forgets and wipes it', async () => {
    const clock = clockAt('2026-03-10T23:59:00Z');
    const store = new MemorySaltStore(clock.now);
    const day10 = await store.saltFor('2026-03-10');
    const copy10 = Buffer.from(day10 ?? Buffer.alloc(0));

    clock.set('2026-03-11T00:01:00Z');
    const again10 = await store.saltFor('2026-03-10');
    expect(again10?.equals(copy10)).toBe(true);

    clock.set('2026-03-12T00:01:00Z');
    expect(await store.saltFor('2026-03-10')).toBeUndefined();
    // The forgotten salt's memory is zeroed, not just dropped.
    expect(day10?.equals(Buffer.alloc(32))).toBe(true);

    // Going back in time does not resurrect it: a new salt would be random.
    clock.set('2026-03-10T23:59:00Z');
    const reborn = await store.saltFor('2026-03-10');
    expect(reborn?.equals(copy10)).toBe(false);
  });

  it('forgets stale days even when only asked about today', async () => {
    const clock = clockAt('2026-03-10T12:00:00Z');
    const store = new MemorySaltStore(clock.now);
    const day10 = await store.saltFor('2026-03-10');
    clock.set(new Date(Date.parse('2026-03-10T12:00:00Z') + 3 * DAY).toISOString());
    await store.saltFor('2026-03-13');
    expect(day10?.equals(Buffer.alloc(32))).toBe(true);
  });

  it('wipes every salt on close', async () => {
    const store = new MemorySaltStore(clockAt('2026-03-10T12:00:00Z').now);
    const salt = await store.saltFor('2026-03-10');
    await store.close();
    expect(salt?.equals(Buffer.alloc(32))).toBe(true);
  });
});
