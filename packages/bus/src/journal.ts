import fs from 'node:fs';
import path from 'node:path';
import { TokumeiError } from '@tokumei/errors';
import type { Logger } from '@tokumei/config';
import { SEGMENT_SUFFIX, decodeFrame, encodeFrame, frameBytes, journalKey, readHeader, type FrameHeader } from './journal-format.js';
import type { ConsumedMessage } from './types.js';

export interface JournalOptions {
  /** Directory of the segment files (created 0700). */
  readonly dir: string;
  /** No segment is kept once its first record is older than this: the raw topic's retention. */
  readonly retentionMs: number;
  /** Appends that would grow the journal past this are refused with TKM_BUS_FULL. */
  readonly maxBytes: number;
  /** The salt of a UTC day, from which the journal derives that day's key; undefined once the salt is destroyed. */
  readonly saltFor: (day: string) => Promise<Buffer | undefined>;
  readonly logger: Logger;
  readonly now?: () => number;
  /** A segment takes appends until it is this large (default 4 MiB) or this old (default a tenth of retention). */
  readonly segmentBytes?: number;
  readonly segmentMs?: number;
}

export interface Replay {
  readonly messages: ConsumedMessage[];
  /** Records in frames that could not be read back: their day's salt is destroyed, or the frame is damaged. */
  readonly unreadable: number;
  /** Records older than the retention, dropped unread. */
  readonly expired: number;
}

interface Segment {
  readonly file: string;
  readonly created: number;
  handle?: fs.promises.FileHandle;
  bytes: number;
  /** Highest offset written to it (undefined: none yet). */
  last?: bigint;
}

interface Pending {
  readonly first: bigint;
  readonly values: readonly Buffer[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const MIB = 1024 * 1024;

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Appends of one flush with consecutive offsets become one frame: one encryption and one header for all of them. */
function runs(batch: readonly Pending[]): { first: bigint; values: Buffer[] }[] {
  const out: { first: bigint; values: Buffer[] }[] = [];
  for (const p of batch) {
    const last = out[out.length - 1];
    if (last !== undefined && last.first + BigInt(last.values.length) === p.first) last.values.push(...p.values);
    else out.push({ first: p.first, values: [...p.values] });
  }
  return out;
}

function segmentName(first: bigint): string {
  return `${first.toString().padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

/**
 * The embedded mode's write-ahead journal: every record the in-process bus accepts is appended, encrypted, and
 * fsynced before publish() resolves (and so before ingest answers 202). Appends that arrive while an fsync runs
 * wait for the next one, so one fsync serves every request of a few milliseconds (group commit). A segment is
 * deleted once the worker committed all of its offsets, or once its oldest record reaches the retention.
 */
export class Journal {
  private readonly segments: Segment[] = [];
  private waiting: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private readonly keys = new Map<string, Buffer>();
  private readonly now: () => number;
  private readonly segmentBytes: number;
  private readonly segmentMs: number;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  private constructor(private readonly options: JournalOptions) {
    this.now = options.now ?? Date.now;
    this.segmentBytes = options.segmentBytes ?? 4 * MIB;
    this.segmentMs = options.segmentMs ?? Math.max(1000, Math.floor(options.retentionMs / 10));
    this.sweeper = setInterval(() => void this.sweep(), Math.min(60_000, this.segmentMs));
    this.sweeper.unref();
  }

  /** Opens the journal and reads back every record it holds, for the bus to deliver again. */
  static async open(options: JournalOptions): Promise<{ journal: Journal; replay: Replay }> {
    fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(options.dir, 0o700);
    const journal = new Journal(options);
    const replay = await journal.readBack();
    return { journal, replay };
  }

  /** Bytes on disk, committed or not. */
  bytes(): number {
    return this.segments.reduce((n, s) => n + s.bytes, 0);
  }

  /** Resolves once the records (offsets `first`, `first + 1`, …) are on disk. */
  append(first: bigint, values: readonly Buffer[]): Promise<void> {
    if (this.closed) return Promise.reject(new TokumeiError('TKM_BUS_CLOSED'));
    const incoming = values.reduce((n, v) => n + v.length + 4, 0) + this.waiting.length * 64;
    if (this.bytes() + incoming > this.options.maxBytes) return Promise.reject(new TokumeiError('TKM_BUS_FULL'));
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ first, values, resolve, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.flushing !== undefined) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      // An append that came after the loop's last look but before this callback would otherwise wait forever.
      if (this.waiting.length > 0) this.kick();
    });
  }

  /** The worker committed every offset below `next`: delete the segments that hold nothing else. */
  async release(next: bigint): Promise<void> {
    const active = this.segments[this.segments.length - 1];
    for (const segment of this.segments.slice(0, -1)) {
      if (segment.last === undefined || segment.last < next) await this.retire(segment);
    }
    // An idle journal should not keep committed records until the active segment fills: start a new one.
    if (active !== undefined && active.last !== undefined && active.last < next && this.waiting.length === 0 && this.flushing === undefined) {
      await this.retire(active);
    }
  }

  /** Deletes every segment whose oldest record is older than the retention, read or not (as Kafka's retention does). */
  async sweep(now = this.now()): Promise<number> {
    let removed = 0;
    for (const segment of [...this.segments]) {
      if (segment.created > now - this.options.retentionMs) continue;
      if (segment === this.segments[this.segments.length - 1] && this.flushing !== undefined) await this.flushing;
      await this.retire(segment);
      removed += 1;
    }
    if (removed > 0) this.options.logger.warn({ segments: removed }, 'journal segments reached the raw retention and were deleted');
    return removed;
  }

  /** Waits for the appends in progress, closes the files; a journal with nothing uncommitted is deleted. */
  async close(next?: bigint): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    await this.flushing;
    if (next !== undefined) await this.release(next);
    for (const segment of this.segments) await segment.handle?.close();
    for (const key of this.keys.values()) key.fill(0);
    this.keys.clear();
  }

  private async flush(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting;
      this.waiting = [];
      try {
        const now = this.now();
        const day = utcDay(now);
        const key = await this.key(day);
        if (key === undefined) throw new TokumeiError('TKM_BUS_UNAVAILABLE', 'no journal key for today');
        const frames = runs(batch).map((run) => encodeFrame(key, now, day, run.first, run.values));
        const bytes = Buffer.concat(frames);
        const segment = await this.activeSegment(batch[0]?.first ?? 0n, now);
        await segment.handle?.write(bytes, 0, bytes.length, segment.bytes);
        await segment.handle?.datasync();
        segment.bytes += bytes.length;
        const last = batch[batch.length - 1];
        if (last !== undefined) segment.last = last.first + BigInt(last.values.length) - 1n;
        for (const p of batch) p.resolve();
      } catch (error) {
        this.options.logger.error({ err: error }, 'journal append failed');
        const refused = error instanceof TokumeiError ? error : new TokumeiError('TKM_BUS_UNAVAILABLE', 'the journal cannot be written');
        for (const p of batch) p.reject(refused);
      }
    }
  }

  private async activeSegment(first: bigint, now: number): Promise<Segment> {
    let active = this.segments[this.segments.length - 1];
    if (active?.handle !== undefined && (active.bytes >= this.segmentBytes || now - active.created >= this.segmentMs)) {
      await active.handle.close();
      delete active.handle;
    }
    if (active?.handle === undefined) {
      const file = path.join(this.options.dir, segmentName(first));
      active = { file, created: now, bytes: 0, handle: await fs.promises.open(file, 'wx', 0o600) };
      this.segments.push(active);
    }
    return active;
  }

  private async retire(segment: Segment): Promise<void> {
    const at = this.segments.indexOf(segment);
    if (at === -1) return;
    this.segments.splice(at, 1);
    await segment.handle?.close();
    await fs.promises.rm(segment.file, { force: true });
  }

  /** Today's key, derived once; keys of other days are wiped as soon as the day changes. */
  private async key(day: string): Promise<Buffer | undefined> {
    const cached = this.keys.get(day);
    if (cached !== undefined) return cached;
    for (const [other, key] of this.keys) {
      key.fill(0);
      this.keys.delete(other);
    }
    const salt = await this.options.saltFor(day);
    if (salt === undefined) return undefined;
    const key = journalKey(salt);
    this.keys.set(day, key);
    return key;
  }

  private async readBack(): Promise<Replay> {
    const now = this.now();
    const messages: ConsumedMessage[] = [];
    let unreadable = 0;
    let expired = 0;
    const keys = new Map<string, Buffer | undefined>();
    const names = fs.readdirSync(this.options.dir).filter((f) => f.endsWith(SEGMENT_SUFFIX)).sort();
    for (const name of names) {
      const file = path.join(this.options.dir, name);
      const bytes = await fs.promises.readFile(file);
      const first = readHeader(bytes, 0);
      if (first === undefined || first.writtenAt <= now - this.options.retentionMs) {
        // Past the retention (or empty: a crash before its first frame was whole): never read, only deleted.
        for (let at = 0, h = first; h !== undefined; at += frameBytes(h), h = readHeader(bytes, at)) expired += h.count;
        await fs.promises.rm(file, { force: true });
        continue;
      }
      let last: bigint | undefined;
      // A frame cut short by a crash ends the segment: it was never acknowledged.
      for (let at = 0, header: FrameHeader | undefined = first; header !== undefined; at += frameBytes(header), header = readHeader(bytes, at)) {
        if (!keys.has(header.day)) {
          const salt = await this.options.saltFor(header.day).catch(() => undefined);
          keys.set(header.day, salt === undefined ? undefined : journalKey(salt));
        }
        const key = keys.get(header.day);
        const values = key === undefined ? undefined : decodeFrame(key, bytes, at, header);
        if (values === undefined) {
          unreadable += header.count;
          continue;
        }
        values.forEach((value, i) => messages.push({ offset: header.first + BigInt(i), value }));
        last = header.first + BigInt(header.count) - 1n;
      }
      bytes.fill(0);
      this.segments.push({ file, created: first.writtenAt, bytes: fs.statSync(file).size, ...(last === undefined ? {} : { last }) });
    }
    for (const key of keys.values()) key?.fill(0);
    if (unreadable > 0) this.options.logger.warn({ records: unreadable }, 'journal records could not be read back (their day salt is gone, or the frame is damaged)');
    messages.sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
    return { messages, unreadable, expired };
  }
}

/** Where the embedded journal lives in the data directory. */
export function journalDir(dataDir: string): string {
  return path.join(dataDir, 'journal');
}

/**
 * The journal's size bound, from the bus's: every pending record at its largest (the body limit, plus the address,
 * the user agent of at most 1 KiB and the record's framing), plus one segment of records already committed.
 */
export function journalMaxBytes(limits: { readonly busMaxPending: number; readonly bodyLimit: number }): number {
  return limits.busMaxPending * (limits.bodyLimit + 2048) + 4 * MIB;
}
