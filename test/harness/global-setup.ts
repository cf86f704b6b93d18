/**
 * Vitest globalSetup for the `integration` project: provides a Kafka bootstrap
 * address to tests as `inject('kafkaBrokers')`. Set KAFKA_BROKERS to use an
 * existing broker instead of starting one; set KAFKA_HARNESS_VERBOSE=1 to see
 * the harness's startup progress.
 */
import type { TestProject } from 'vitest/node';
import { KAFKA_VERSION } from './kafka-classpath.js';
import { startKafka } from './kafka.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env['KAFKA_BROKERS'];
  if (external !== undefined && external !== '') {
    project.provide('kafkaBrokers', external);
    process.stderr.write(`[kafka] using external broker(s) ${external} from KAFKA_BROKERS\n`);
    return async () => {};
  }

  const verbose = process.env['KAFKA_HARNESS_VERBOSE'] === '1';
  const started = Date.now();
  const broker = await startKafka(verbose ? { log: (line) => process.stderr.write(`[kafka] ${line}\n`) } : {});
  project.provide('kafkaBrokers', broker.brokers);
  process.stderr.write(
    `[kafka] started Kafka ${KAFKA_VERSION} broker at ${broker.brokers} in ${((Date.now() - started) / 1000).toFixed(1)} s (log: ${broker.logFile})\n`,
  );
  return () => broker.stop();
}
