import { TokumeiError } from '@tokumei/config';
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
 * and it is bounded so a stalled worker turns into 503s at ingest rather than unbounded memory. Not durable across a
 * crash; a clean stop drains it.
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly queue: ConsumedMessage[] = [];
  private nextOffset: bigint;
  private closed = false;
  private wake: (() => void) | undefined;
  private subscriberLoop: Promise<void> | undefined;
  private stopping = false;

  constructor(private readonly options: MemoryBusOptions) {
    this.nextOffset = options.firstOffset ?? 0n;
  }

  ensureTopics(): Promise<void> {
    return Promise.resolve();
  }

  ready(): Promise<boolean> {
    return Promise.resolve(!this.closed);
  }

  publisher(): Publisher {
    return {
      publish: (messages) => this.publish(messages),
      pending: () => this.queue.length,
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

  close(): Promise<void> {
    this.closed = true;
    this.stopping = true;
    this.wake?.();
    return Promise.resolve();
  }

  private publish(messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new TokumeiError('TKM_BUS_CLOSED'));
    if (this.queue.length + messages.length > this.options.maxPending) {
      return Promise.reject(new TokumeiError('TKM_BUS_FULL'));
    }
    for (const message of messages) {
      this.queue.push({ offset: this.nextOffset, value: message.value });
      this.nextOffset += 1n;
    }
    this.wake?.();
    return Promise.resolve();
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
          return Promise.resolve();
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
