import kafkajs, { type Kafka, type PartitionMetadata, type Producer } from 'kafkajs';
import { TokumeiError } from '@tokumei/errors';
import type { Logger } from '@tokumei/config';
import type { BusMessage, Publisher } from './types.js';

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { Partitioners } = kafkajs;

/** One publish() call: it resolves once every part of it, in whichever lanes, was acknowledged. */
interface Waiter {
  remaining: number;
  failure: unknown;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/** The messages of one publish() call that go to one partition. */
interface Part {
  readonly partition: number;
  readonly messages: { key: string; value: Buffer; partition: number }[];
  readonly waiter: Waiter;
}

/** A producer of its own (its own connection, its own producer id) for some of the partitions. */
interface Lane {
  readonly producer: Producer;
  connected: Promise<void> | undefined;
  queue: Part[];
  sending: Promise<void> | undefined;
}

export interface KafkaPublisherOptions {
  readonly topic: string;
  readonly maxPending: number;
  /** Messages sent in one produce request at most. */
  readonly maxBatch?: number;
  /** Producers (connections) the partitions are spread over, at most one per partition (default 4). */
  readonly lanes?: number;
  /**
   * How long a lane that is idle waits for more publishes before sending (default 2 ms); what arrives while its
   * request is in flight goes out together in its next one, without waiting again.
   */
  readonly lingerMs?: number;
  /** The topic's partitions as the cluster reports them (kafkajs' partitioner needs them). */
  readonly partitions: () => Promise<PartitionMetadata[]>;
}

const DEFAULT_LANES = 4;
const DEFAULT_LINGER_MS = 2;

/**
 * Many small publish() calls (one per beacon) become few produce requests: while a lane's request is in flight, new
 * messages wait and go out together in its next one. The idempotent producer allows one request in flight per
 * connection, so partitions are spread over a few producers (lanes), each with its own connection and producer id:
 * one partition's request no longer waits behind another's (measured: bench/README.md, 2026-12-01 evening). The wait
 * is bounded: past `maxPending` unacknowledged messages publish() refuses with TKM_BUS_FULL. A message's partition is
 * kafkajs' default partitioner's choice, so the key → partition mapping is the same as one producer's.
 *
 * Each producer.send() carries one partition only. kafkajs 2.2.4 keeps a response per broker across the retries of one
 * send(): when a partition's leader dies and its new leader is a broker that already answered for another partition,
 * the retry skips that broker and send() resolves without the partition's messages ever being written (seen here as
 * beacons answered 202 and never stored after a SIGKILLed leader; kafkajs issue 1303, PR 1798). With one partition per
 * send() no other broker's answer is ever kept, so a retry always goes to the current leader, with the same sequence
 * numbers, which the idempotent producer needs to drop a batch the dead leader had already replicated.
 */
export class KafkaPublisher implements Publisher {
  private readonly lanes: Lane[];
  private pendingCount = 0;
  private partitionMetadata: Promise<PartitionMetadata[]> | undefined;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  private closed = false;

  constructor(kafka: Kafka, private readonly options: KafkaPublisherOptions, private readonly logger: Logger) {
    this.lanes = Array.from({ length: Math.max(1, options.lanes ?? DEFAULT_LANES) }, () => ({
      producer: kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      }),
      connected: undefined,
      queue: [],
      sending: undefined,
    }));
  }

  pending(): number {
    return this.pendingCount;
  }

  publish(messages: readonly BusMessage[]): Promise<void> {
    if (this.closed) return Promise.reject(new TokumeiError('TKM_BUS_CLOSED'));
    if (this.pendingCount + messages.length > this.options.maxPending) return Promise.reject(new TokumeiError('TKM_BUS_FULL'));
    if (messages.length === 0) return Promise.resolve();
    this.pendingCount += messages.length;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { remaining: 0, failure: undefined, resolve, reject };
      this.partitionMetadata ??= this.options.partitions();
      this.partitionMetadata.then((metadata) => this.route(messages, metadata, waiter)).catch((error: unknown) => {
        this.partitionMetadata = undefined;
        this.logger.error({ err: error }, 'publishing to Kafka failed: no partition metadata');
        waiter.remaining = 1;
        this.settle(waiter, messages.length, error);
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    // Publishes still waiting for the partition metadata are queued on their lanes once it arrives.
    await this.partitionMetadata?.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    // A lane may take more parts after one drain ends (publishes that were waiting for metadata): wait until none runs.
    for (let running = this.running(); running.length > 0; running = this.running()) await Promise.all(running);
    for (const lane of this.lanes) if (lane.connected !== undefined) await lane.producer.disconnect().catch(() => undefined);
  }

  private running(): Promise<void>[] {
    return this.lanes.flatMap((lane) => (lane.sending === undefined ? [] : [lane.sending]));
  }

  /** Splits a publish() call by partition and queues each part on its partition's lane. */
  private route(messages: readonly BusMessage[], partitionMetadata: PartitionMetadata[], waiter: Waiter): void {
    const topic = this.options.topic;
    if (partitionMetadata.length === 0) throw new Error(`topic ${topic} has no partitions in the cluster's metadata`);
    const parts = new Map<number, Part>();
    for (const m of messages) {
      const partition = this.partitioner({ topic, partitionMetadata, message: { key: m.key, value: m.value } });
      let part = parts.get(partition);
      if (part === undefined) parts.set(partition, (part = { partition, messages: [], waiter }));
      part.messages.push({ key: m.key, value: m.value, partition });
    }
    waiter.remaining = parts.size;
    for (const part of parts.values()) {
      const lane = this.lanes[part.partition % this.lanes.length];
      if (lane === undefined) continue;
      lane.queue.push(part);
      lane.sending ??= this.drain(lane);
    }
  }

  private settle(waiter: Waiter, count: number, error: unknown): void {
    this.pendingCount -= count;
    if (error !== undefined) waiter.failure ??= error;
    waiter.remaining -= 1;
    if (waiter.remaining > 0) return;
    if (waiter.failure === undefined) waiter.resolve();
    else waiter.reject(new TokumeiError('TKM_BUS_UNAVAILABLE', undefined, { cause: waiter.failure }));
  }

  private async drain(lane: Lane): Promise<void> {
    try {
      const linger = this.options.lingerMs ?? DEFAULT_LINGER_MS;
      if (linger > 0) await new Promise((resolve) => setTimeout(resolve, linger));
      while (lane.queue.length > 0) {
        const batch = this.take(lane);
        try {
          lane.connected ??= lane.producer.connect();
          await lane.connected;
        } catch (error) {
          // A failed connect must be retried by the next send, not remembered.
          lane.connected = undefined;
          this.partitionMetadata = undefined;
          this.logger.error({ err: error }, 'publishing to Kafka failed');
          for (const part of batch) this.settle(part.waiter, part.messages.length, error);
          continue;
        }
        await this.sendPerPartition(lane, batch);
      }
    } finally {
      lane.sending = undefined;
    }
  }

  /** One send() per partition (see the class comment); settles every part of the batch. */
  private async sendPerPartition(lane: Lane, batch: readonly Part[]): Promise<void> {
    const topic = this.options.topic;
    const groups = new Map<number, Part[]>();
    for (const part of batch) {
      const group = groups.get(part.partition);
      if (group === undefined) groups.set(part.partition, [part]);
      else group.push(part);
    }
    await Promise.all([...groups.values()].map(async (parts) => {
      let failure: unknown;
      try {
        await lane.producer.send({ topic, acks: -1, messages: parts.flatMap((part) => part.messages) });
      } catch (error) {
        failure = error;
        this.logger.error({ err: error }, 'publishing to Kafka failed');
        // The partition count may have changed; ask again before the next send.
        this.partitionMetadata = undefined;
      }
      for (const part of parts) this.settle(part.waiter, part.messages.length, failure);
    }));
  }

  private take(lane: Lane): Part[] {
    const max = this.options.maxBatch ?? 2000;
    let count = 0;
    let n = 0;
    while (n < lane.queue.length && (n === 0 || count + (lane.queue[n]?.messages.length ?? 0) <= max)) {
      count += lane.queue[n]?.messages.length ?? 0;
      n += 1;
    }
    return lane.queue.splice(0, n);
  }
}
