import kafkajs, { type Admin } from 'kafkajs';
import type { Logger } from '@tokumei/config';

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { ConfigResourceTypes } = kafkajs;

export interface TopicConfigEntry {
  readonly name: string;
  readonly value: string;
}

export interface RawTopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly retentionMs: number;
  /** Replicas per partition; undefined leaves both it and min.insync.replicas to the brokers' defaults. */
  readonly replication?: number | undefined;
}

/** A topic whose settings are a privacy promise: created with them, and put back when they drifted. */
export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** Undefined: the brokers' default.replication.factor. */
  readonly replicationFactor?: number | undefined;
  readonly config: readonly TopicConfigEntry[];
  /** Names the topic in log lines ("raw", "shared register"). */
  readonly purpose: string;
}

const HOUR_MS = 3_600_000;

/**
 * Raw records hold IPs and user agents, so how long Kafka keeps them is a privacy promise: Tokumei creates the topic
 * with its retention and puts the retention back if someone changed it. Segments roll at most hourly, because Kafka
 * deletes whole segments only: a segment that never closes would never be deleted.
 */
export function rawTopicConfig(spec: RawTopicSpec): TopicConfigEntry[] {
  return [
    { name: 'retention.ms', value: String(spec.retentionMs) },
    { name: 'segment.ms', value: String(Math.min(spec.retentionMs, HOUR_MS)) },
    { name: 'cleanup.policy', value: 'delete' },
    ...(spec.replication === undefined ? [] : [{ name: 'min.insync.replicas', value: String(minInsyncReplicas(spec.replication)) }]),
  ];
}

/**
 * A beacon answered 202 was written with acks=all, i.e. to every in-sync replica; requiring a majority of replicas in
 * sync means such a write survives the loss of any minority of brokers (1 of 3), while a majority keeps accepting.
 */
export function minInsyncReplicas(replication: number): number {
  return Math.floor(replication / 2) + 1;
}

/**
 * The shared register holds secrets (salts). Compaction removes a value soon after its tombstone; `delete` next to it
 * bounds every record's life by retention.ms even if the cleaner never runs. Segments roll at most hourly so both can
 * act (neither touches the segment being written, except retention once all of it expired). Tombstones go after a
 * minute, and the cleaner starts as soon as anything is dirty. LogAppendTime: retention counts from when the broker
 * stored the record, so a producer with a wrong clock cannot stretch it. With `replication` (TOKUMEI_RAW_REPLICATION,
 * the one replica count Tokumei sets) writes need a majority of replicas in sync, as on the raw topic.
 */
export function registerTopicConfig(retentionMs: number, replication?: number): TopicConfigEntry[] {
  return [
    { name: 'cleanup.policy', value: 'compact,delete' },
    { name: 'retention.ms', value: String(retentionMs) },
    { name: 'segment.ms', value: String(Math.min(retentionMs, HOUR_MS)) },
    { name: 'delete.retention.ms', value: '60000' },
    { name: 'min.cleanable.dirty.ratio', value: '0.01' },
    { name: 'min.compaction.lag.ms', value: '0' },
    { name: 'message.timestamp.type', value: 'LogAppendTime' },
    // A salt proposal is written with acks=all like a beacon: the same majority rule keeps it through a broker loss.
    ...(replication === undefined ? [] : [{ name: 'min.insync.replicas', value: String(minInsyncReplicas(replication)) }]),
  ];
}

/** List values ("compact,delete") mean the same in any order. */
function sameValue(actual: string | undefined, wanted: string): boolean {
  const norm = (v: string) => v.split(',').map((p) => p.trim()).sort().join(',');
  return actual !== undefined && norm(actual) === norm(wanted);
}

export async function ensureTopic(admin: Admin, spec: TopicSpec, logger: Logger): Promise<void> {
  const wanted = [...spec.config];
  const existing = await admin.listTopics();
  if (!existing.includes(spec.topic)) {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: spec.topic, numPartitions: spec.partitions, replicationFactor: spec.replicationFactor, configEntries: wanted }],
    });
    const settings = Object.fromEntries(wanted.map((w) => [w.name, w.value]));
    if (created) {
      logger.info({ topic: spec.topic, partitions: spec.partitions, settings }, `created ${spec.purpose} topic`);
      return;
    }
    // Another process created it in between: check its settings like any existing topic's.
  }
  if (spec.replicationFactor !== undefined) await warnOnReplicationDrift(admin, spec, logger);
  const entries = await describeTopicConfig(admin, spec.topic, wanted.map((w) => w.name));
  const drifted = wanted.filter((w) => !sameValue(entries.get(w.name), w.value));
  if (drifted.length > 0) {
    // alterConfigs replaces the topic's whole override set, so it gets every wanted entry, not only the drifted ones.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.topic, configEntries: wanted }] });
    logger.warn({ topic: spec.topic, corrected: drifted.map((d) => d.name) }, `${spec.purpose} topic settings differed from the configuration; corrected`);
  }
}

/** Kafka changes a replica count only through a partition reassignment, which is the operator's call: just say so. */
async function warnOnReplicationDrift(admin: Admin, spec: TopicSpec, logger: Logger): Promise<void> {
  const metadata = await admin.fetchTopicMetadata({ topics: [spec.topic] });
  const counts = new Set((metadata.topics[0]?.partitions ?? []).map((p) => p.replicas.length));
  if (counts.size > 0 && (counts.size > 1 || !counts.has(spec.replicationFactor ?? 0))) {
    logger.warn({ topic: spec.topic, replicas: [...counts], wanted: spec.replicationFactor },
      `${spec.purpose} topic has a different replica count than configured; Kafka changes it only by partition reassignment`);
  }
}

export function ensureRawTopic(admin: Admin, spec: RawTopicSpec, logger: Logger): Promise<void> {
  return ensureTopic(admin, {
    topic: spec.topic, partitions: spec.partitions, replicationFactor: spec.replication, config: rawTopicConfig(spec), purpose: 'raw',
  }, logger);
}

/** Settings of a topic as Kafka reports them (name → value). */
export async function describeTopicConfig(admin: Admin, topic: string, names: readonly string[]): Promise<Map<string, string>> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: [...names] }],
  });
  const entries = described.resources[0]?.configEntries ?? [];
  return new Map(entries.map((e) => [e.configName, e.configValue]));
}

/** The raw topic's retention as Kafka reports it, for the audit. */
export async function topicRetentionMs(admin: Admin, topic: string): Promise<number | undefined> {
  const value = (await describeTopicConfig(admin, topic, ['retention.ms'])).get('retention.ms');
  return value === undefined ? undefined : Number(value);
}
