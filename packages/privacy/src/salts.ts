import { randomBytes } from 'node:crypto';

/** A UTC day as `YYYY-MM-DD`. */
export type UtcDay = string;

export function utcDay(epochMs: number): UtcDay {
  return new Date(epochMs).toISOString().slice(0, 10);
}

/**
 * Where the worker gets the secret salt of a day. A store keeps today's and yesterday's salts only; a day outside
 * that window has no salt (undefined), and records of that day are stored without session or visitor hashes.
 */
export interface SaltStore {
  saltFor(day: UtcDay): Promise<Buffer | undefined>;
  close(): Promise<void>;
}

/** Days whose salts may exist at `now`: today and yesterday (UTC). */
export function liveDays(now: number): [UtcDay, UtcDay] {
  return [utcDay(now), utcDay(now - 86_400_000)];
}

/** Salts held in memory only: lost on restart. For tests and as the base of the persistent stores. */
export class MemorySaltStore implements SaltStore {
  private readonly salts = new Map<UtcDay, Buffer>();

  constructor(private readonly now: () => number = Date.now) {}

  saltFor(day: UtcDay): Promise<Buffer | undefined> {
    const live = liveDays(this.now());
    for (const known of this.salts.keys()) {
      if (!live.includes(known)) {
        this.salts.get(known)?.fill(0);
        this.salts.delete(known);
      }
    }
    if (!live.includes(day)) return Promise.resolve(undefined);
    let salt = this.salts.get(day);
    if (salt === undefined) {
      salt = randomBytes(32);
      this.salts.set(day, salt);
    }
    return Promise.resolve(salt);
  }

  close(): Promise<void> {
    for (const salt of this.salts.values()) salt.fill(0);
    this.salts.clear();
    return Promise.resolve();
  }
}
