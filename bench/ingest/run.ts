/**
 * bench/ingest: POST /collect with the Kafka bus (every 202 waits for Kafka's acknowledgement) against a bare
 * fastify no-op POST route, measured in the same run on the same machine. Prints the ratio, p50/p99 and RSS.
 *   npm run bench:ingest            (starts a local Kafka broker)
 *   KAFKA_BROKERS=host:9092 npm run bench:ingest
 */
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { KafkaBus } from '@tokumei/bus';
import { createLogger, loadConfig } from '@tokumei/config';
import { buildIngestApp } from '@tokumei/ingest';
import { startKafka, type KafkaBroker } from '../../test/harness/kafka.js';
import { mb, runLoad, type LoadResult } from '../lib/load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BODY = JSON.stringify({ site: 'example.com', url: 'https://example.com/products/42?utm_source=bench', referrer: 'https://www.example.org/', sid: 'bench-session-1', w: 1280, lang: 'en-GB' });

function line(name: string, r: LoadResult): string {
  return `${name.padEnd(22)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50Ms).padStart(3)} ms  p99 ${String(r.p99Ms).padStart(4)} ms  non-2xx ${r.non2xx}  errors ${r.errors}`;
}

async function main(): Promise<void> {
  let broker: KafkaBroker | undefined;
  const brokers = process.env.KAFKA_BROKERS ?? (broker = await startKafka()).brokers;
  const logger = createLogger({ level: 'warn' });
  const config = loadConfig({ KAFKA_BROKERS: brokers, TOKUMEI_RAW_TOPIC: `bench.raw.${Date.now()}`, TOKUMEI_BUS_MAX_PENDING: '50000' });
  if (config.kafka === undefined) throw new Error('no Kafka');
  const bus = new KafkaBus(config.kafka, config, logger);
  const baseline = Fastify();
  let ingest: Awaited<ReturnType<typeof buildIngestApp>> | undefined;
  try {
    await bus.ensureTopics();
    baseline.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    baseline.post('/noop', (_request, reply) => reply.code(202).send());
    const baselineUrl = await baseline.listen({ host: '127.0.0.1', port: 0 });
    ingest = await buildIngestApp({ config, bus, publisher: bus.publisher(), logger, registry: new Registry() });
    const ingestUrl = await ingest.listen({ host: '127.0.0.1', port: 0 });

    // Warm both paths (JIT, Kafka connection and producer id) before measuring.
    await runLoad({ url: `${ingestUrl}/collect`, body: BODY, connections: 10, seconds: 2 });
    await runLoad({ url: `${baselineUrl}/noop`, body: BODY, connections: 10, seconds: 2 });

    const rssBefore = process.memoryUsage().rss;
    const noop = await runLoad({ url: `${baselineUrl}/noop`, body: BODY, connections: CONNECTIONS, seconds: SECONDS });
    const collect = await runLoad({ url: `${ingestUrl}/collect`, body: BODY, connections: CONNECTIONS, seconds: SECONDS });
    const rssAfter = process.memoryUsage().rss;

    console.log(`bench/ingest: ${SECONDS}s per run, ${CONNECTIONS} connections, Node ${process.version}, Kafka at ${brokers}`);
    console.log(line('fastify no-op POST', noop));
    console.log(line('POST /collect (Kafka)', collect));
    console.log(`ratio /collect : no-op = ${(collect.requestsPerSecond / noop.requestsPerSecond).toFixed(2)}`);
    console.log(`RSS of the server process: ${mb(rssBefore)} before, ${mb(rssAfter)} after (the load generator runs in its own process)`);
  } finally {
    await ingest?.close();
    await baseline.close();
    await bus.close();
    await broker?.stop();
  }
}

await main();
