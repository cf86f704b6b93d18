import kafkajs, { type Kafka as KafkaClient, type LogEntry } from 'kafkajs';
import type { KafkaConfig, Logger } from '@tokumei/config';

// kafkajs is CommonJS: Node's ESM loader sees only its default export.
const { Kafka, logLevel } = kafkajs;

/**
 * kafkajs is unmaintained since 2023; this package is the only place that imports it, so it can be swapped.
 * Timeouts are short so a missing broker shows as a failed readiness check, not a hung start.
 */
export function createKafka(config: KafkaConfig, logger: Logger): KafkaClient {
  const log = logger.child({ module: 'kafka' });
  return new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: 3000,
    requestTimeout: 15_000,
    // Backoff capped at 3 s instead of kafkajs' 30 s: after a broker comes back (or a new leader is elected), a
    // producer or a restarting consumer should notice within seconds, not wait out a half-minute sleep.
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 3_000 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ level, log: entry }: LogEntry) => {
      // kafkajs messages name brokers, topics and groups; record contents never reach its logger.
      const extra = entry as Record<string, unknown>;
      const error = extra.error;
      const fields = { broker: extra.broker, error: error instanceof Error ? error.message : error };
      const message = entry.message;
      if (level === logLevel.ERROR) log.error(fields, message);
      else if (level === logLevel.WARN) log.warn(fields, message);
      else log.debug(fields, message);
    },
  });
}
