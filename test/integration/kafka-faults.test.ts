/**
 * Broker faults under a stream of beacons through a real ingest and worker (separate processes, as deployed): every
 * beacon answered 202 must be stored exactly once, whatever happens to Kafka. Each test starts its own brokers (the
 * shared test broker must not be killed under other test files) and prints its figures as `[fault] ...` lines.
 */
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaCluster } from '../harness/kafka.js';
import { BeaconStream, beaconsOnTopic, describeTally, storedBeacons, tally, waitUntilConsumed, type Outcome } from '../helpers/faults.js';
import { summary, tempDir, uniqueName, waitUntil } from '../helpers/pipeline.js';
import { spawnTokumei, type TokumeiProcess } from '../helpers/processes.js';

const secondsSince = (t: number): string => ((Date.now() - t) / 1000).toFixed(1);
const T0 = Date.now();
/** Where a slow or stuck run spent its time. */
const step = (what: string): void => console.log(`[fault] +${secondsSince(T0)} s ${what}`);

function pipelineEnv(brokers: string, extra: Record<string, string>): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers,
    TOKUMEI_RAW_TOPIC: uniqueName('raw'),
    TOKUMEI_CONSUMER_GROUP: uniqueName('workers'),
    TOKUMEI_SALT_TOPIC: uniqueName('salts'),
    TOKUMEI_RAW_PARTITIONS: '3',
    TOKUMEI_KAFKA_SESSION_TIMEOUT_MS: '6000',
    TOKUMEI_BATCH_SIZE: '200',
    TOKUMEI_LOG_LEVEL: 'warn',
    ...extra,
  };
}

function admin(brokers: string): ReturnType<Kafka['admin']> {
  return new Kafka({ clientId: 'fault-test', brokers: brokers.split(','), logLevel: logLevel.NOTHING }).admin();
}

// Each phase of a fault lasts until what it is for has happened (the stream flows, the fault shows, the recovery
// shows), not a fixed time: the conditions below, each with a bound that fails the test with its last value.
const PHASE_MS = 90_000;

/** Outcomes of beacons sent at or after `since` with this status. */
function answered(stream: BeaconStream, since: number, status: number): number {
  return stream.outcomes.filter((o) => o.sentAt >= since && o.status === status).length;
}

/** Until the stream flows end to end: beacons through ingest and Kafka are stored by the worker. */
async function untilFlowing(api: string, site: string): Promise<void> {
  await waitUntil(() => summary(api, site), (s) => s.pageviews >= 300, PHASE_MS, 250);
}

/** Until `count` beacons sent at or after `since` were answered `status`. */
async function untilAnswered(stream: BeaconStream, since: number, status: number, count: number): Promise<void> {
  await waitUntil(() => Promise.resolve(answered(stream, since, status)), (n) => n >= count, PHASE_MS, 100);
}

/** Until every partition of `topic` has a live leader other than `notLeader` and `replicas` in-sync replicas. */
async function untilPartitions(brokers: string, topic: string, check: { notLeader?: number; isr?: number }): Promise<void> {
  const client = admin(brokers);
  await client.connect();
  try {
    await waitUntil(async () => (await client.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [],
      (partitions) => partitions.length > 0 && partitions.every((p) => p.leader >= 0 && p.leader !== check.notLeader
        && (check.isr === undefined || p.isr.length >= check.isr)), PHASE_MS, 250);
  } finally {
    await client.disconnect();
  }
}

/** Ingest and worker (with the api role, which the worker's process also serves) against `brokers`. */
async function startPipeline(env: Record<string, string>, processes: TokumeiProcess[]): Promise<{ ingest: TokumeiProcess; worker: TokumeiProcess; dataDir: string }> {
  const dataDir = tempDir();
  const ingest = await spawnTokumei({ ...env, TOKUMEI_ROLES: 'ingest' });
  processes.push(ingest);
  const worker = await spawnTokumei({ ...env, TOKUMEI_ROLES: 'worker,api', TOKUMEI_DATA_DIR: dataDir });
  processes.push(worker);
  return { ingest, worker, dataDir };
}

/** After the stream: everything on the topic stored, both processes stopped cleanly, stored rows counted per beacon. */
async function settle(brokers: string, env: Record<string, string>, pipeline: { ingest: TokumeiProcess; worker: TokumeiProcess; dataDir: string }, outcomes: readonly Outcome[], site: string) {
  step('stream stopped; waiting for the worker group to reach the end of the raw topic');
  await waitUntilConsumed(brokers, env.TOKUMEI_RAW_TOPIC ?? '', env.TOKUMEI_CONSUMER_GROUP ?? '', 90_000);
  const onTopic = await beaconsOnTopic(brokers, env.TOKUMEI_RAW_TOPIC ?? '', 60_000);
  step('consumed; stopping ingest and worker');
  expect(await pipeline.ingest.kill('SIGTERM'), `ingest exit code\n${pipeline.ingest.output().slice(-3000)}`).toBe(0);
  expect(await pipeline.worker.kill('SIGTERM'), `worker exit code\n${pipeline.worker.output().slice(-3000)}`).toBe(0);
  return tally(outcomes, await storedBeacons(pipeline.dataDir, site), onTopic);
}

describe('Kafka faults: three-broker KRaft cluster', () => {
  let cluster: KafkaCluster;
  const processes: TokumeiProcess[] = [];
  beforeAll(async () => {
    const started = Date.now();
    cluster = await startKafka({ nodes: 3, heapMb: 256 });
    console.log(`[fault] three-node cluster (${cluster.brokers}) ready in ${secondsSince(started)} s`);
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGKILL');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('loses and duplicates no accepted beacon when a partition leader is SIGKILLed and restarted mid-stream', { timeout: 240_000 }, async () => {
    const testStart = Date.now();
    const env = pipelineEnv(cluster.brokers, { TOKUMEI_RAW_REPLICATION: '3' });
    const pipeline = await startPipeline(env, processes);
    const topic = env.TOKUMEI_RAW_TOPIC ?? '';

    const client = admin(cluster.brokers);
    await client.connect();
    let victimId: number;
    try {
      // The setting, not the brokers' defaults, must have made the topic safe: 3 replicas, writes need 2.
      const metadata = await client.fetchTopicMetadata({ topics: [topic] });
      const partitions = metadata.topics[0]?.partitions ?? [];
      expect(partitions.map((p) => p.replicas.length)).toEqual([3, 3, 3]);
      const configs = await client.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }] });
      expect(configs.resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
      // The salt register too: losing its only replica would stop every worker.
      const saltTopic = env.TOKUMEI_SALT_TOPIC ?? '';
      expect((await client.fetchTopicMetadata({ topics: [saltTopic] })).topics[0]?.partitions.map((p) => p.replicas.length)).toEqual([3]);
      const saltConfigs = await client.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: saltTopic, configNames: ['min.insync.replicas'] }] });
      expect(saltConfigs.resources[0]?.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
      victimId = partitions.find((p) => p.partitionId === 0)?.leader ?? -1;
    } finally {
      await client.disconnect();
    }
    const victim = cluster.nodes.find((n) => n.id === victimId);
    if (victim === undefined) throw new Error(`raw partition 0 has no live leader (leader ${victimId})`);

    const site = 'faults-cluster.example.com';
    const stream = new BeaconStream({ ingestUrl: pipeline.ingest.urls.ingest ?? '', site, perSecond: 150, maxOutstanding: 300 });
    stream.start();
    step(`streaming; will kill node ${victimId} once beacons are stored`);
    await untilFlowing(pipeline.worker.urls.api ?? '', site);
    const killedAt = Date.now();
    await victim.kill();
    step(`node ${victimId} killed`);
    const sentBeforeKill = stream.sent;
    // Away until Kafka has moved the leadership off the dead node and the cluster took writes again without it.
    await untilPartitions(cluster.brokers, topic, { notLeader: victimId });
    const failedOverAt = Date.now();
    step(`partition leaders moved off node ${victimId}`);
    await untilAnswered(stream, failedOverAt, 202, 300);
    const restartAt = Date.now();
    await victim.restart();
    const backAt = Date.now();
    step(`node ${victimId} back`);
    // Until the node has caught up (every partition in sync on all three replicas) and beacons are accepted.
    await untilPartitions(cluster.brokers, topic, { isr: 3 });
    await untilAnswered(stream, backAt, 202, 300);
    step(`stopping the stream after ${stream.sent} beacons; waiting for ${stream.pendingAnswers} answers`);
    const outcomes = await stream.stop();

    const t = await settle(cluster.brokers, env, pipeline, outcomes, site);
    const during = outcomes.filter((o) => o.sentAt >= killedAt && o.sentAt < backAt);
    console.log(`[fault] broker kill (3 nodes, rf 3, min.insync 2; node ${victimId} led raw partition 0): ${describeTally(t)}; ` +
      `killed after ${sentBeforeKill} sent, leaders moved after ${((failedOverAt - killedAt) / 1000).toFixed(1)} s, ` +
      `away ${((backAt - killedAt) / 1000).toFixed(1)} s (restart took ${((backAt - restartAt) / 1000).toFixed(1)} s), ` +
      `202s while away ${during.filter((o) => o.status === 202).length}/${during.length}; test ${secondsSince(testStart)} s`);

    expect(t.other, 'answers other than 202 and 503').toBe(0);
    expect(t.unknownStored, 'stored rows that match no sent beacon').toBe(0);
    expect(t.accepted, 'beacons accepted').toBeGreaterThan(1000);
    expect(t.lost, 'accepted beacons not stored').toBe(0);
    expect(t.duplicated, 'accepted beacons stored twice').toBe(0);
    // Two of three replicas stay in sync, so the cluster kept taking writes: most beacons sent while the node was
    // away were accepted, not turned away.
    expect(during.filter((o) => o.status === 202).length).toBeGreaterThan(during.length / 2);
  });
});

describe('Kafka faults: a single broker restarted', () => {
  let cluster: KafkaCluster;
  const processes: TokumeiProcess[] = [];
  beforeAll(async () => {
    cluster = await startKafka({ nodes: 1, heapMb: 256 });
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.kill('SIGKILL');
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers 503 while the broker is away and stores every accepted beacon exactly once after it is back', { timeout: 240_000 }, async () => {
    const testStart = Date.now();
    // A small pending bound, so ingest turns beacons away within a second of the broker going, instead of holding
    // thousands of requests open while the producer retries.
    const env = pipelineEnv(cluster.brokers, { TOKUMEI_BUS_MAX_PENDING: '100' });
    const pipeline = await startPipeline(env, processes);
    const broker = cluster.nodes[0];
    if (broker === undefined) throw new Error('no broker');

    const site = 'faults-restart.example.com';
    const stream = new BeaconStream({ ingestUrl: pipeline.ingest.urls.ingest ?? '', site, perSecond: 150, maxOutstanding: 300 });
    stream.start();
    step('streaming; will restart the broker once beacons are stored');
    await untilFlowing(pipeline.worker.urls.api ?? '', site);
    const stoppedAt = Date.now();
    await broker.shutdown();
    const downAt = Date.now();
    step('broker stopped');
    // Down until ingest has turned beacons away (its pending bound filled), which the assertions below look for.
    await untilAnswered(stream, downAt, 503, 100);
    await broker.restart();
    const backAt = Date.now();
    step('broker back');
    // The assertions below count from 2 s after the restart (reconnecting takes that long): run until they can hold.
    await untilAnswered(stream, backAt + 2_000, 202, 300);
    step(`stopping the stream after ${stream.sent} beacons; waiting for ${stream.pendingAnswers} answers`);
    const outcomes = await stream.stop();

    const t = await settle(cluster.brokers, env, pipeline, outcomes, site);
    const away = outcomes.filter((o) => o.sentAt >= downAt && o.sentAt < backAt);
    const after = outcomes.filter((o) => o.sentAt >= backAt + 2_000);
    console.log(`[fault] broker restart (1 node): ${describeTally(t)}; shutdown took ${((downAt - stoppedAt) / 1000).toFixed(1)} s, ` +
      `away ${((backAt - downAt) / 1000).toFixed(1)} s; while away 503s ${away.filter((o) => o.status === 503).length}/${away.length}; ` +
      `from 2 s after restart 202s ${after.filter((o) => o.status === 202).length}/${after.length}; test ${secondsSince(testStart)} s`);

    expect(t.other, 'answers other than 202 and 503').toBe(0);
    expect(t.unknownStored, 'stored rows that match no sent beacon').toBe(0);
    expect(Object.keys(t.codes).filter((code) => code !== 'TKM_BUS_UNAVAILABLE' && code !== 'TKM_BUS_FULL'), '503 codes').toEqual([]);
    expect(away.filter((o) => o.status === 503).length, 'beacons turned away while the broker was down').toBeGreaterThan(0);
    expect(after.filter((o) => o.status === 202).length, 'beacons accepted once the broker was back').toBeGreaterThan(0);
    expect(t.lost, 'accepted beacons not stored').toBe(0);
    expect(t.duplicated, 'accepted beacons stored twice').toBe(0);
  });
});
