import kafkajs, { type Kafka, type Producer } from 'kafkajs';
import { TokumeiError, type Logger } from '@tokumei/config';
import type { BusMessage, Publisher } from './types.js';

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { Partitioners } = kafkajs;

interface Waiting {
  readonly messages: readonly BusMessage[];
  resolve(): void;
  reject(error: Error): void;
}

export interface KafkaPublisherOptions {
  readonly topic: string;
  readonly maxPending: number;
  /** Messages sent in one produce request at most. */
  readonly maxBatch?: number;
}

/**
 * Many small publish() calls (one per beacon) become few produce requests: while one request is in flight, new
 * messages wait and go out together in the next. The idempotent producer allows one request in flight, so this is
 * also what keeps throughput up. The wait is bounded: past `maxPending` publish() refuses with TKM_BUS_FULL.
 */
export class KafkaPublisher implements Publisher {
  private readonly producer: Producer;
  private queue: Waiting[] = [];
  private queued = 0;
  private inFlight = 0;
  private sending: Promise<void> | undefined;
  private connected: Promise<void> | undefined;
  private closed = false;

  constructor(kafka: Kafka, private readonly options: KafkaPublisherOptions, private readonly logger: Logger) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  pending(): number {
    return this.queued + this.inFlight;
  }

  publish(messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new TokumeiError('TKM_BUS_CLOSED'));
    if (this.pending() + messages.length > this.options.maxPending) return Promise.reject(new TokumeiError('TKM_BUS_FULL'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      this.queued += messages.length;
      this.sending ??= this.drain();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.sending;
    if (this.connected !== undefined) await this.producer.disconnect();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        try {
          this.connected ??= this.producer.connect();
          await this.connected;
          await this.producer.send({
            topic: this.options.topic,
            acks: -1,
            messages: batch.flatMap((w) => w.messages.map((m) => ({ key: m.key, value: m.value }))),
          });
          for (const waiting of batch) waiting.resolve();
        } catch (error) {
          // A failed connect must be retried by the next send, not remembered.
          this.connected = undefined;
          this.logger.error({ err: error }, 'publishing to Kafka failed');
          const failure = new TokumeiError('TKM_BUS_UNAVAILABLE', undefined, { cause: error });
          for (const waiting of batch) waiting.reject(failure);
        } finally {
          this.inFlight = 0;
        }
      }
    } finally {
      this.sending = undefined;
    }
  }

  private take(): Waiting[] {
    const max = this.options.maxBatch ?? 2000;
    const batch: Waiting[] = [];
    let count = 0;
    while (this.queue.length > 0 && count < max) {
      const next = this.queue.shift();
      if (next === undefined) break;
      batch.push(next);
      count += next.messages.length;
    }
    this.queued -= count;
    this.inFlight = count;
    return batch;
  }
}
