/**
 * The bus carries raw records from ingest and the importer to the worker. Kafka and the in-process queue implement
 * the same interface, so no caller knows which one it has.
 */
export interface BusMessage {
  readonly key: string;
  readonly value: Buffer;
}

export interface ConsumedMessage {
  readonly offset: bigint;
  readonly value: Buffer;
}

/** Messages of one partition, in offset order. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly ConsumedMessage[];
  /** Record that every message before `nextOffset` is done; the bus resumes there after a restart. */
  commit(nextOffset: bigint): Promise<void>;
  /** Tell the group this consumer is alive during long work. */
  heartbeat(): Promise<void>;
}

/** Resolves only when the batch is handled and committed; throwing makes the bus deliver the batch again. */
export type BatchHandler = (batch: PartitionBatch) => Promise<void>;

export interface Publisher {
  /**
   * Resolves once the bus has accepted the messages durably (Kafka: acknowledged by all in-sync replicas).
   * Rejects with TKM_BUS_FULL when too much is pending, TKM_BUS_CLOSED after close().
   */
  publish(messages: readonly BusMessage[]): Promise<void>;
  /** Messages accepted by publish() and not yet acknowledged. */
  pending(): number;
  /** Flushes what is pending, then disconnects. */
  close(): Promise<void>;
}

export interface Subscriber {
  /** Starts delivering batches to the handler; resolves once consuming has started. */
  run(handler: BatchHandler): Promise<void>;
  /** Finishes the batch in hand (the in-process bus: everything queued), commits, and disconnects. */
  stop(): Promise<void>;
}

export interface Bus {
  /** Creates the raw topic with Tokumei's retention if missing, and corrects the retention if it drifted. */
  ensureTopics(): Promise<void>;
  publisher(): Publisher;
  subscriber(): Subscriber;
  /** True when the bus answers within a short timeout. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}
