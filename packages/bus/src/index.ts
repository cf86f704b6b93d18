import type { Config, Logger } from '@tokumei/config';
import { KafkaBus } from './kafka-bus.js';
import { MemoryBus } from './memory-bus.js';
import type { Bus } from './types.js';

export type { Bus, BusMessage, ConsumedMessage, PartitionBatch, BatchHandler, Publisher, Subscriber } from './types.js';
export { MemoryBus, type MemoryBusOptions } from './memory-bus.js';
export { Journal, journalDir, journalMaxBytes, type JournalOptions, type Replay } from './journal.js';
export { inspectJournal, type JournalStat, type SegmentStat } from './journal-format.js';
export { KafkaBus } from './kafka-bus.js';
export { rawTopicConfig, registerTopicConfig } from './kafka-topics.js';
export { KafkaRegister, type KafkaRegisterOptions } from './kafka-register.js';
export { KafkaInspector, type TopicScan, type TopicHit } from './kafka-inspect.js';

/** Kafka when KAFKA_BROKERS is set, otherwise the in-process queue: the only switch between the two modes. */
export function createBus(config: Config, logger: Logger): Bus {
  if (config.kafka !== undefined) return new KafkaBus(config.kafka, config, logger);
  // The worker skips offset ranges it finds stored in ClickHouse (ingest_ranges, kept 7 days). This queue starts anew
  // with every process, so its offsets must never repeat an earlier process's: start from the clock in microseconds
  // (a process would have to publish more than a million records per millisecond of its life to catch up with the next).
  return new MemoryBus({ topic: config.rawTopic, maxPending: config.busMaxPending, firstOffset: BigInt(Date.now()) * 1000n });
}
export type { SharedRegister, SharedRegisterOptions } from './shared-register.js';
