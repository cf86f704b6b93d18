import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker as Thread } from 'node:worker_threads';
import type { PseudonymizeOptions, SaltSource } from '@tokumei/privacy';
import type { BotCount } from './sink.js';
import type { TransformOutput } from './transform-batch.js';

/**
 * A pool of threads running the privacy engine: raw records in, encoded rows out (TransformOutput), in order.
 *
 *   const pool = TransformPool.start({ options, geo, salts, threads });
 *   pool.prepare(next);                           // optional: start on the batch that comes next
 *   const output = await pool.transform(values);   // values: the raw records, as the bus delivers them
 *   await pool.close();
 *
 * ClickHouse stays on the calling thread (chDB crashes in threads): the pool only pseudonymizes. Salts come from
 * `salts` (the caller's SaltStore) per batch, asked for by the threads and never stored by them, so every thread
 * hashes a day with the same salt as the caller would. A batch is split into one contiguous slice per thread; the
 * records travel as one transferred buffer with their end offsets, the rows come back the same way.
 * Memory: each thread is a V8 isolate with the privacy engine's modules and caches (~30–40 MB), and holds at most one
 * batch in flight; callers bound the batches they hand over (the worker hands one chunk at a time).
 */
export interface TransformPoolOptions {
  readonly options: PseudonymizeOptions;
  /** Country lookup in the threads (config.privacy.geo === 'country'). */
  readonly geo: boolean;
  readonly salts: SaltSource;
  /** Default: one less than the cores (at least 1, at most 4): the calling thread has its own work. */
  readonly threads?: number;
}

/** Worker-thread messages; exported for transform-thread.ts only. */
export type ToThread =
  | { readonly type: 'batch'; readonly id: number; readonly data: ArrayBuffer; readonly ends: ArrayBuffer }
  | { readonly type: 'salt'; readonly id: number; readonly salt: Uint8Array | undefined };
export type FromThread =
  | { readonly type: 'salt'; readonly id: number; readonly day: string; readonly run: string | undefined }
  | { readonly type: 'done'; readonly id: number; readonly output: TransformOutput }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

interface Pending {
  resolve(output: TransformOutput): void;
  reject(error: Error): void;
}

/** Threads for a machine with `cores` cores: the caller keeps one core. */
export function defaultThreads(cores = os.availableParallelism()): number {
  return Math.max(1, Math.min(cores - 1, 4));
}

/** Adds the `source` export condition in a thread, so @tokumei/* packages resolve to their TypeScript sources. */
const SOURCE_CONDITION = 'data:text/javascript,export function resolve(s, c, next) { return next(s, { ...c, conditions: [...c.conditions, "source"] }); }';

/**
 * How to start a thread: its compiled code next to this file, or, when this file runs as TypeScript (tsx, vitest),
 * a bootstrap that registers tsx and the source condition first, as bin/tokumei-dev.js does.
 */
function threadEntry(): { code: URL | string; eval: boolean } {
  const entry = new URL(import.meta.url.endsWith('.ts') ? './transform-thread.ts' : './transform-thread.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return { code: entry, eval: false };
  const tsx = createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs');
  return {
    eval: true,
    code: `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((tsx) => { require('node:module').register(${JSON.stringify(SOURCE_CONDITION)}); tsx.register(); return import(${JSON.stringify(entry.href)}); });`,
  };
}

class PoolThread {
  private readonly thread: Thread;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | undefined;

  constructor(options: TransformPoolOptions) {
    const entry = threadEntry();
    this.thread = new Thread(entry.code, { eval: entry.eval, workerData: { options: options.options, geo: options.geo } });
    this.thread.on('message', (message: FromThread) => {
      if (message.type === 'salt') {
        options.salts.saltFor(message.day, message.run).then(
          (salt) => {
            // A copy whose memory moves to the thread (transferred, not cloned): no second copy stays on this side.
            const copy = salt === undefined ? undefined : new Uint8Array(salt);
            this.thread.postMessage({ type: 'salt', id: message.id, salt: copy } satisfies ToThread, copy === undefined ? [] : [copy.buffer]);
          },
          (error: unknown) => this.fail(error instanceof Error ? error : new Error(String(error))),
        );
        return;
      }
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.type === 'done') waiting?.resolve(message.output);
      else waiting?.reject(new Error(`transform thread: ${message.message}`));
    });
    this.thread.on('error', (error) => this.fail(error));
    this.thread.on('exit', (code) => this.fail(new Error(`transform thread exited (${code})`)));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  transform(values: readonly Uint8Array[]): Promise<TransformOutput> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const ends = new Uint32Array(values.length);
    let size = 0;
    values.forEach((value, i) => (ends[i] = size += value.byteLength));
    const data = new Uint8Array(size);
    let at = 0;
    for (const value of values) {
      data.set(value, at);
      at += value.byteLength;
    }
    const id = (this.nextId += 1);
    return new Promise<TransformOutput>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.thread.postMessage({ type: 'batch', id, data: data.buffer, ends: ends.buffer } satisfies ToThread, [data.buffer, ends.buffer]);
    });
  }

  async close(): Promise<void> {
    this.failure ??= new Error('transform pool closed');
    await this.thread.terminate();
  }
}

export class TransformPool {
  /** One chain per thread: a thread transforms one batch at a time (its salts are per batch). */
  private queues: Promise<unknown>[];
  private prepared: { first: unknown; last: unknown; length: number; run: Promise<TransformOutput> } | undefined;

  private constructor(private readonly threads: readonly PoolThread[]) {
    this.queues = threads.map(() => Promise.resolve());
  }

  static start(options: TransformPoolOptions): TransformPool {
    const count = options.threads ?? defaultThreads();
    if (!Number.isInteger(count) || count < 1) throw new RangeError('a transform pool needs at least one thread');
    return new TransformPool(Array.from({ length: count }, () => new PoolThread(options)));
  }

  get size(): number {
    return this.threads.length;
  }

  /**
   * Starts on a batch that `transform` will be asked for next (same records, same order), so that its
   * pseudonymizing overlaps the caller storing the batch before. At most one batch is held; a `transform` of other
   * records drops it.
   */
  prepare(values: readonly Uint8Array[]): void {
    const run = this.run(values);
    run.catch(() => undefined);
    this.prepared = { first: values[0], last: values[values.length - 1], length: values.length, run };
  }

  /** The records' rows in the records' order; `unreadable` indexes refer to `values`. */
  transform(values: readonly Uint8Array[]): Promise<TransformOutput> {
    const prepared = this.prepared;
    this.prepared = undefined;
    if (prepared !== undefined && prepared.length === values.length && prepared.first === values[0] && prepared.last === values[values.length - 1]) {
      return prepared.run;
    }
    return this.run(values);
  }

  private async run(values: readonly Uint8Array[]): Promise<TransformOutput> {
    const per = Math.ceil(values.length / this.threads.length);
    const parts = this.threads.map((thread, i) => {
      const slice = values.slice(i * per, (i + 1) * per);
      const run = this.queues[i]?.then(() => (slice.length === 0 ? undefined : thread.transform(slice))) ?? Promise.resolve(undefined);
      this.queues[i] = run.catch(() => undefined);
      return run;
    });
    return merge(await Promise.all(parts), per);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }
}

function merge(parts: readonly (TransformOutput | undefined)[], per: number): TransformOutput {
  const present = parts.filter((p): p is TransformOutput => p !== undefined);
  if (present.length === 1 && present[0] !== undefined) return present[0];
  const bots = new Map<string, BotCount & { bots: number }>();
  const results: Record<string, number> = {};
  const props = { kept: 0, dropped: 0, replaced: 0 };
  const unreadable: { index: number; reason: string }[] = [];
  parts.forEach((part, i) => {
    if (part === undefined) return;
    for (const b of part.bots) {
      const key = `${b.site}\u0000${b.day}`;
      const entry = bots.get(key) ?? { site: b.site, day: b.day, bots: 0 };
      entry.bots += b.bots;
      bots.set(key, entry);
    }
    for (const [label, n] of Object.entries(part.results)) results[label] = (results[label] ?? 0) + n;
    props.kept += part.props.kept;
    props.dropped += part.props.dropped;
    props.replaced += part.props.replaced;
    for (const u of part.unreadable) unreadable.push({ index: u.index + i * per, reason: u.reason });
  });
  return {
    events: Buffer.concat(present.map((p) => p.events)), rows: present.reduce((n, p) => n + p.rows, 0),
    bots: [...bots.values()], results, props, unreadable,
  };
}
