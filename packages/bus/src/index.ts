import type { Config, Logger } from '@tokumei/config';
import { KafkaBus } from './kafka-bus.js';
import { MemoryBus } from './memory-bus.js';
import type { Bus } from './types.js';

export type { Bus, BusMessage, ConsumedMessage, PartitionBatch, BatchHandler, Publisher, Subscriber } from './types.js';
export { MemoryBus, type MemoryBusOptions } from './memory-bus.js';
export { KafkaBus } from './kafka-bus.js';
export { rawTopicConfig, registerTopicConfig } from './kafka-topics.js';
export { KafkaRegister, type KafkaRegisterOptions } from './kafka-register.js';

/** Kafka when KAFKA_BROKERS is set, otherwise the in-process queue: the only switch between the two modes. */
export function createBus(config: Config, logger: Logger): Bus {
  if (config.kafka !== undefined) return new KafkaBus(config.kafka, config, logger);
  return new MemoryBus({ topic: config.rawTopic, maxPending: config.busMaxPending });
}
export type { SharedRegister, SharedRegisterOptions } from './shared-register.js';
