/**
 * Starts a real, single-node Apache Kafka broker (KRaft, combined
 * broker+controller) as a child JVM for integration tests. There is no Docker
 * here, so the broker runs from Kafka's Maven Central jars, whose classpath
 * Maven resolves once and caches under .cache/kafka/.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_DIR, javaCommand, resolveClasspath } from './kafka-classpath.js';
import { waitUntilServing, warmUpConsumerGroups } from './kafka-readiness.js';
import { LOG_TAIL_LINES, describeExit, describeSpawnError, logTail, run, seconds, settlesWithin, tail } from './process-helpers.js';

export interface KafkaBroker {
  /** Bootstrap address for clients, e.g. `127.0.0.1:40123`. */
  readonly brokers: string;
  /** Broker stdout/stderr; removed together with the broker's temp dir by stop(). */
  readonly logFile: string;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  /** Progress lines and kafkajs warnings from startup; silent by default. */
  log?: (line: string) => void;
}

const LOG4J_CONFIG = join(KAFKA_DIR, 'log4j.properties');
const TEMP_PREFIX = 'tokumei-kafka-';

// Generous on purpose: CI boxes have 2 cores and a cold JVM is slow there.
const FORMAT_TIMEOUT_MS = 2 * 60_000;
const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 3;

export async function startKafka(options: StartKafkaOptions = {}): Promise<KafkaBroker> {
  const log = options.log ?? ((): void => {});
  const java = javaCommand();
  await reapOrphanedBrokers(log);
  const classpath = await resolveClasspath(log);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startBroker(java, classpath, log);
    } catch (error) {
      // Ports are probed and then released, so another process can grab one
      // before the JVM binds it; that race is the only failure worth retrying.
      if (!(error instanceof PortRaceError) || attempt >= START_ATTEMPTS) throw error;
      log(`${error.message}; retrying with fresh ports`);
    }
  }
}

// ---------------------------------------------------------------------------
// Broker lifecycle

class PortRaceError extends Error {}

async function startBroker(java: string, classpath: string, log: (line: string) => void): Promise<KafkaBroker> {
  const [port, controllerPort] = await freeLoopbackPorts(2);
  if (port === undefined || controllerPort === undefined) throw new Error('could not allocate loopback ports');
  const brokers = `127.0.0.1:${port}`;

  const dir = await mkdtemp(join(tmpdir(), TEMP_PREFIX));
  await writeFile(join(dir, 'owner.pid'), `${process.pid}\n`);
  const propertiesFile = join(dir, 'server.properties');
  const logFile = join(dir, 'broker.log');
  await writeFile(propertiesFile, serverProperties({ dir, port, controllerPort }));

  try {
    await formatStorage(java, classpath, propertiesFile, log);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const started = Date.now();
  const logFd = openSync(logFile, 'a');
  const child = spawn(
    java,
    [
      '-Xms256m',
      '-Xmx512m',
      '-XX:+UseSerialGC',
      `-Dlog4j.configuration=file:${LOG4J_CONFIG}`,
      '-cp',
      classpath,
      'kafka.Kafka',
      propertiesFile,
    ],
    // Not detached: the JVM stays in our process group, so a terminal Ctrl-C
    // reaches it too.
    { cwd: dir, stdio: ['ignore', logFd, logFd] },
  );
  closeSync(logFd);

  // SIGKILL because this runs as Node dies, with no time for a graceful
  // shutdown; the data is throwaway anyway.
  const killOnExit = (): void => {
    child.kill('SIGKILL');
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // The dying JVM may still hold files; reapOrphanedBrokers cleans up next time.
    }
  };
  killOnParentExit.add(killOnExit);

  const exited = new Promise<ExitInfo>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
    child.once('error', (error) => resolveExit({ code: null, signal: null, error }));
  });
  if (child.pid !== undefined) await writeFile(join(dir, 'broker.pid'), `${child.pid}\n`);
  log(`spawned broker pid ${child.pid ?? '?'} at ${brokers} (dir ${dir})`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        if (!(await settlesWithin(exited, STOP_GRACE_MS))) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      killOnParentExit.delete(killOnExit);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    })();
    return stopping;
  };

  try {
    await untilBrokerExits(exited, logFile, async (signal) => {
      await waitUntilServing(brokers, signal);
      log(`broker answering after ${seconds(Date.now() - started)}; warming up the group coordinator`);
      await warmUpConsumerGroups(brokers, signal, log);
    });
  } catch (error) {
    // Keep the dir so its broker.log can be read; the next run reaps it.
    child.kill('SIGKILL');
    await exited;
    killOnParentExit.delete(killOnExit);
    const brokerLog = await readFile(logFile, 'utf8').catch(() => '');
    if (error instanceof BrokerExitedError && brokerLog.includes('Address already in use')) {
      await rm(dir, { recursive: true, force: true });
      throw new PortRaceError(`port ${port} or ${controllerPort} was taken before the broker bound it`);
    }
    throw error;
  }
  log(`broker ready after ${seconds(Date.now() - started)}`);

  return { brokers, logFile, stop };
}

/**
 * Kills live brokers when this Node process goes away. The 'exit' event alone
 * is not enough: a process killed by SIGTERM/SIGINT/SIGHUP without a handler
 * dies without emitting it. The signal handlers exist only while a broker is
 * alive, and when no one else handles the signal they re-raise it, so Node's
 * default behaviour is kept.
 */
const parentExitKills = new Set<() => void>();
const FATAL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAllOnParentExit(): void {
  for (const kill of parentExitKills) kill();
  parentExitKills.clear();
  uninstallParentExitHooks();
}

function onFatalSignal(signal: NodeJS.Signals): void {
  const handledElsewhere = process.listenerCount(signal) > 1;
  killAllOnParentExit();
  if (!handledElsewhere) process.kill(process.pid, signal);
}

// Prepended, because other listeners may end the process before later ones
// run: vitest's reporter calls process.exit() from its own 'exit' and signal
// listeners, which skips every listener registered after it.
function installParentExitHooks(): void {
  process.prependListener('exit', killAllOnParentExit);
  for (const signal of FATAL_SIGNALS) process.prependListener(signal, onFatalSignal);
}

function uninstallParentExitHooks(): void {
  process.off('exit', killAllOnParentExit);
  for (const signal of FATAL_SIGNALS) process.off(signal, onFatalSignal);
}

const killOnParentExit = {
  add(kill: () => void): void {
    if (parentExitKills.size === 0) installParentExitHooks();
    parentExitKills.add(kill);
  },
  delete(kill: () => void): void {
    if (parentExitKills.delete(kill) && parentExitKills.size === 0) uninstallParentExitHooks();
  },
};

interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

class BrokerExitedError extends Error {}

/**
 * Runs `task` but fails fast, with the broker's log tail, if the JVM dies
 * first; `task` gets a signal that aborts once the broker is gone so its retry
 * loops stop too.
 */
async function untilBrokerExits(
  exited: Promise<ExitInfo>,
  logFile: string,
  task: (signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const controller = new AbortController();
  const died = exited.then(async (info): Promise<never> => {
    controller.abort();
    const reason = info.error !== undefined ? describeSpawnError('java', info.error) : describeExit(info);
    throw new BrokerExitedError(
      `Kafka broker exited during startup (${reason}).\n--- ${logFile} (tail) ---\n${await logTail(logFile)}`,
    );
  });
  try {
    await Promise.race([task(controller.signal), died]);
  } catch (error) {
    // Give the exit a moment to land: a broker that dies mid-request often
    // surfaces first as a client error, and its log is the better message.
    const exitedToo = await settlesWithin(exited, 2_000);
    if (exitedToo) await died;
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n--- ${logFile} (tail) ---\n${await logTail(logFile)}`, { cause: error });
  } finally {
    controller.abort();
    died.catch(() => {});
  }
}

async function formatStorage(
  java: string,
  classpath: string,
  propertiesFile: string,
  log: (line: string) => void,
): Promise<void> {
  const clusterId = randomClusterId();
  log(`formatting storage for cluster ${clusterId}`);
  const result = await run(
    java,
    [
      // A short-lived tool: the C1-only JIT and serial GC start measurably faster.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      `-Dlog4j.configuration=file:${LOG4J_CONFIG}`,
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

function serverProperties(opts: { dir: string; port: number; controllerPort: number }): string {
  const properties: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${opts.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${opts.port},CONTROLLER://127.0.0.1:${opts.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${opts.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': join(opts.dir, 'data'),
    // A single node cannot replicate; defaults of 3 would leave internal topics unavailable.
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    // One partition each: creating the default 50 takes seconds on a small machine.
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.num.partitions': 1,
    'group.initial.rebalance.delay.ms': 0,
    // Tests must create their topics explicitly, as production does.
    'auto.create.topics.enable': false,
    'num.partitions': 1,
    // Frequent checks so a test can watch a short-retention topic (the salt register) empty itself.
    'log.retention.check.interval.ms': 1_000,
    // Fewer threads than the defaults: this broker shares 2 cores with the tests.
    'num.network.threads': 2,
    'num.io.threads': 2,
    'num.recovery.threads.per.data.dir': 1,
    'background.threads': 2,
  };
  return Object.entries(properties)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')
    .concat('\n');
}

/**
 * Asks the OS for `count` distinct free loopback ports. All listeners stay open
 * until every port is read, otherwise the OS could hand out the same one twice.
 */
async function freeLoopbackPorts(count: number): Promise<number[]> {
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
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    // Kafka re-rolls ids with a leading '-' because they would parse as a CLI flag.
    if (!id.startsWith('-')) return id;
  }
}

// ---------------------------------------------------------------------------
// Orphans

/**
 * Kills brokers left behind by test runs that died without running their exit
 * hook (SIGKILL, OOM), and removes their temp dirs. A broker counts as
 * orphaned when the Node process recorded in its dir is gone.
 */
async function reapOrphanedBrokers(log: (line: string) => void): Promise<void> {
  const base = tmpdir();
  let names: string[];
  try {
    names = (await readdir(base)).filter((name) => name.startsWith(TEMP_PREFIX));
  } catch {
    return;
  }
  for (const name of names) {
    const dir = join(base, name);
    const owner = readPid(join(dir, 'owner.pid'));
    if (owner === undefined || isAlive(owner)) continue;
    const broker = readPid(join(dir, 'broker.pid'));
    // Only kill a pid whose command line still names this dir: pids get reused.
    if (broker !== undefined && isAlive(broker) && commandLineOf(broker).includes(dir)) {
      log(`killing orphaned broker pid ${broker} from ${dir}`);
      process.kill(broker, 'SIGKILL');
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
  }
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

