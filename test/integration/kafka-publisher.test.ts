import { describe, expect, inject, it } from 'vitest';
import kafkajs from 'kafkajs';
import { KafkaBus } from '@tokumei/bus';
import { createLogger } from '@tokumei/config';
import { testConfig, uniqueName, waitUntil } from '../helpers/pipeline.js';

const logger = createLogger({ level: 'warn' });
const { Partitioners } = kafkajs;

/**
 * The publisher spreads partitions over lanes (a producer each) and lingers before a send: every publish() must
 * still resolve only once Kafka acknowledged all of its messages, each message on the partition kafkajs' default
 * partitioner picks for its key, in publish order within a partition.
 */
describe('Kafka publisher with lanes and linger', () => {
  it('acknowledges every message once, in order per partition, on its key\'s partition', async () => {
    const topic = uniqueName('raw');
    const config = testConfig({
      KAFKA_BROKERS: inject('kafkaBrokers'), TOKUMEI_RAW_TOPIC: topic, TOKUMEI_RAW_PARTITIONS: '3',
      TOKUMEI_CONSUMER_GROUP: uniqueName('group'), TOKUMEI_BUS_MAX_PENDING: '1000',
    });
    if (config.kafka === undefined) throw new Error('KAFKA_BROKERS missing');
    const bus = new KafkaBus(config.kafka, config, logger);
    try {
      await bus.ensureTopics();
      // Two lanes for three partitions: one lane carries two partitions, each in its own send().
      const publisher = bus.publisher({ lanes: 2, lingerMs: 2 });
      const CALLS = 300;
      // Each call publishes three messages with different keys, so most calls span two lanes.
      const message = (i: number, k: number) => ({ key: `site-${(i * 3 + k) % 17}`, value: Buffer.from(`${i * 3 + k}`) });
      const calls = Array.from({ length: CALLS }, (_, i) => publisher.publish([message(i, 0), message(i, 1), message(i, 2)]));
      expect(publisher.pending()).toBe(CALLS * 3);
      // The bound counts messages not yet acknowledged, whichever lane holds them.
      await expect(publisher.publish(Array.from({ length: 200 }, (_, k) => message(CALLS + k, 0)))).rejects.toMatchObject({ code: 'TKM_BUS_FULL' });
      await Promise.all(calls);
      expect(publisher.pending()).toBe(0);

      const seen: { partition: number; value: number }[] = [];
      const subscriber = bus.subscriber();
      await subscriber.run(async (batch) => {
        for (const m of batch.messages) seen.push({ partition: batch.partition, value: Number(m.value.toString()) });
        const last = batch.messages[batch.messages.length - 1];
        if (last !== undefined) await batch.commit(last.offset + 1n);
      });
      await waitUntil(() => Promise.resolve(seen.length), (n) => n >= CALLS * 3, 60_000);
      await subscriber.stop();

      expect(new Set(seen.map((s) => s.value)).size).toBe(CALLS * 3);
      expect(seen).toHaveLength(CALLS * 3);
      const partitioner = Partitioners.DefaultPartitioner();
      const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      for (const s of seen) {
        const key = `site-${s.value % 17}`;
        expect(s.partition).toBe(partitioner({ topic, partitionMetadata, message: { key, value: null } }));
      }
      // Calls were made in order and a lane keeps its queue's order, so values rise within every partition.
      for (const partition of [0, 1, 2]) {
        const values = seen.filter((s) => s.partition === partition).map((s) => s.value);
        expect(values).toEqual([...values].sort((a, b) => a - b));
      }
      await publisher.close();
    } finally {
      await bus.close();
    }
  }, 120_000);
});
