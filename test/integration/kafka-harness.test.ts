/**
 * Proves the Kafka harness serves real traffic: keyed messages over two
 * partitions, read back through a consumer group exactly once and in per-key
 * order. If this fails, every other integration test's failure is suspect.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';

const KEYS = ['alpha', 'bravo', 'charlie', 'delta', 'echo'] as const;
const MESSAGES_PER_KEY = 10;
const TOTAL = KEYS.length * MESSAGES_PER_KEY;

interface Received {
  key: string;
  bodyKey: string;
  seq: number;
  partition: number;
}

describe('Kafka test harness', () => {
  const runId = randomUUID().slice(0, 8);
  const topic = `harness-test-${runId}`;
  const kafka = new Kafka({
    clientId: `harness-test-${runId}`,
    brokers: inject('kafkaBrokers').split(','),
    logLevel: logLevel.WARN,
  });
  // Created up front (no I/O until connect) so afterAll can always disconnect them.
  const admin = kafka.admin();
  // Explicit partitioner: keyed messages must land where the Java client would put them.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  // disconnect() waits out the in-flight fetch long-poll (5 s by default); keep it short.
  const consumer = kafka.consumer({ groupId: `harness-test-${runId}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });

  beforeAll(async () => {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
    await Promise.all([producer.connect(), consumer.connect()]);
  });

  afterAll(async () => {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect()]);
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  });

  it('delivers keyed messages exactly once and in per-key order through a consumer group', { timeout: 60_000 }, async () => {
    // Several sends, keys interleaved, so ordering is tested across requests and not just within one batch.
    for (let seq = 0; seq < MESSAGES_PER_KEY; seq++) {
      await producer.send({
        topic,
        acks: -1,
        messages: KEYS.map((key) => ({ key, value: JSON.stringify({ key, seq }) })),
      });
    }

    const received: Received[] = [];
    let allArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (allArrived = resolve));
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        // No expect() in here: a throw makes kafkajs redeliver, turning a failure into a timeout.
        const body = JSON.parse(message.value?.toString() ?? 'null') as { key: string; seq: number };
        received.push({ key: message.key?.toString() ?? '', bodyKey: body.key, seq: body.seq, partition });
        if (received.length >= TOTAL) allArrived();
        return Promise.resolve();
      },
    });
    await arrived;
    // A duplicate delivery (a rebalance replay, say) could still come until the group has committed every offset it
    // read; from then on it resumes from the end. A message the producer wrote twice is counted by the end offsets,
    // so the consumer must have received it too before the group gets there.
    await vi.waitFor(async () => {
      const ends = await admin.fetchTopicOffsets(topic);
      const [committed] = await admin.fetchOffsets({ groupId: `harness-test-${runId}`, topics: [topic] });
      const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
      expect(ends.map((e) => `${e.partition}:${done.get(e.partition)}`)).toEqual(ends.map((e) => `${e.partition}:${e.high}`));
    }, { timeout: 30_000, interval: 100 });

    expect(received).toHaveLength(TOTAL);
    expect(received.filter((message) => message.key !== message.bodyKey)).toEqual([]);
    const ids = received.map((message) => `${message.key}#${message.seq}`);
    expect(new Set(ids).size).toBe(TOTAL);
    for (const key of KEYS) {
      const sequence = received.filter((message) => message.key === key).map((message) => message.seq);
      expect(sequence, `order for key ${key}`).toEqual([...Array(MESSAGES_PER_KEY).keys()]);
      const partitions = new Set(received.filter((message) => message.key === key).map((message) => message.partition));
      expect(partitions.size, `partitions for key ${key}`).toBe(1);
    }
    // These fixed keys hash to both partitions, so both were really exercised.
    expect(new Set(received.map((message) => message.partition)).size).toBe(2);
  });
});
