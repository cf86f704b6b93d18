import type { Kafka } from 'kafkajs';
import type { Config, KafkaConfig, Logger } from '@tokumei/config';
import { createKafka } from './kafka-client.js';
import { KafkaInspector } from './kafka-inspect.js';
import { LazyAdmin } from './lazy-admin.js';
import { KafkaPublisher, type KafkaPublisherOptions } from './kafka-publisher.js';
import { KafkaRegister } from './kafka-register.js';
import { KafkaSubscriber } from './kafka-subscriber.js';
import { ensureRawTopic, topicRetentionMs } from './kafka-topics.js';
import type { SharedRegister, SharedRegisterOptions } from './shared-register.js';
import type { Bus, Publisher, Subscriber } from './types.js';

type KafkaBusConfig = Pick<Config, 'rawTopic' | 'rawPartitions' | 'rawRetentionMs' | 'rawReplication' | 'busMaxPending' | 'consumerGroup'>;

export class KafkaBus implements Bus {
  private readonly kafka: Kafka;
  private readonly admin: LazyAdmin;
  private readonly log: Logger;
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(private readonly kafkaConfig: KafkaConfig, private readonly config: KafkaBusConfig, logger: Logger) {
    this.log = logger.child({ module: 'bus' });
    this.kafka = createKafka(kafkaConfig, logger);
    this.admin = new LazyAdmin(this.kafka);
  }

  async ensureTopics(): Promise<void> {
    const spec = {
      topic: this.config.rawTopic, partitions: this.config.rawPartitions, retentionMs: this.config.rawRetentionMs,
      replication: this.config.rawReplication,
    };
    await ensureRawTopic(await this.admin.get(), spec, this.log);
  }

  /** The retention Kafka really applies to the raw topic (for the audit). */
  async rawRetentionMs(): Promise<number | undefined> {
    return topicRetentionMs(await this.admin.get(), this.config.rawTopic);
  }

  /**
   * Per partition of the raw topic, the offset the next record will get. `tokumei import` waits until the worker group
   * has committed these (workerOffsets) to know that the records it published are stored.
   */
  async rawEndOffsets(): Promise<Map<number, bigint>> {
    const offsets = await (await this.admin.get()).fetchTopicOffsets(this.config.rawTopic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  }

  /** Offsets the worker group committed on the raw topic, per partition (-1: nothing committed yet). */
  async workerOffsets(): Promise<Map<number, bigint>> {
    const [topic] = await (await this.admin.get()).fetchOffsets({ groupId: this.config.consumerGroup, topics: [this.config.rawTopic] });
    return new Map((topic?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  }

  /** `tuning`: the publisher's lanes and linger (bench/ingest compares them; the defaults are what it measured best). */
  publisher(tuning: Pick<KafkaPublisherOptions, 'lanes' | 'lingerMs'> = {}): Publisher {
    const publisher = new KafkaPublisher(this.kafka, {
      ...tuning,
      topic: this.config.rawTopic,
      maxPending: this.config.busMaxPending,
      partitions: async () => (await (await this.admin.get()).fetchTopicMetadata({ topics: [this.config.rawTopic] })).topics[0]?.partitions ?? [],
    }, this.log);
    this.closers.push(() => publisher.close());
    return publisher;
  }

  subscriber(): Subscriber {
    const subscriber = new KafkaSubscriber(this.kafka, {
      topic: this.config.rawTopic, groupId: this.config.consumerGroup, sessionTimeoutMs: this.kafkaConfig.sessionTimeoutMs,
    }, this.log);
    this.closers.push(() => subscriber.stop());
    return subscriber;
  }

  /** A register shared by every process on this Kafka (the embedded mode keeps its register in a file instead). */
  sharedRegister(options: SharedRegisterOptions): SharedRegister {
    const register = new KafkaRegister(this.kafka, {
      ...options, clientId: this.kafkaConfig.clientId, sessionTimeoutMs: this.kafkaConfig.sessionTimeoutMs,
      // Salts are as needed as raw records: a register on one replica would stop every worker when its broker goes.
      replication: this.config.rawReplication,
    }, this.log);
    this.closers.push(() => register.close());
    return register;
  }

  /** Read-only views of the cluster for the privacy audit (topic settings, message search). */
  inspector(): KafkaInspector {
    const inspector = new KafkaInspector(this.kafka, this.kafkaConfig.clientId, this.log);
    this.closers.push(() => inspector.close());
    return inspector;
  }

  async ready(): Promise<boolean> {
    try {
      const admin = await this.admin.get();
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref());
      await Promise.race([admin.fetchTopicMetadata({ topics: [this.config.rawTopic] }), timeout]);
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    for (const close of this.closers.splice(0)) await close();
    await this.admin.close();
  }
}
