import type { Consumer, Kafka } from 'kafkajs';
import type { Logger } from '@tokumei/config';
import type { BatchHandler, Subscriber } from './types.js';

const DISCONNECT_TIMEOUT_MS = 10_000;

export interface KafkaSubscriberOptions {
  readonly topic: string;
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
}

/**
 * Offsets are committed only by the handler, after ClickHouse acknowledged the rows (autoCommit off), and batches
 * of one partition are handled one after another, so commits never run ahead of what is stored.
 * maxBytesPerPartition is large enough that a redelivered fetch holds at least the chunk the worker cut from it
 * before (the worker's chunk size times the largest record): see packages/worker/README.md.
 */
export class KafkaSubscriber implements Subscriber {
  private readonly consumer: Consumer;
  private running = false;

  constructor(kafka: Kafka, private readonly options: KafkaSubscriberOptions, private readonly logger: Logger) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.floor(options.sessionTimeoutMs / 10),
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      maxWaitTimeInMs: 250,
    });
  }

  async run(handler: BatchHandler): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.options.topic], fromBeginning: true });
    this.running = true;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async (payload) => {
        const { batch } = payload;
        if (!payload.isRunning() || payload.isStale()) return;
        await handler({
          topic: batch.topic,
          partition: batch.partition,
          messages: batch.messages.map((m) => ({ offset: BigInt(m.offset), value: m.value ?? Buffer.alloc(0) })),
          heartbeat: () => payload.heartbeat(),
          commit: async (next) => {
            payload.resolveOffset(String(next - 1n));
            await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(next) }]);
          },
        });
      },
    });
    this.logger.info({ topic: this.options.topic, group: this.options.groupId }, 'consuming');
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    // disconnect() waits for the batch in hand to finish, so its commit is not lost. After a broker restart kafkajs
    // can be stuck in its own restart back-off and never finish (seen in the fault tests): the wait is bounded, and
    // nothing is lost by giving up, since only offsets whose rows ClickHouse acknowledged were ever committed.
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), DISCONNECT_TIMEOUT_MS);
    });
    const outcome = await Promise.race([this.consumer.disconnect().then(() => 'done' as const), gaveUp]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.logger.warn({ timeoutMs: DISCONNECT_TIMEOUT_MS }, 'Kafka consumer did not disconnect in time; leaving uncommitted offsets to redelivery');
  }
}
