import kafkajs, { type Admin } from 'kafkajs';
import type { Logger } from '@tokumei/config';

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { ConfigResourceTypes } = kafkajs;

export interface RawTopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly retentionMs: number;
}

/**
 * Raw records hold IPs and user agents, so how long Kafka keeps them is a privacy promise: Tokumei creates the topic
 * with its retention and puts the retention back if someone changed it. Segments roll at most hourly, because Kafka
 * deletes whole segments only: a segment that never closes would never be deleted.
 */
export function rawTopicConfig(spec: RawTopicSpec): { name: string; value: string }[] {
  return [
    { name: 'retention.ms', value: String(spec.retentionMs) },
    { name: 'segment.ms', value: String(Math.min(spec.retentionMs, 3_600_000)) },
    { name: 'cleanup.policy', value: 'delete' },
  ];
}

export async function ensureRawTopic(admin: Admin, spec: RawTopicSpec, logger: Logger): Promise<void> {
  const wanted = rawTopicConfig(spec);
  const existing = await admin.listTopics();
  if (!existing.includes(spec.topic)) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: spec.topic, numPartitions: spec.partitions, configEntries: wanted }],
    });
    logger.info({ topic: spec.topic, partitions: spec.partitions, retentionMs: spec.retentionMs }, 'created raw topic');
    return;
  }
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.topic, configNames: wanted.map((w) => w.name) }],
  });
  const entries = described.resources[0]?.configEntries ?? [];
  const drifted = wanted.filter((w) => entries.find((e) => e.configName === w.name)?.configValue !== w.value);
  if (drifted.length > 0) {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: spec.topic, configEntries: wanted }] });
    logger.warn({ topic: spec.topic, corrected: drifted.map((d) => d.name) }, 'raw topic settings differed from the configuration; corrected');
  }
}

/** The raw topic's retention as Kafka reports it, for the audit. */
export async function topicRetentionMs(admin: Admin, topic: string): Promise<number | undefined> {
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
  });
  const value = described.resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue;
  return value === undefined ? undefined : Number(value);
}
