import { createHash, randomBytes } from 'node:crypto';
import { forgetKey } from './keyed-hash.js';

/** A UTC day as `YYYY-MM-DD`. */
export type UtcDay = string;

const DAY_MS = 86_400_000;
/** A run salt older than this is destroyed by rotate() even if its import never ended (it crashed). */
export const RUN_SALT_MAX_MS = DAY_MS;

/**
 * How long a destroyed salt may linger in a shared register (a compacted Kafka topic) before the broker deletes
 * it: a day salt is live for its day plus the grace, and compaction's tombstone needs another day to pass.
 * The worker creates the topic with it and the audit checks the topic against it.
 */
export function saltRegisterRetentionMs(graceMs: number): number {
  return 2 * DAY_MS + graceMs;
}
const RUN_ID = /^[0-9a-f]{8,32}$/;
const DAY_KEY = /^\d{4}-\d{2}-\d{2}$/;

/** Register key of an import run's salt for a day that has no day salt any more. */
function runKey(run: string, day: UtcDay): string {
  return `run:${run}:${day}`;
}

function parseRunKey(key: string): { run: string; day: UtcDay } | undefined {
  const [prefix, run, day, ...rest] = key.split(':');
  return prefix === 'run' && run !== undefined && day !== undefined && rest.length === 0 ? { run, day } : undefined;
}
/** Records may be stamped slightly ahead of this machine's clock by another machine's. */
const CLOCK_SKEW_MS = 5 * 60_000;

// Every record asks for its day and the day's start, and records span a day or two: both are remembered (bounded,
// cleared when full). A day holds nothing of a visitor.
const DAY_MEMO = 64;
const dayNames = new Map<number, UtcDay>();
const dayStarts = new Map<UtcDay, number>();

export function utcDay(epochMs: number): UtcDay {
  const index = Math.floor(epochMs / DAY_MS);
  const known = dayNames.get(index);
  if (known !== undefined) return known;
  // Throws for a time outside Date's range, as it always did.
  const day = new Date(epochMs).toISOString().slice(0, 10);
  if (dayNames.size >= DAY_MEMO) dayNames.clear();
  dayNames.set(index, day);
  return day;
}

function dayStart(day: UtcDay): number {
  const known = dayStarts.get(day);
  if (known !== undefined) return known;
  const start = Date.parse(`${day}T00:00:00Z`);
  if (dayStarts.size >= DAY_MEMO) dayStarts.clear();
  dayStarts.set(day, start);
  return start;
}

/**
 * Where salts are kept: shaped like @tokumei/bus's SharedRegister, so the Kafka register fits; the embedded mode
 * uses a file. The first value proposed for a key wins, so replicas agree on one salt per day.
 */
export interface SaltRegister {
  load(): Promise<Map<string, Buffer>>;
  propose(key: string, value: Buffer): Promise<Buffer>;
  remove(key: string): Promise<void>;
  close(): Promise<void>;
}

/** What auditors see of a salt: its day, a commitment (SHA-256), and when it existed. Never the salt. */
export interface SaltRecord {
  readonly day: UtcDay;
  /** Set for an import run's salt of an old day (see SaltStore.saltFor). */
  readonly run?: string;
  readonly commitment: string;
  readonly created: number;
  readonly destroyed?: number;
}

/** Anything that gives the worker the salt of a day (undefined: no salt for that day any more, or not yet). */
export interface SaltSource {
  /** `run`: the import run a record belongs to; lets days that have no day salt any more get a run salt. */
  saltFor(day: UtcDay, run?: string): Promise<Buffer | undefined>;
}

export interface SaltStoreOptions {
  /** How long after its day ends a salt is still used for late records; at most 24 h (then: today and yesterday). */
  readonly graceMs: number;
  readonly now?: () => number;
  /** Called when a salt is first seen by this process and when it is destroyed: the audit ledger. */
  readonly onRecord?: (record: SaltRecord) => void;
}

// A stored value is the creation time (8 bytes, ms) followed by the 32 salt bytes.
function encode(created: number, salt: Buffer): Buffer {
  const out = Buffer.alloc(40);
  out.writeBigUInt64BE(BigInt(created), 0);
  salt.copy(out, 8);
  return out;
}

function decode(value: Buffer): { created: number; salt: Buffer } | undefined {
  if (value.length !== 40) return undefined;
  return { created: Number(value.readBigUInt64BE(0)), salt: Buffer.from(value.subarray(8)) };
}

/** A salt leaving memory: the hash key prepared from it (keyed-hash.ts) is wiped with it. */
function wipeSalt(salt: Buffer | undefined): void {
  if (salt === undefined) return;
  forgetKey(salt);
  salt.fill(0);
}

export function commitment(salt: Buffer): string {
  return createHash('sha256').update(salt).digest('hex');
}

/**
 * Salts of UTC days: 32 random bytes each, created on first use, shared through the register, destroyed once their
 * day plus the grace period is over. Records of a day without a salt get no session or visitor hash, unless they come
 * from an import run: those get a salt of that run and day (register key `run:<id>:<day>`, first write wins so every
 * worker replica agrees), destroyed by endRun() when the import is done, or by rotate() after RUN_SALT_MAX_MS.
 */
export class SaltStore implements SaltSource {
  private readonly cache = new Map<UtcDay, Promise<Buffer | undefined>>();
  private readonly now: () => number;
  /** When the first day salt held in memory expires: saltFor() looks for expired salts only from then on. */
  private firstExpiry = Number.POSITIVE_INFINITY;

  constructor(private readonly register: SaltRegister, private readonly options: SaltStoreOptions) {
    if (options.graceMs < 0 || options.graceMs > DAY_MS) throw new RangeError('grace must be between 0 and 24 h');
    this.now = options.now ?? Date.now;
  }

  /** Whether a salt for `day` may exist at `now`. */
  isLive(day: UtcDay, now = this.now()): boolean {
    const start = dayStart(day);
    return now >= start - CLOCK_SKEW_MS && now < start + DAY_MS + this.options.graceMs;
  }

  async saltFor(day: UtcDay, run?: string): Promise<Buffer | undefined> {
    // A salt whose time is over is destroyed everywhere before anything else happens, not at the next timer tick.
    const now = this.now();
    if (now >= this.firstExpiry && this.forgetExpired(now)) await this.rotate();
    let key: string = day;
    if (!this.isLive(day)) {
      // Only a well-formed day gets a run salt: anything else would be a key nobody could expire.
      if (run === undefined || !RUN_ID.test(run) || !DAY_KEY.test(day) || Number.isNaN(dayStart(day))) return undefined;
      key = runKey(run, day);
    }
    let salt = this.cache.get(key);
    if (salt === undefined) {
      salt = this.obtain(key);
      this.cache.set(key, salt);
      if (key === day) this.firstExpiry = Math.min(this.firstExpiry, dayStart(day) + DAY_MS + this.options.graceMs);
      // A failed attempt must be retried by the next caller, not remembered.
      salt.catch(() => this.cache.delete(key));
    }
    return salt;
  }

  /** Destroys every salt of an import run, in the register and in memory: called once its records are all stored. */
  async endRun(run: string): Promise<number> {
    const prefix = `run:${run}:`;
    let destroyed = 0;
    for (const [key, value] of await this.register.load()) {
      if (!key.startsWith(prefix)) continue;
      await this.destroy(key, value, this.now());
      destroyed += 1;
    }
    this.forget((key) => key.startsWith(prefix));
    return destroyed;
  }

  /** Destroys every salt whose time is over, in the register and in memory. Returns the days destroyed. */
  async rotate(): Promise<UtcDay[]> {
    const now = this.now();
    const destroyed: UtcDay[] = [];
    const registered = await this.register.load();
    for (const [key, value] of registered) {
      const run = parseRunKey(key);
      if (run !== undefined) {
        if (now - (decode(value)?.created ?? 0) < RUN_SALT_MAX_MS) continue;
      } else if (this.isLive(key, now)) continue;
      await this.destroy(key, value, now);
      destroyed.push(key);
    }
    this.forgetExpired(now);
    // Run salts another process ended (or this one destroyed above) must not stay in this process's memory.
    this.forget((key) => parseRunKey(key) !== undefined && (!registered.has(key) || destroyed.includes(key)));
    return destroyed;
  }

  private async destroy(key: string, value: Buffer, now: number): Promise<void> {
    const decoded = decode(value);
    await this.register.remove(key);
    value.fill(0);
    if (decoded !== undefined) {
      const run = parseRunKey(key);
      this.options.onRecord?.({
        day: run?.day ?? key, ...(run === undefined ? {} : { run: run.run }),
        commitment: commitment(decoded.salt), created: decoded.created, destroyed: now,
      });
      decoded.salt.fill(0);
    }
  }

  private forget(matches: (key: string) => boolean): void {
    for (const [key, salt] of this.cache) {
      if (!matches(key)) continue;
      this.cache.delete(key);
      void salt.then(wipeSalt, () => undefined);
    }
  }

  /** Wipes expired salts from this process's memory at once; the register follows at the next rotate(). */
  private forgetExpired(now: number): boolean {
    let forgot = false;
    this.firstExpiry = Number.POSITIVE_INFINITY;
    for (const [day, salt] of this.cache) {
      // Run salts are not tied to the clock of their day; endRun() and rotate() handle them.
      if (parseRunKey(day) !== undefined) continue;
      if (this.isLive(day, now)) {
        this.firstExpiry = Math.min(this.firstExpiry, dayStart(day) + DAY_MS + this.options.graceMs);
        continue;
      }
      this.cache.delete(day);
      void salt.then(wipeSalt, () => undefined);
      forgot = true;
    }
    return forgot;
  }

  /** Days whose salts exist now (for the audit: should be at most today and yesterday). Run salts are not days. */
  async liveDays(): Promise<UtcDay[]> {
    return [...(await this.register.load()).keys()].filter((key) => parseRunKey(key) === undefined).sort();
  }

  /** Import runs whose salts exist now, with the days they cover (for the audit). */
  async liveRuns(): Promise<Map<string, UtcDay[]>> {
    const runs = new Map<string, UtcDay[]>();
    for (const key of (await this.register.load()).keys()) {
      const run = parseRunKey(key);
      if (run !== undefined) runs.set(run.run, [...(runs.get(run.run) ?? []), run.day].sort());
    }
    return runs;
  }

  async close(): Promise<void> {
    for (const salt of this.cache.values()) wipeSalt(await salt.catch(() => undefined));
    this.cache.clear();
    await this.register.close();
  }

  private async obtain(key: string): Promise<Buffer | undefined> {
    const won = decode(await this.register.propose(key, encode(this.now(), randomBytes(32))));
    if (won === undefined) return undefined;
    const run = parseRunKey(key);
    this.options.onRecord?.({ day: run?.day ?? key, ...(run === undefined ? {} : { run: run.run }), commitment: commitment(won.salt), created: won.created });
    return won.salt;
  }
}

/** A register in memory only: lost on restart. For tests and benchmarks. */
export class MemoryRegister implements SaltRegister {
  private readonly values = new Map<string, Buffer>();

  load(): Promise<Map<string, Buffer>> {
    return Promise.resolve(new Map([...this.values].map(([k, v]) => [k, Buffer.from(v)])));
  }

  propose(key: string, value: Buffer): Promise<Buffer> {
    if (!this.values.has(key)) this.values.set(key, Buffer.from(value));
    return Promise.resolve(Buffer.from(this.values.get(key) ?? value));
  }

  remove(key: string): Promise<void> {
    this.values.get(key)?.fill(0);
    this.values.delete(key);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Salts in memory, today and yesterday: the store tests and benchmarks use. */
export class MemorySaltStore extends SaltStore {
  constructor(now: () => number = Date.now) {
    super(new MemoryRegister(), { graceMs: DAY_MS, now });
  }
}
