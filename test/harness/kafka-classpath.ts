/** Kafka's jars for the test broker: resolved once with Maven from test/kafka/pom.xml, cached under .cache/kafka/. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LOG_TAIL_LINES, describeExit, run, seconds, tail } from './process-helpers.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KAFKA_DIR = join(REPO_ROOT, 'test', 'kafka');
const POM = join(KAFKA_DIR, 'pom.xml');
const CLASSPATH_FILE = join(REPO_ROOT, '.cache', 'kafka', 'classpath.txt');
const MVN_TIMEOUT_MS = 10 * 60_000;
/** test/kafka/pom.xml's kafka.version, for messages. */
export const KAFKA_VERSION = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(POM, 'utf8'))?.[1] ?? '(unknown)';
const MIN_JAVA = 17;

// ---------------------------------------------------------------------------
// Classpath

export async function resolveClasspath(log: (line: string) => void): Promise<string> {
  const cached = await readFreshClasspath();
  if (cached !== undefined) return cached;

  log(`resolving Kafka classpath with Maven from ${POM} (slow only on the first run)`);
  const started = Date.now();
  await mkdir(dirname(CLASSPATH_FILE), { recursive: true });
  // Written beside the target and renamed so that a concurrent or interrupted
  // run never leaves a half-written classpath behind.
  const partial = `${CLASSPATH_FILE}.${process.pid}.partial`;
  const result = await run(
    'mvn',
    ['-q', '-B', '-Dstyle.color=never', '-f', POM, 'dependency:build-classpath', `-Dmdep.outputFile=${partial}`],
    { timeoutMs: MVN_TIMEOUT_MS, missingHint: 'install Maven 3.8+ (e.g. `apt-get install maven`)' },
  );
  if (result.code !== 0) {
    await rm(partial, { force: true });
    throw new Error(
      `Maven failed to resolve the Kafka classpath (${describeExit(result)}) from ${POM}.\n` +
        `--- mvn output (tail) ---\n${tail(result.output, LOG_TAIL_LINES)}`,
    );
  }
  await rename(partial, CLASSPATH_FILE);
  const classpath = await readFreshClasspath();
  if (classpath === undefined) {
    throw new Error(`Maven succeeded but ${CLASSPATH_FILE} is empty or lists missing jars`);
  }
  log(`resolved Kafka classpath in ${seconds(Date.now() - started)}`);
  return classpath;
}

/** The cached classpath, unless the pom changed since or a jar vanished (e.g. ~/.m2 was wiped). */
export async function readFreshClasspath(): Promise<string | undefined> {
  try {
    const [cacheStat, pomStat] = await Promise.all([stat(CLASSPATH_FILE), stat(POM)]);
    if (cacheStat.mtimeMs < pomStat.mtimeMs) return undefined;
    const classpath = (await readFile(CLASSPATH_FILE, 'utf8')).trim();
    const entries = classpath.split(delimiter).filter((entry) => entry !== '');
    if (entries.length === 0 || !entries.every((entry) => existsSync(entry))) return undefined;
    return classpath;
  } catch {
    return undefined;
  }
}

/**
 * Fails with the reason, before any broker is formatted, when Java is missing or older than Kafka 4 needs (brokers
 * need Java 17; an older JVM would die later with a less obvious UnsupportedClassVersionError).
 */
export async function checkJava(java: string): Promise<void> {
  const result = await run(java, ['-version'], { timeoutMs: 30_000, missingHint: 'install a JDK 17+ (e.g. `apt-get install openjdk-17-jre-headless`) or set JAVA_HOME' });
  const version = /version "(\d+)(?:\.(\d+))?/.exec(result.output);
  // Before Java 9 versions read "1.8.0_…": the major version is the second number.
  const major = version === null ? Number.NaN : Number(version[1] === '1' ? version[2] : version[1]);
  if (result.code !== 0 || !(major >= MIN_JAVA)) {
    throw new Error(
      `Kafka ${KAFKA_VERSION} needs Java ${MIN_JAVA}+, but \`${java} -version\` said (${describeExit(result)}):\n` +
        `${tail(result.output, LOG_TAIL_LINES)}\nInstall a JDK ${MIN_JAVA}+ or point JAVA_HOME at one.`,
    );
  }
}

export function javaCommand(): string {
  // Maven honours JAVA_HOME, so the broker should run on the same JDK.
  const javaHome = process.env['JAVA_HOME'];
  if (javaHome !== undefined && javaHome !== '') {
    const candidate = join(javaHome, 'bin', 'java');
    if (existsSync(candidate)) return candidate;
  }
  return 'java';
}

