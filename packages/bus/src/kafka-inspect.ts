import { randomBytes } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import type { Logger } from '@tokumei/config';
import { describeTopicConfig } from './kafka-topics.js';
import { LazyAdmin } from './lazy-admin.js';

/** How many messages of a topic contained one needle. */
export interface TopicHit {
  readonly topic: string;
  /** Index of the needle in the list given to scanTopics (the caller knows what it stands for). */
  readonly needle: number;
  readonly messages: number;
}

export interface TopicScan {
  readonly topics: readonly string[];
  readonly messages: number;
  readonly bytes: number;
  readonly hits: readonly TopicHit[];
  /** Topics that could not be read to their end before the deadline. */
  readonly incomplete: readonly string[];
}

/**
 * Read-only looks at a Kafka cluster for the privacy audit: topic settings as the broker applies them, and a search
 * of every message of some topics for byte strings. It never changes a topic (the audit must see drift, not fix it)
 * and never commits an offset. Matches are counted, never returned: the caller learns where a value was, not what
 * surrounded it.
 */
export class KafkaInspector {
  private readonly admin: LazyAdmin;

  constructor(private readonly kafka: Kafka, private readonly clientId: string, private readonly logger: Logger) {
    this.admin = new LazyAdmin(kafka);
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin.get()).listTopics();
  }

  /** Settings of a topic (name → value), or undefined when the topic does not exist. */
  async topicConfig(topic: string, names: readonly string[]): Promise<Map<string, string> | undefined> {
    const admin = await this.admin.get();
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    return describeTopicConfig(admin, topic, names);
  }

  /** Reads every message the topics hold now (up to their current end) and counts those containing each needle. */
  async scanTopics(topics: readonly string[], needles: readonly Buffer[], timeoutMs = 60_000): Promise<TopicScan> {
    const admin = await this.admin.get();
    const remaining = new Map<string, bigint>();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(p.high) > BigInt(p.low)) remaining.set(`${topic}/${p.partition}`, BigInt(p.high));
      }
    }
    const counts = new Map<string, number>();
    let messages = 0;
    let bytes = 0;
    if (remaining.size > 0) {
      // A group of its own that never commits: the audit leaves no offsets behind and disturbs no real consumer.
      const consumer = this.kafka.consumer({ groupId: `${this.clientId}-audit-${randomBytes(6).toString('hex')}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
      const topicsToRead = [...new Set([...remaining.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))))];
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: topicsToRead, fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatch: ({ batch }) => {
            const key = `${batch.topic}/${batch.partition}`;
            for (const m of batch.messages) {
              messages += 1;
              const value = m.value ?? Buffer.alloc(0);
              const mkey = m.key ?? Buffer.alloc(0);
              bytes += value.length + mkey.length;
              needles.forEach((needle, i) => {
                if (value.includes(needle) || mkey.includes(needle)) counts.set(`${batch.topic}\n${i}`, (counts.get(`${batch.topic}\n${i}`) ?? 0) + 1);
              });
            }
            const end = remaining.get(key);
            if (end !== undefined && BigInt(batch.lastOffset()) + 1n >= end) remaining.delete(key);
            if (remaining.size === 0) finish();
            return Promise.resolve();
          },
        });
        const timer = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
        await Promise.race([done, timer]);
      } finally {
        await consumer.disconnect().catch((error: unknown) => this.logger.warn({ err: error instanceof Error ? error.message : 'unknown' }, 'audit consumer did not disconnect'));
      }
    }
    const hits = [...counts].map(([k, n]) => {
      const [topic = '', needle = '0'] = k.split('\n');
      return { topic, needle: Number(needle), messages: n };
    });
    const incomplete = [...new Set([...remaining.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))))];
    return { topics: [...topics], messages, bytes, hits, incomplete };
  }

  async close(): Promise<void> {
    await this.admin.close();
  }
}
