import { TokumeiError } from '@tokumei/errors';
import type { Journal, Replay } from './journal.js';
import type { BatchHandler, Bus, BusMessage, ConsumedMessage, PartitionBatch, Publisher, Subscriber } from './types.js';

export interface MemoryBusOptions {
  readonly topic: string;
  /** Messages held (published, not committed) before publish() refuses with TKM_BUS_FULL. */
  readonly maxPending: number;
  /** Messages handed to the handler at once. */
  readonly maxBatch?: number;
  /** Offset of the first message (default 0). */
  readonly firstOffset?: bigint;
}

/**
 * The embedded-mode bus: one ordered in-memory partition. It holds raw records only until the worker committed them,
 * and it is bounded so a stalled worker turns into 503s at ingest rather than unbounded memory. A clean stop drains
 * it; with a journal (useJournal) publish() resolves only once the records are on disk, so a crash loses nothing
 * that was acknowledged: the next process replays the journal under the same offsets.
 */
export class MemoryBus implements Bus {
  private readonly queue: ConsumedMessage[] = [];
  private nextOffset: bigint;
  private closed = false;
  private wake: (() => void) | undefined;
  private subscriberLoop: Promise<void> | undefined;
  private stopping = false;
  private journal: Journal | undefined;
  /** Published records still being written to the journal: they count against maxPending too. */
  private journaling = 0;

  constructor(private readonly options: MemoryBusOptions) {
    this.nextOffset = options.firstOffset ?? 0n;
  }

  ensureTopics(): Promise<void> {
    return Promise.resolve();
  }

  ready(): Promise<boolean> {
    return Promise.resolve(!this.closed);
  }

  /**
   * Journals every record published from now on, and queues the records the journal gave back (their offsets are
   * an earlier process's: the worker finds which of them it stored). Call before anything is published.
   */
  useJournal(journal: Journal, replay: Replay): void {
    this.journal = journal;
    this.queue.push(...replay.messages);
    const last = replay.messages[replay.messages.length - 1]?.offset;
    if (last !== undefined && last >= this.nextOffset) this.nextOffset = last + 1n;
    this.wake?.();
  }

  publisher(): Publisher {
    return {
      publish: (messages) => this.publish(messages),
      pending: () => this.queue.length + this.journaling,
      close: () => Promise.resolve(),
    };
  }

  subscriber(): Subscriber {
    return {
      run: (handler) => {
        if (this.subscriberLoop !== undefined) throw new Error('the in-process bus has one subscriber');
        this.subscriberLoop = this.consume(handler);
        return Promise.resolve();
      },
      stop: async () => {
        this.stopping = true;
        this.wake?.();
        await this.subscriberLoop;
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopping = true;
    this.wake?.();
    // What is still queued stays in the journal for the next process; the rest of the journal goes.
    await this.journal?.close(this.queue[0]?.offset ?? this.nextOffset);
  }

  private async publish(messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) throw new TokumeiError('TKM_BUS_CLOSED');
    if (this.queue.length + this.journaling + messages.length > this.options.maxPending) throw new TokumeiError('TKM_BUS_FULL');
    const first = this.nextOffset;
    this.nextOffset += BigInt(messages.length);
    const consumed = messages.map((message, i) => ({ offset: first + BigInt(i), value: message.value }));
    if (this.journal !== undefined) {
      this.journaling += messages.length;
      try {
        await this.journal.append(first, messages.map((m) => m.value));
      } finally {
        this.journaling -= messages.length;
      }
    }
    this.enqueue(consumed);
  }

  /** Appends in offset order; journal writes finish in the order they began, so this is nearly always a push. */
  private enqueue(messages: readonly ConsumedMessage[]): void {
    const first = messages[0]?.offset;
    if (first === undefined) return;
    let at = this.queue.length;
    while (at > 0 && (this.queue[at - 1]?.offset ?? 0n) > first) at -= 1;
    // splice() copies the whole queue in V8 even at its end: push is the common case.
    if (at === this.queue.length) for (const message of messages) this.queue.push(message);
    else this.queue.splice(at, 0, ...messages);
    this.wake?.();
  }

  private async consume(handler: BatchHandler): Promise<void> {
    const maxBatch = this.options.maxBatch ?? 5000;
    for (;;) {
      if (this.queue.length === 0) {
        // Stop only once drained: everything that was answered 202 gets processed on a clean stop.
        if (this.stopping) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      const messages = this.queue.slice(0, maxBatch);
      const batch: PartitionBatch = {
        topic: this.options.topic,
        partition: 0,
        messages,
        commit: (next) => {
          const done = this.queue.findIndex((m) => m.offset >= next);
          this.queue.splice(0, done === -1 ? this.queue.length : done);
          // Records still being journaled are not in the queue yet: the journal keeps everything from the first.
          return this.journal?.release(this.queue[0]?.offset ?? next) ?? Promise.resolve();
        },
        heartbeat: () => Promise.resolve(),
      };
      try {
        await handler(batch);
        // A handler may hold messages back without committing: let timers and I/O run before delivering again.
        await new Promise((resolve) => setImmediate(resolve));
      } catch {
        // The handler reports its own failure. Redeliver after a pause, as Kafka would, unless we are stopping:
        // then what is left cannot be stored and waiting would only hang the shutdown.
        if (this.stopping) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
