/**
 * One Kafka node's JVM: started, killed and started again on the same storage and ports, so a test can take a broker
 * away and bring it back. Every live JVM is killed when this Node process goes away.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOG4J2_CONFIG } from './kafka-config.js';
import { settlesWithin } from './process-helpers.js';

const STOP_GRACE_MS = 10_000;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

export interface NodeProcessOptions {
  readonly java: string;
  readonly classpath: string;
  /** The node's own dir: server.properties, broker.log, broker.pid. */
  readonly dir: string;
  readonly heapMb: number;
}

/** A node's JVM, one process at a time. */
export class NodeProcess {
  private child: ChildProcess | undefined;
  private exitedPromise: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  private readonly killOnExit = (): void => {
    this.child?.kill('SIGKILL');
  };

  constructor(private readonly options: NodeProcessOptions) {}

  get dir(): string {
    return this.options.dir;
  }

  get logFile(): string {
    return join(this.options.dir, 'broker.log');
  }

  get propertiesFile(): string {
    return join(this.options.dir, 'server.properties');
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Settles when the current JVM exits (at once if none runs). */
  get exited(): Promise<ExitInfo> {
    return this.exitedPromise;
  }

  async spawn(): Promise<void> {
    if (this.running) throw new Error(`broker in ${this.options.dir} is already running`);
    const logFd = openSync(this.logFile, 'a');
    const child = spawn(
      this.options.java,
      [
        '-Xms128m',
        `-Xmx${this.options.heapMb}m`,
        '-XX:+UseSerialGC',
        // C1 only: a test broker lives for minutes and several share 2 cores, so the JIT's own CPU time (which
        // C2 spends mostly during startup) costs more than slower peak code.
        '-XX:TieredStopAtLevel=1',
        `-Dlog4j2.configurationFile=${LOG4J2_CONFIG}`,
        '-cp',
        this.options.classpath,
        'kafka.Kafka',
        this.propertiesFile,
      ],
      // Not detached: the JVM stays in our process group, so a terminal Ctrl-C reaches it too.
      { cwd: this.options.dir, stdio: ['ignore', logFd, logFd] },
    );
    closeSync(logFd);
    this.child = child;
    this.exitedPromise = new Promise<ExitInfo>((resolveExit) => {
      child.once('exit', (code, signal) => resolveExit({ code, signal }));
      child.once('error', (error) => resolveExit({ code: null, signal: null, error }));
    });
    killOnParentExit.add(this.killOnExit);
    void this.exitedPromise.then(() => killOnParentExit.delete(this.killOnExit));
    if (child.pid !== undefined) await writeFile(join(this.options.dir, 'broker.pid'), `${child.pid}\n`);
  }

  /** SIGKILL: the broker gets no chance to flush or hand over leadership, as in a power loss of that node. */
  async kill(): Promise<void> {
    if (this.running) this.child?.kill('SIGKILL');
    await this.exitedPromise;
  }

  /** SIGTERM, then SIGKILL if the broker does not shut down within the grace period. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGTERM');
    if (!(await settlesWithin(this.exitedPromise, STOP_GRACE_MS))) await this.kill();
  }
}

/**
 * The 'exit' event alone is not enough: a process killed by SIGTERM/SIGINT/SIGHUP without a handler dies without
 * emitting it. The signal handlers exist only while a broker is alive, and when no one else handles the signal they
 * re-raise it, so Node's default behaviour is kept.
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

// Prepended, because other listeners may end the process before later ones run: vitest's reporter calls
// process.exit() from its own 'exit' and signal listeners, which skips every listener registered after it.
function installParentExitHooks(): void {
  process.prependListener('exit', killAllOnParentExit);
  for (const signal of FATAL_SIGNALS) process.prependListener(signal, onFatalSignal);
}

function uninstallParentExitHooks(): void {
  process.off('exit', killAllOnParentExit);
  for (const signal of FATAL_SIGNALS) process.off(signal, onFatalSignal);
}

export const killOnParentExit = {
  add(kill: () => void): void {
    if (parentExitKills.size === 0) installParentExitHooks();
    parentExitKills.add(kill);
  },
  delete(kill: () => void): void {
    if (parentExitKills.delete(kill) && parentExitKills.size === 0) uninstallParentExitHooks();
  },
};
