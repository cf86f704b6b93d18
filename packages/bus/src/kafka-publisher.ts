import kafkajs, { type Kafka, type PartitionMetadata, type Producer } from 'kafkajs';
import { TokumeiError } from '@tokumei/errors';
import type { Logger } from '@tokumei/config';
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
  /** The topic's partitions as the cluster reports them (kafkajs' partitioner needs them). */
  readonly partitions: () => Promise<PartitionMetadata[]>;
}

/**
 * Many small publish() calls (one per beacon) become few produce requests: while one request is in flight, new
 * messages wait and go out together in the next. The idempotent producer allows one request in flight, so this is
 * also what keeps throughput up. The wait is bounded: past `maxPending` publish() refuses with TKM_BUS_FULL.
 *
 * Each producer.send() carries one partition only. kafkajs 2.2.4 keeps a response per broker across the retries of one
 * send(): when a partition's leader dies and its new leader is a broker that already answered for another partition,
 * the retry skips that broker and send() resolves without the partition's messages ever being written (seen here as
 * beacons answered 202 and never stored after a SIGKILLed leader; kafkajs issue 1303, PR 1798). With one partition per
 * send() no other broker's answer is ever kept, so a retry always goes to the current leader, with the same sequence
 * numbers, which the idempotent producer needs to drop a batch the dead leader had already replicated.
 */
export class KafkaPublisher implements Publisher {
  private readonly producer: Producer;
  private queue: Waiting[] = [];
  private queued = 0;
  private inFlight = 0;
  private sending: Promise<void> | undefined;
  private connected: Promise<void> | undefined;
  private partitionMetadata: Promise<PartitionMetadata[]> | undefined;
  private readonly partitioner = Partitioners.DefaultPartitioner();
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
          const failed = await this.sendPerPartition(batch);
          for (const waiting of batch) {
            const error = failed.get(waiting);
            if (error === undefined) waiting.resolve();
            else waiting.reject(new TokumeiError('TKM_BUS_UNAVAILABLE', undefined, { cause: error }));
          }
        } catch (error) {
          // A failed connect must be retried by the next send, not remembered.
          this.connected = undefined;
          this.partitionMetadata = undefined;
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

  /** One send() per partition, all at once; returns the publish() calls that had a message in a failed one. */
  private async sendPerPartition(batch: readonly Waiting[]): Promise<Map<Waiting, unknown>> {
    this.partitionMetadata ??= this.options.partitions();
    const partitionMetadata = await this.partitionMetadata;
    const topic = this.options.topic;
    if (partitionMetadata.length === 0) throw new Error(`topic ${topic} has no partitions in the cluster's metadata`);
    const groups = new Map<number, { messages: { key: string; value: Buffer | string; partition: number }[]; waiters: Set<Waiting> }>();
    for (const waiting of batch) {
      for (const m of waiting.messages) {
        const partition = this.partitioner({ topic, partitionMetadata, message: { key: m.key, value: m.value } });
        let group = groups.get(partition);
        if (group === undefined) groups.set(partition, (group = { messages: [], waiters: new Set() }));
        group.messages.push({ key: m.key, value: m.value, partition });
        group.waiters.add(waiting);
      }
    }
    const failed = new Map<Waiting, unknown>();
    await Promise.all([...groups.values()].map(async (group) => {
      try {
        await this.producer.send({ topic, acks: -1, messages: group.messages });
      } catch (error) {
        this.logger.error({ err: error }, 'publishing to Kafka failed');
        // The partition count may have changed; ask again before the next send.
        this.partitionMetadata = undefined;
        for (const waiting of group.waiters) failed.set(waiting, error);
      }
    }));
    return failed;
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
