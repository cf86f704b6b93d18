/** What a test broker is: its server.properties, its loopback ports, its storage format. */
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { KAFKA_DIR } from './kafka-classpath.js';
import { LOG_TAIL_LINES, describeExit, run, tail } from './process-helpers.js';

export const LOG4J2_CONFIG = join(KAFKA_DIR, 'log4j2.properties');

// Generous on purpose: CI boxes have 2 cores and a cold JVM is slow there.
const FORMAT_TIMEOUT_MS = 2 * 60_000;

export interface NodePorts {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
}

/**
 * Every node is broker and KRaft controller at once (the smallest cluster Kafka 4 supports without ZooKeeper),
 * listening on 127.0.0.1 only. With three nodes the internal topics get three replicas and writes need two, as a
 * production cluster would be set up; with one node they cannot be replicated at all.
 */
export function serverProperties(node: NodePorts, all: readonly NodePorts[], dataDir: string): string {
  const replicas = Math.min(3, all.length);
  const minIsr = replicas >= 3 ? 2 : 1;
  const properties: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    'controller.quorum.voters': all.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    // A single node cannot replicate; Kafka's defaults of 3 would leave internal topics unavailable there (with
    // kafkajs, consumers then never find a group coordinator).
    'offsets.topic.replication.factor': replicas,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': minIsr,
    // Topics created without a replication factor (the salt register) get as many replicas as the cluster allows.
    // min.insync.replicas stays at Kafka's default of 1: the raw topic's 2 must come from Tokumei's own setting.
    'default.replication.factor': replicas,
    // One partition each: creating the default 50 takes seconds on a small machine.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    // Tests must create their topics explicitly, as production does.
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    // Frequent checks so a test can watch a short-retention topic (the salt register) empty itself.
    'log.retention.check.interval.ms': 1_000,
    // Fewer threads than the defaults: these brokers share 2 cores with the tests.
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.replica.fetchers': 1,
    'num.recovery.threads.per.data.dir': 1,
    'background.threads': 2,
    // A killed node must drop out of the ISR within seconds, not Kafka's default 30 s, or writes with acks=all stall
    // that long; and a controller notices a dead broker after 6 s instead of 9.
    'replica.lag.time.max.ms': 5_000,
    'broker.session.timeout.ms': 6_000,
    'broker.heartbeat.interval.ms': 1_000,
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
    .concat('\n');
}

/**
 * Asks the OS for `count` distinct free loopback ports. All listeners stay open until every port is read, otherwise
 * the OS could hand out the same one twice.
 */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolveListen, rejectListen) => {
        server.once('error', rejectListen);
        server.listen(0, '127.0.0.1', resolveListen);
      });
    }
    return servers.map((server) => (server.address() as AddressInfo).port);
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolveClose) => server.close(() => resolveClose()))));
  }
}

/** Same shape as `kafka-storage.sh random-uuid`: 16 random bytes, unpadded base64url. */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka re-rolls ids with a leading '-' because they would parse as a CLI flag.
    if (!id.startsWith('-')) return id;
  }
}

/** Writes a node's meta.properties; every node of a cluster is formatted with the same cluster id. */
export async function formatStorage(java: string, classpath: string, clusterId: string, propertiesFile: string): Promise<void> {
  const result = await run(
    java,
    [
      // A short-lived tool: the C1-only JIT and serial GC start measurably faster.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Dlog4j2.configurationFile=${LOG4J2_CONFIG}`,
      '-cp',
      classpath,
      'kafka.tools.StorageTool',
      'format',
      '-t',
      clusterId,
      '-c',
      propertiesFile,
    ],
    { timeoutMs: FORMAT_TIMEOUT_MS, missingHint: 'install a JDK 17+ or set JAVA_HOME' },
  );
  if (result.code !== 0) {
    throw new Error(
      `kafka.tools.StorageTool format failed (${describeExit(result)}).\n` +
        `--- output (tail) ---\n${tail(result.output, LOG_TAIL_LINES)}`,
    );
  }
}
