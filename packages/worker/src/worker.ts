import type { ConsumedMessage, PartitionBatch, Subscriber } from '@tokumei/bus';
import type { Config, Logger } from '@tokumei/config';
import type { EventRow, PropsCount, Pseudonymizer } from '@tokumei/privacy';
import { cutChunks, dedupToken, type Chunk } from './chunks.js';
import type { WorkerMetrics } from './metrics.js';
import type { ClickHouseSink } from './sink.js';
import type { TransformPool } from './transform-pool.js';
import { pseudonymizeBatch, yieldToLoop, type BatchCounts } from './transform-batch.js';

/** How long the worker waits between attempts at a ClickHouse write that failed: doubling from base up to max. */
export interface RetryPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

const DEFAULT_RETRY: RetryPolicy = { baseMs: 200, maxMs: 5000 };
/** Pseudonymizing runs in slices of at most this long, so ingest sharing the event loop answers in between. */
const SLICE_MS = 4;


export interface WorkerDeps {
  readonly config: Pick<Config, 'batchSize'>;
  readonly retry?: RetryPolicy;
  readonly subscriber: Subscriber;
  readonly sink: ClickHouseSink;
  readonly pseudonymizer: Pseudonymizer;
  readonly logger: Logger;
  readonly metrics: WorkerMetrics;
  /** Pseudonymize in these threads instead of on this one (`tokumei import`): same engine, same salts, same rows. */
  readonly pool?: TransformPool;
}

/**
 * Consumes raw records, pseudonymizes them and stores the rows. Per chunk: record its offset range, insert its rows
 * with a token made from that range, then commit. A crash anywhere in between leads to a redelivery that is cut into
 * the same chunk and dropped by ClickHouse as a duplicate: nothing lost, nothing counted twice.
 */
export class Worker {
  private readonly log: Logger;
  /** Per partition, the offset the next batch should start at if nothing was redelivered. */
  private readonly expected = new Map<string, bigint>();
  /** Per partition, the start of a pending range that the last batch held only part of. */
  private readonly held = new Map<string, readonly ConsumedMessage[]>();
  private stopping = false;
  private failingSince: number | undefined;
  private cancelWait: (() => void) | undefined;

  constructor(private readonly deps: WorkerDeps) {
    this.log = deps.logger.child({ module: 'worker' });
  }

  start(): Promise<void> {
    return this.deps.subscriber.run((batch) => this.handle(batch));
  }

  /** Finishes the batch in hand. A write that keeps failing is given up (left uncommitted, so delivered again). */
  stop(): Promise<void> {
    this.stopping = true;
    this.cancelWait?.();
    return this.deps.subscriber.stop();
  }

  /** False while ClickHouse refuses the worker's writes (from the first failure to the next success): for /readyz. */
  storeHealthy(): boolean {
    return this.failingSince === undefined;
  }

  /**
   * `giveUpAfterMs`: stop retrying a failing write after this long and reject (for callers that can send the batch
   * again themselves, like `tokumei import`); by default the worker waits as long as ClickHouse is down.
   */
  async handle(batch: PartitionBatch, options: { readonly giveUpAfterMs?: number } = {}): Promise<void> {
    const giveUpAt = Date.now() + (options.giveUpAfterMs ?? Number.POSITIVE_INFINITY);
    const key = `${batch.topic}:${batch.partition}`;
    const messages = this.withHeld(key, batch.messages);
    const first = messages[0];
    if (first === undefined) return;
    // Ranges are looked up only when a batch does not continue where the last one ended: at start, after a
    // rebalance or after a redelivery. In steady state the worker never reads from ClickHouse.
    const recorded = this.expected.get(key) === first.offset
      ? []
      : await this.retrying(batch, giveUpAt, () => this.deps.sink.recordedRanges(batch.topic, batch.partition, first.offset));
    try {
      for (const chunk of cutChunks(messages, recorded, this.deps.config.batchSize)) {
        if (chunk.partial) {
          // Only the whole range can be retried under its token: keep this part, uncommitted, for the next batch.
          this.held.set(key, chunk.messages);
          this.expected.delete(key);
          return;
        }
        if (chunk.action !== 'skip') await this.store(batch, chunk, giveUpAt);
        await batch.commit(chunk.last + 1n);
        this.expected.set(key, chunk.last + 1n);
        await batch.heartbeat();
        await yieldToLoop();
      }
    } catch (error) {
      // The batch comes again; whatever this attempt left in ClickHouse must be looked up, not assumed.
      this.expected.delete(key);
      throw error;
    }
  }

  /** Prepends held messages when the batch continues right after them (otherwise the batch repeats them itself). */
  private withHeld(key: string, messages: readonly ConsumedMessage[]): readonly ConsumedMessage[] {
    const held = this.held.get(key);
    this.held.delete(key);
    const lastHeld = held?.[held.length - 1]?.offset;
    return held !== undefined && lastHeld !== undefined && messages[0]?.offset === lastHeld + 1n ? [...held, ...messages] : messages;
  }

  /**
   * Runs a ClickHouse write until it succeeds, waiting longer after each failure and telling the bus the consumer is
   * alive meanwhile. Every write here may be repeated: ranges are grouped by offsets, inserts carry a token.
   */
  private async retrying<T>(batch: PartitionBatch, giveUpAt: number, write: () => Promise<T>): Promise<T> {
    const policy = this.deps.retry ?? DEFAULT_RETRY;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const result = await write();
        if (this.failingSince !== undefined) {
          this.log.info({ downMs: Date.now() - this.failingSince, attempts: attempt }, 'ClickHouse takes writes again');
          this.failingSince = undefined;
        }
        return result;
      } catch (error) {
        if (this.failingSince === undefined) {
          this.failingSince = Date.now();
          this.log.warn({ err: error }, 'ClickHouse write failed: retrying with backoff');
        }
        this.deps.metrics.storeRetries.inc();
        if (this.stopping || Date.now() >= giveUpAt) throw error;
        const delay = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 20));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay * (0.75 + Math.random() / 2));
          this.cancelWait = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.cancelWait = undefined;
        await batch.heartbeat();
      }
    }
  }

  /** Counted, never logged: a key that was not allow-listed is sender data too. `replaced` values are also kept. */
  private countProps(props: PropsCount): void {
    if (props.kept > 0) this.deps.metrics.props.inc({ result: 'kept' }, props.kept);
    if (props.dropped > 0) this.deps.metrics.props.inc({ result: 'dropped' }, props.dropped);
    if (props.replaced > 0) this.deps.metrics.props.inc({ result: 'replaced' }, props.replaced);
  }

  private async store(batch: PartitionBatch, chunk: Chunk, giveUpAt: number): Promise<void> {
    const started = performance.now();
    if (chunk.action === 'new') await this.retrying(batch, giveUpAt, () => this.deps.sink.recordRange(batch.topic, batch.partition, chunk, false));
    const values = chunk.messages.map((m) => m.value);
    // In threads the rows come back encoded; on this thread they stay objects, pseudonymized in slices.
    const encoded = await this.deps.pool?.transform(values);
    const rows: EventRow[] = [];
    const output: BatchCounts = encoded ?? await pseudonymizeBatch(this.deps.pseudonymizer, values, (row) => rows.push(row), SLICE_MS);
    for (const { index, reason } of output.unreadable) {
      // Only the offset and the reason are kept: the payload may hold an IP and never goes anywhere else.
      this.log.warn({ partition: batch.partition, offset: String(chunk.messages[index]?.offset), reason }, 'unreadable raw record');
    }
    for (const [result, n] of Object.entries(output.results)) this.deps.metrics.records.inc({ result }, n);
    this.countProps(output.props);
    await this.retrying(batch, giveUpAt, () => this.deps.sink.insertBots(output.bots, dedupToken(batch.topic, batch.partition, chunk, 'bots_daily')));
    const token = dedupToken(batch.topic, batch.partition, chunk, 'events');
    await this.retrying(batch, giveUpAt, () => (encoded === undefined ? this.deps.sink.insertEvents(rows, token) : this.deps.sink.insertEncodedEvents(encoded.events, token)));
    // Marks the range stored, so a later redelivery skips its messages however the fetch cuts them.
    await this.retrying(batch, giveUpAt, () => this.deps.sink.recordRange(batch.topic, batch.partition, chunk, true));
    this.deps.metrics.chunkSeconds.observe((performance.now() - started) / 1000);
    this.deps.metrics.rows.inc(output.rows);
  }
}
