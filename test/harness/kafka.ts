/**
 * Starts real Apache Kafka brokers (KRaft, each node broker and controller at once) as child JVMs for integration
 * tests: one node for the shared test broker, three for fault tests that kill and restart brokers. There is no Docker
 * here, so the brokers run from Kafka's Maven Central jars, whose classpath Maven resolves once and caches under
 * .cache/kafka/.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkJava, javaCommand, resolveClasspath } from './kafka-classpath.js';
import { formatStorage, freeLoopbackPorts, randomClusterId, serverProperties, type NodePorts } from './kafka-config.js';
import { NodeProcess, killOnParentExit, type ExitInfo } from './kafka-node.js';
import { TEMP_PREFIX, reapOrphanedBrokers } from './kafka-orphans.js';
import { waitUntilServing, warmUpConsumerGroups } from './kafka-readiness.js';
import { describeExit, describeSpawnError, logTail, seconds, settlesWithin } from './process-helpers.js';

export interface KafkaNode {
  readonly id: number;
  /** This node's client address, e.g. `127.0.0.1:40123`. */
  readonly address: string;
  readonly logFile: string;
  readonly running: boolean;
  /** SIGKILL: no flush, no controlled shutdown. The node's storage and ports are kept for restart(). */
  kill(): Promise<void>;
  /** SIGTERM: a controlled shutdown (leadership handed over, logs flushed), as in a rolling restart. */
  shutdown(): Promise<void>;
  /** Starts the node again on its storage and ports; resolves once it serves clients and lists itself. */
  restart(): Promise<void>;
}

export interface KafkaCluster {
  /** Bootstrap addresses for clients, comma-separated. */
  readonly brokers: string;
  readonly nodes: readonly KafkaNode[];
  /** The first node's stdout/stderr; removed together with the cluster's temp dir by stop(). */
  readonly logFile: string;
  stop(): Promise<void>;
}

/** The single-broker shape the shared test broker has always had. */
export type KafkaBroker = KafkaCluster;

export interface StartKafkaOptions {
  /** 1 (default) or 3 for a cluster that survives one node's loss. */
  nodes?: number;
  /** Largest heap per broker JVM. A test broker needs little; several share 2 cores and the tests' memory. */
  heapMb?: number;
  /** Progress lines and kafkajs warnings from startup; silent by default. */
  log?: (line: string) => void;
}

const START_ATTEMPTS = 3;

export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaCluster> {
  const log = options.log ?? ((): void => {});
  const nodeCount = options.nodes ?? 1;
  if (!Number.isInteger(nodeCount) || nodeCount < 1) throw new Error(`nodes must be a positive integer, got ${nodeCount}`);
  const java = javaCommand();
  await checkJava(java);
  await reapOrphanedBrokers(log);
  const classpath = await resolveClasspath(log);
  const heapMb = options.heapMb ?? (nodeCount === 1 ? 512 : 256);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startCluster({ java, classpath, heapMb, nodeCount, log });
    } catch (error) {
      // Ports are probed and then released, so another process can grab one before the JVM binds it; that race is
      // the only failure worth retrying.
      if (!(error instanceof PortRaceError) || attempt >= START_ATTEMPTS) throw error;
      log(`${error.message}; retrying with fresh ports`);
    }
  }
}

class PortRaceError extends Error {}

interface ClusterOptions {
  java: string;
  classpath: string;
  heapMb: number;
  nodeCount: number;
  log: (line: string) => void;
}

async function startCluster(opts: ClusterOptions): Promise<KafkaCluster> {
  const ports = await freeLoopbackPorts(2 * opts.nodeCount);
  const layout: NodePorts[] = Array.from({ length: opts.nodeCount }, (_, i) => ({
    id: i + 1,
    port: ports[2 * i] ?? 0,
    controllerPort: ports[2 * i + 1] ?? 0,
  }));
  const brokers = layout.map((node) => `127.0.0.1:${node.port}`).join(',');
  const dir = await mkdtemp(join(tmpdir(), TEMP_PREFIX));
  await writeFile(join(dir, 'owner.pid'), `${process.pid}\n`);

  const processes = layout.map(
    (node) => new NodeProcess({ java: opts.java, classpath: opts.classpath, dir: join(dir, `node-${node.id}`), heapMb: opts.heapMb }),
  );
  // Runs as Node dies, with no time for a graceful shutdown; the data is throwaway anyway.
  const removeDir = (): void => {
    for (const proc of processes) void proc.kill();
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // The dying JVMs may still hold files; reapOrphanedBrokers cleans up next time.
    }
  };
  killOnParentExit.add(removeDir);

  const clusterId = randomClusterId();
  opts.log(`formatting storage of ${opts.nodeCount} node(s) for cluster ${clusterId} in ${dir}`);
  try {
    await Promise.all(
      layout.map(async (node, i) => {
        const proc = processes[i] as NodeProcess;
        await mkdir(proc.dir);
        await writeFile(proc.propertiesFile, serverProperties(node, layout, join(proc.dir, 'data')));
        await formatStorage(opts.java, opts.classpath, clusterId, proc.propertiesFile);
      }),
    );
  } catch (error) {
    killOnParentExit.delete(removeDir);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const started = Date.now();
  for (const node of processes) await node.spawn();
  opts.log(`spawned broker pid(s) ${processes.map((p) => p.pid ?? '?').join(', ')} at ${brokers}`);
  try {
    await untilAnyExits(processes, async (signal) => {
      await waitUntilServing(brokers, layout.map((node) => node.id), signal);
      opts.log(`cluster answering after ${seconds(Date.now() - started)}; warming up the group coordinator`);
      await warmUpConsumerGroups(brokers, Math.min(3, opts.nodeCount), signal, opts.log);
    });
  } catch (error) {
    // Keep the dir so its broker logs can be read; the next run reaps it.
    await Promise.all(processes.map((node) => node.kill()));
    killOnParentExit.delete(removeDir);
    const logs = await Promise.all(processes.map((node) => readFile(node.logFile, 'utf8').catch(() => '')));
    if (error instanceof BrokerExitedError && logs.some((text) => text.includes('Address already in use'))) {
      await rm(dir, { recursive: true, force: true });
      throw new PortRaceError(`one of the ports ${ports.join(', ')} was taken before a broker bound it`);
    }
    throw error;
  }
  opts.log(`cluster ready after ${seconds(Date.now() - started)}`);

  const nodes: KafkaNode[] = layout.map((node, i) => {
    const proc = processes[i] as NodeProcess;
    const address = `127.0.0.1:${node.port}`;
    return {
      id: node.id,
      address,
      logFile: proc.logFile,
      get running(): boolean {
        return proc.running;
      },
      kill: () => proc.kill(),
      shutdown: () => proc.stop(),
      restart: async (): Promise<void> => {
        await proc.spawn();
        await untilAnyExits([proc], (signal) => waitUntilServing(address, [node.id], signal));
      },
    };
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async (): Promise<void> => {
      await Promise.all(processes.map((node) => node.stop()));
      killOnParentExit.delete(removeDir);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return stopping;
  };

  return { brokers, nodes, logFile: processes[0]?.logFile ?? '', stop };
}

class BrokerExitedError extends Error {}

/**
 * Runs `task` but fails fast, with the broker's log tail, if one of the JVMs dies first; `task` gets a signal that
 * aborts once a broker is gone so its retry loops stop too.
 */
async function untilAnyExits(processes: readonly NodeProcess[], task: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const exits = processes.map((node) => node.exited.then((info): [NodeProcess, ExitInfo] => [node, info]));
  const firstExit = Promise.race(exits);
  const died = firstExit.then(async ([node, info]): Promise<never> => {
    controller.abort();
    const reason = info.error !== undefined ? describeSpawnError('java', info.error) : describeExit(info);
    throw new BrokerExitedError(
      `Kafka broker exited during startup (${reason}).\n--- ${node.logFile} (tail) ---\n${await logTail(node.logFile)}`,
    );
  });
  try {
    await Promise.race([task(controller.signal), died]);
  } catch (error) {
    // Give the exit a moment to land: a broker that dies mid-request often surfaces first as a client error, and its
    // log is the better message.
    if (await settlesWithin(firstExit, 2_000)) await died;
    const message = error instanceof Error ? error.message : String(error);
    const tails = await Promise.all(processes.map(async (node) => `--- ${node.logFile} (tail) ---\n${await logTail(node.logFile)}`));
    throw new Error(`${message}\n${tails.join('\n')}`, { cause: error });
  } finally {
    controller.abort();
    died.catch(() => {});
  }
}
