/** When a freshly started broker is really usable: serving metadata, and able to coordinate consumer groups. */
import { randomBytes } from 'node:crypto';
import { Kafka, Partitioners, logLevel, type LogEntry, type logCreator } from 'kafkajs';
import { errorText, seconds, sleep, withTimeout } from './process-helpers.js';

// Generous on purpose: CI boxes have 2 cores and a cold JVM is slow there.
const SERVING_TIMEOUT_MS = 90_000;
const WARMUP_TIMEOUT_MS = 90_000;

// ---------------------------------------------------------------------------
// Readiness

/**
 * Polls until the broker(s) accept client connections and the cluster lists `nodeIds` (every node of a cluster that
 * is starting, or the one node that is coming back).
 */
export async function waitUntilServing(brokers: string, nodeIds: readonly number[], signal: AbortSignal): Promise<void> {
  // Connection refusals are expected while the JVM boots, so this client is silent.
  const kafka = new Kafka({
    clientId: 'kafka-harness-probe',
    brokers: brokers.split(','),
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const deadline = Date.now() + SERVING_TIMEOUT_MS;
  let lastError: unknown;
  while (!signal.aborted) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const listed = new Set(cluster.brokers.map((broker) => broker.nodeId));
      const missing = nodeIds.filter((id) => !listed.has(id));
      if (missing.length === 0) return;
      lastError = new Error(`cluster metadata does not list node(s) ${missing.join(', ')} yet`);
    } catch (error) {
      lastError = error;
    } finally {
      await admin.disconnect().catch(() => {});
    }
    if (Date.now() > deadline) {
      throw new Error(`Kafka broker at ${brokers} not serving after ${seconds(SERVING_TIMEOUT_MS)}: ${errorText(lastError)}`);
    }
    await sleep(250);
  }
  throw new Error('aborted: broker exited');
}

/**
 * Creates the single __consumer_offsets partition and elects its coordinator
 * by running one consumer group end to end, so the first test's group does
 * not pay (and time out on) that cost.
 */
export async function warmUpConsumerGroups(
  brokers: string,
  replicationFactor: number,
  signal: AbortSignal,
  log: (line: string) => void,
): Promise<void> {
  const suffix = randomBytes(4).toString('hex');
  const topic = `harness-warmup-${suffix}`;
  const kafka = new Kafka({
    clientId: 'kafka-harness-warmup',
    brokers: brokers.split(','),
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    // Coordinator-not-available errors are normal here (that is the point of
    // warming up), so they only reach the caller's log, never the console.
    logLevel: logLevel.WARN,
    logCreator: forwardLogs(log),
  });
  const admin = kafka.admin();
  // Silences kafkajs' "switched default partitioner" warning; keys are not used here anyway.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  // A short fetch long-poll, because disconnect() waits for the in-flight one to return.
  const consumer = kafka.consumer({ groupId: `harness-warmup-${suffix}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 250 });
  try {
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor }],
      waitForLeaders: true,
      timeout: 30_000,
    });
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: 'warm-up' }] });

    let received!: () => void;
    const gotMessage = new Promise<void>((resolveMessage) => (received = resolveMessage));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: () => {
        received();
        return Promise.resolve();
      },
    });
    await withTimeout(
      gotMessage,
      WARMUP_TIMEOUT_MS,
      signal,
      `warm-up consumer group read nothing within ${seconds(WARMUP_TIMEOUT_MS)}`,
    );
    await consumer.disconnect();
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  }
}

// kafkajs' runtime logLevel object has no reverse mapping, despite its enum typing.
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  [logLevel.ERROR]: 'ERROR',
  [logLevel.WARN]: 'WARN',
  [logLevel.INFO]: 'INFO',
  [logLevel.DEBUG]: 'DEBUG',
};

export function forwardLogs(log: (line: string) => void): logCreator {
  return () =>
    (entry: LogEntry): void => {
      const { message, error } = entry.log;
      const detail = typeof error === 'string' && error !== '' ? `: ${error}` : '';
      log(`kafkajs ${LEVEL_NAMES[entry.level] ?? entry.level} [${entry.namespace}] ${message}${detail}`);
    };
}

