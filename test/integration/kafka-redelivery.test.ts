import { describe, expect, inject, it } from 'vitest';
import { KafkaBus, type PartitionBatch, type Subscriber } from '@tokumei/bus';
import { createLogger } from '@tokumei/config';
import { MemorySaltStore, Pseudonymizer } from '@tokumei/privacy';
import { RAW_RECORD_VERSION, encodeRawRecord, partitionKey, type RawRecord } from '@tokumei/schema';
import { createStoreClient, migrate } from '@tokumei/store';
import { ClickHouseSink, Worker, createWorkerMetrics } from '@tokumei/worker';
import { Registry } from 'prom-client';
import { waitUntilConsumed } from '../helpers/faults.js';
import { BROWSER_UA, testConfig, uniqueName, waitUntil } from '../helpers/pipeline.js';

const logger = createLogger({ level: 'warn' });

function record(i: number): RawRecord {
  return {
    v: RAW_RECORD_VERSION, src: 'beacon', ts: Date.now(), site: 'redelivery.example.com', url: `https://redelivery.example.com/p/${i}`,
    sid: `s-${i % 3}`, event: 'pageview', ip: '192.0.2.10', ua: BROWSER_UA, dnt: false, gpc: false,
  };
}

/** A subscriber whose first commit "crashes": the rows are inserted, the offset is never committed. */
function crashingBeforeCommit(inner: Subscriber, crashed: () => void): Subscriber {
  return {
    run: (handler) => inner.run((batch: PartitionBatch) => handler({
      ...batch,
      commit: () => {
        crashed();
        return Promise.reject(new Error('simulated crash between insert and commit'));
      },
    })),
    stop: () => inner.stop(),
  };
}

describe('worker over real Kafka and chDB', () => {
  it('drops a redelivered chunk even when the redelivery carries more messages', async () => {
    const topic = uniqueName('raw');
    const config = testConfig({
      KAFKA_BROKERS: inject('kafkaBrokers'), TOKUMEI_RAW_TOPIC: topic, TOKUMEI_RAW_PARTITIONS: '1',
      TOKUMEI_CONSUMER_GROUP: uniqueName('group'), TOKUMEI_KAFKA_SESSION_TIMEOUT_MS: '6000',
    });
    if (config.kafka === undefined) throw new Error('KAFKA_BROKERS missing');
    const bus = new KafkaBus(config.kafka, config, logger);
    const store = await createStoreClient(config);
    try {
      await bus.ensureTopics();
      await migrate(store.client, config, logger);
      const publisher = bus.publisher();
      const publish = (from: number, to: number) => publisher.publish(
        Array.from({ length: to - from }, (_, k) => { const r = record(from + k); return { key: partitionKey(r), value: encodeRawRecord(r) }; }));
      const count = async () => Number((await (await store.client.query({
        query: "SELECT count() AS c FROM events WHERE site = 'redelivery.example.com'", format: 'JSONEachRow',
      })).json<{ c: string }>())[0]?.c);
      const pageviews = async () => Number((await (await store.client.query({
        query: "SELECT sum(pageviews) AS c FROM agg_site_hourly WHERE site = 'redelivery.example.com'", format: 'JSONEachRow',
      })).json<{ c: string }>())[0]?.c);
      const workerWith = (subscriber: Subscriber) => new Worker({
        config, subscriber, sink: new ClickHouseSink(store.client), pseudonymizer: new Pseudonymizer(new MemorySaltStore(), config), logger,
        metrics: createWorkerMetrics(new Registry()),
      });

      await publish(0, 10);
      let crashed = false;
      const first = workerWith(crashingBeforeCommit(bus.subscriber(), () => (crashed = true)));
      await first.start();
      await waitUntil(() => Promise.resolve(crashed), Boolean, 60_000);
      await first.stop();
      expect(await count()).toBe(10);

      // The redelivery starts at offset 0 again but now also holds offsets 10-14: it must be cut at 9.
      await publish(10, 15);
      const second = workerWith(bus.subscriber());
      await second.start();
      await waitUntil(count, (c) => c >= 15, 60_000);
      // Once the group committed offset 15, every message was stored and nothing is redelivered: the count is final.
      await waitUntilConsumed(inject('kafkaBrokers'), topic, config.consumerGroup, 60_000);
      await second.stop();
      expect(await count()).toBe(15);
      expect(await pageviews()).toBe(15);
    } finally {
      await bus.close();
      await store.close();
    }
  });
});
