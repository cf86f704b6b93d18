import { TokumeiError } from '@tokumei/errors';

/** One proposal as the reader saw it. */
export interface Candidate {
  readonly offset: bigint;
  readonly kafkaKey: string;
  readonly value: Buffer;
}

interface Waiter {
  readonly target: bigint;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * Each proposal has its own Kafka key `${registerKey}/${nonce}`: compaction keeps the last record per Kafka key, so
 * with the register key itself it would keep the last proposal, not the first. The register key is everything before
 * the last '/', so register keys may contain '/' themselves.
 */
export function registerKeyOf(kafkaKey: string): string | undefined {
  const slash = kafkaKey.lastIndexOf('/');
  return slash <= 0 ? undefined : kafkaKey.slice(0, slash);
}

/**
 * What the background reader knows, without any Kafka in it: per register key, the live proposals in offset order.
 * The winner is the first one, so every process that has read the same prefix of the topic agrees on it.
 */
export class RegisterState {
  private readonly candidates = new Map<string, Candidate[]>();
  private waiters: Waiter[] = [];
  /** The next offset not yet applied. */
  private next = 0n;

  get position(): bigint {
    return this.next;
  }

  /** Applies one record; a null value is a tombstone. Offsets already applied are skipped (a rejoin reads again). */
  apply(offset: bigint, kafkaKey: string | undefined, value: Buffer | null): void {
    if (offset < this.next) return;
    this.next = offset + 1n;
    const key = kafkaKey === undefined ? undefined : registerKeyOf(kafkaKey);
    if (key === undefined) return;
    const list = this.candidates.get(key) ?? [];
    if (value === null) {
      const index = list.findIndex((c) => c.kafkaKey === kafkaKey);
      if (index >= 0) list.splice(index, 1)[0]?.value.fill(0);
    } else {
      // A copy of our own: the fetch buffer is not ours to wipe, this one is wiped when forgotten.
      list.push({ offset, kafkaKey: kafkaKey as string, value: Buffer.from(value) });
    }
    if (list.length > 0) this.candidates.set(key, list);
    else this.candidates.delete(key);
  }

  /** Records before `offset` were read (or skipped as compacted away): wake whoever waits for them. */
  advance(offset: bigint): void {
    if (offset > this.next) this.next = offset;
    const [done, waiting] = partition(this.waiters, (w) => w.target <= this.next);
    this.waiters = waiting;
    for (const waiter of done) waiter.resolve();
  }

  /** The broker's log now starts at `logStart` (retention deleted the rest): forget what it no longer holds. */
  forgetBefore(logStart: bigint): void {
    for (const [key, list] of this.candidates) {
      const kept = list.filter((c) => c.offset >= logStart);
      for (const gone of list.filter((c) => c.offset < logStart)) gone.value.fill(0);
      if (kept.length > 0) this.candidates.set(key, kept);
      else this.candidates.delete(key);
    }
    this.advance(logStart);
  }

  winner(key: string): Candidate | undefined {
    return this.candidates.get(key)?.[0];
  }

  /** Copies, so callers cannot change the register and wiping it does not change their salts. */
  winners(): Map<string, Buffer> {
    const result = new Map<string, Buffer>();
    for (const [key, list] of this.candidates) if (list[0] !== undefined) result.set(key, Buffer.from(list[0].value));
    return result;
  }

  liveKafkaKeys(key: string): string[] {
    return (this.candidates.get(key) ?? []).map((c) => c.kafkaKey);
  }

  /** Resolves once every record before `target` is applied; rejects after `timeoutMs`. */
  reached(target: bigint, timeoutMs: number): Promise<void> {
    if (target <= this.next) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new TokumeiError('TKM_BUS_UNAVAILABLE', `shared register: reader did not reach offset ${target} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      const waiter: Waiter = {
        target,
        resolve: () => { clearTimeout(timer); resolve(); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      };
      this.waiters.push(waiter);
    });
  }

  /** Fails every wait (on close) and wipes the values held. */
  clear(error: Error): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
    for (const list of this.candidates.values()) for (const c of list) c.value.fill(0);
    this.candidates.clear();
  }
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
