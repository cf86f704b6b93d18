/**
 * The shared register (per-day salts of all worker replicas) over a real broker: each KafkaBus stands for one replica.
 */
import { randomBytes } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { KafkaBus, registerTopicConfig, type SharedRegister } from '@tokumei/bus';
import { createLogger } from '@tokumei/config';
import { testConfig, uniqueName, waitUntil } from '../helpers/pipeline.js';

const logger = createLogger({ level: 'warn' });
const brokers = inject('kafkaBrokers');
const DAY = 86_400_000;
const buses: KafkaBus[] = [];

/** A register in a bus of its own, as in a separate replica. */
function replica(topic: string, retentionMs = 2 * DAY, env: Record<string, string> = {}): SharedRegister {
  const config = testConfig({ KAFKA_BROKERS: brokers, ...env });
  if (config.kafka === undefined) throw new Error('KAFKA_BROKERS missing');
  const bus = new KafkaBus(config.kafka, config, logger);
  buses.push(bus);
  return bus.sharedRegister({ topic, retentionMs });
}

describe('KafkaRegister', () => {
  const kafka = new Kafka({ clientId: uniqueName('register-test'), brokers: brokers.split(','), logLevel: logLevel.WARN });
  let admin: Admin;

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
  });
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
  });
  afterAll(() => admin.disconnect());

  async function topicConfig(topic: string): Promise<Record<string, string>> {
    const names = registerTopicConfig(1).map((e) => e.name);
    const described = await admin.describeConfigs({
      includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: names }],
    });
    return Object.fromEntries((described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]));
  }

  /** Every record of the topic as (Kafka key, value or null), read by a plain consumer. */
  async function records(topic: string): Promise<{ key: string; value: Buffer | null }[]> {
    const [offsets] = await admin.fetchTopicOffsets(topic);
    const end = Number(offsets?.high);
    const seen: { key: string; value: Buffer | null; offset: number }[] = [];
    const consumer = kafka.consumer({ groupId: uniqueName('register-test'), maxWaitTimeInMs: 250 });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: ({ message }) => {
      seen.push({ key: message.key?.toString() ?? '', value: message.value, offset: Number(message.offset) });
      return Promise.resolve();
    } });
    await waitUntil(() => Promise.resolve(seen.at(-1)?.offset ?? -1), (last) => last >= end - 1, 30_000);
    await consumer.disconnect();
    return seen;
  }

  it('agrees on the first proposal across replicas, and remove() deletes it everywhere', async () => {
    const topic = uniqueName('register');
    const [a, b] = [replica(topic), replica(topic)] as [SharedRegister, SharedRegister];
    // Both start (and race to create the topic) before proposing, so the proposals really are concurrent.
    await Promise.all([a.load(), b.load()]);
    const day = '2026-11-25';
    const [ofA, ofB] = [randomBytes(32), randomBytes(32)];
    const [wonA, wonB] = await Promise.all([a.propose(day, ofA), b.propose(day, ofB)]);
    expect(wonA.equals(wonB)).toBe(true);
    expect(wonA.equals(ofA) || wonA.equals(ofB)).toBe(true);

    const c = replica(topic);
    expect((await c.load()).get(day)?.equals(wonA)).toBe(true);
    expect((await c.propose(day, randomBytes(32))).equals(wonA)).toBe(true);
    const nextDay = '2026-11-26';
    const next = await c.propose(nextDay, randomBytes(32));

    await b.remove(day);
    for (const register of [a, b, c]) {
      const left = await waitUntil(() => register.load(), (m) => !m.has(day), 20_000);
      expect(left.get(nextDay)?.equals(next)).toBe(true);
    }
    const fresh = replica(topic);
    const loaded = await fresh.load();
    expect(loaded.has(day)).toBe(false);
    expect(loaded.get(nextDay)?.equals(next)).toBe(true);

    // On the broker, every value proposed for the removed day (winner and loser alike) is followed by its tombstone.
    const all = await records(topic);
    const proposals = all.filter((r) => r.key.startsWith(`${day}/`) && r.value !== null);
    expect(proposals.length).toBeGreaterThanOrEqual(1);
    for (const p of proposals) expect(all.some((r) => r.key === p.key && r.value === null)).toBe(true);
    expect(all.filter((r) => r.key.startsWith(`${nextDay}/`) && r.value === null)).toEqual([]);
    expect(await topicConfig(topic)).toMatchObject({ 'retention.ms': String(2 * DAY), 'segment.ms': '3600000' });
  });

  it('creates its topic with bounded deletion and puts drifted settings back', async () => {
    const topic = uniqueName('register');
    const retentionMs = 30 * 60_000;
    await replica(topic, retentionMs).load();
    const wanted = {
      'cleanup.policy': 'compact,delete', 'retention.ms': String(retentionMs), 'segment.ms': String(retentionMs),
      'delete.retention.ms': '60000', 'min.cleanable.dirty.ratio': '0.01', 'min.compaction.lag.ms': '0',
      'message.timestamp.type': 'LogAppendTime',
    };
    expect(await topicConfig(topic)).toEqual(wanted);
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(metadata?.partitions).toHaveLength(1);

    // Someone stretches the retention (keeping the rest): the next replica to start puts it back.
    const stretched = Object.entries({ ...wanted, 'retention.ms': String(30 * DAY) }).map(([name, value]) => ({ name, value }));
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: stretched }] });
    expect((await topicConfig(topic))['retention.ms']).toBe(String(30 * DAY));
    await replica(topic, retentionMs).load();
    expect(await topicConfig(topic)).toEqual(wanted);
  });

  it('creates its topic with the configured replication and a majority in sync (TOKUMEI_RAW_REPLICATION)', async () => {
    // One broker here: the three-broker fault test checks 3 replicas and min.insync.replicas 2 on a real cluster.
    const topic = uniqueName('register');
    await replica(topic, 2 * DAY, { TOKUMEI_RAW_REPLICATION: '1' }).load();
    const [metadata] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(metadata?.partitions.map((p) => p.replicas.length)).toEqual([1]);
    const described = await admin.describeConfigs({
      includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
    });
    // Set on the topic, not the broker's default showing through.
    expect(described.resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas'))
      .toMatchObject({ configValue: '1', isDefault: false });
    expect(registerTopicConfig(DAY, 3).find((e) => e.name === 'min.insync.replicas')?.value).toBe('2');
  });

  it('leaves nothing of a salt on the broker once the topic retention has passed', async () => {
    const topic = uniqueName('register');
    const retentionMs = 3_000;
    const first = replica(topic, retentionMs);
    const day = '2026-03-10';
    const salt = randomBytes(40);
    expect(Buffer.from(await first.propose(day, salt)).equals(salt)).toBe(true);
    await first.remove(day);
    const [before] = await admin.fetchTopicOffsets(topic);
    expect(Number(before?.high)).toBeGreaterThanOrEqual(2); // the proposal and its tombstone were written

    // Retention deletes whole segments, the active one included: once the log start offset reaches the end, no
    // consumer, replica or operator with topic access can read the salt back from this broker.
    const after = await waitUntil(async () => (await admin.fetchTopicOffsets(topic))[0], (o) => o !== undefined && o.low === o.high, 30_000, 500);
    expect(Number(after?.low)).toBeGreaterThanOrEqual(Number(before?.high));
    expect((await replica(topic, retentionMs).load()).size).toBe(0);
  });
});
