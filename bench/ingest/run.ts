/**
 * bench/ingest: POST /collect with the Kafka bus (every 202 waits for Kafka's acknowledgement) against a bare
 * fastify no-op POST route, measured in the same run on the same machine. Prints the ratio, p50/p99, RSS, the load
 * average and the broker's share of the machine's CPU during the /collect run.
 *   npm run bench:ingest            (starts a local Kafka broker)
 *   KAFKA_BROKERS=host:9092 npm run bench:ingest
 *   BENCH_VARIANTS=1:0,4:0,4:2      publisher lanes:linger ms to compare (default: the shipped setting only)
 */
import fs from 'node:fs';
import os from 'node:os';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { KafkaBus } from '@tokumei/bus';
import { createLogger, loadConfig } from '@tokumei/config';
import { buildIngestApp } from '@tokumei/ingest';
import { startKafka, type KafkaBroker } from '../../test/harness/kafka.js';
import { loadAverage, mb, runLoad, type LoadResult } from '../lib/load.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const BODY = JSON.stringify({ site: 'example.com', url: 'https://example.com/products/42?utm_source=bench', referrer: 'https://www.example.org/', sid: 'bench-session-1', w: 1280, lang: 'en-GB' });
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'default').split(',').map((v) => {
  if (v === 'default') return { name: 'default', tuning: {} };
  const [lanes, linger] = v.split(':').map(Number);
  return { name: `lanes ${lanes} linger ${linger ?? 0}ms`, tuning: { lanes, lingerMs: linger ?? 0 } };
});

function line(name: string, r: LoadResult): string {
  return `${name.padEnd(34)} ${r.requestsPerSecond.toFixed(0).padStart(7)} req/s  p50 ${String(r.p50Ms).padStart(3)} ms  p99 ${String(r.p99Ms).padStart(4)} ms  non-2xx ${r.non2xx}  errors ${r.errors}`;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  let broker: KafkaBroker | undefined;
  const brokerPids: number[] = [];
  const brokers = process.env.KAFKA_BROKERS ?? (broker = await startKafka({
    log: (l) => { for (const m of /spawned broker pid\(s\) ([\d, ]+)/.exec(l)?.[1]?.split(', ') ?? []) brokerPids.push(Number(m)); },
  })).brokers;
  const logger = createLogger({ level: 'warn' });
  const config = loadConfig({ KAFKA_BROKERS: brokers, TOKUMEI_RAW_TOPIC: `bench.raw.${Date.now()}`, TOKUMEI_BUS_MAX_PENDING: '50000' });
  if (config.kafka === undefined) throw new Error('no Kafka');
  const bus = new KafkaBus(config.kafka, config, logger);
  const baseline = Fastify();
  const apps: Awaited<ReturnType<typeof buildIngestApp>>[] = [];
  try {
    await bus.ensureTopics();
    baseline.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    baseline.post('/noop', (_request, reply) => reply.code(202).send());
    const baselineUrl = await baseline.listen({ host: '127.0.0.1', port: 0 });
    const ingests: { name: string; url: string }[] = [];
    for (const variant of VARIANTS) {
      const ingest = await buildIngestApp({ config, bus, publisher: bus.publisher(variant.tuning), logger, registry: new Registry() });
      apps.push(ingest);
      ingests.push({ name: variant.name, url: await ingest.listen({ host: '127.0.0.1', port: 0 }) });
    }

    // Warm every path (JIT, Kafka connections and producer ids) before measuring.
    for (const ingest of ingests) await runLoad({ url: `${ingest.url}/collect`, body: BODY, connections: 10, seconds: 2 });
    await runLoad({ url: `${baselineUrl}/noop`, body: BODY, connections: 10, seconds: 2 });

    console.log(`bench/ingest: ${SECONDS}s per run, ${CONNECTIONS} connections, Node ${process.version}, ${os.cpus().length} cores, Kafka at ${brokers}`);
    const rssBefore = process.memoryUsage().rss;
    // The machine is shared: each variant is measured between two baseline runs, and its ratio is to their mean.
    const noopRun = async () => {
      const load = loadAverage();
      const noop = await runLoad({ url: `${baselineUrl}/noop`, body: BODY, connections: CONNECTIONS, seconds: SECONDS });
      console.log(`${line('fastify no-op POST', noop)}  load ${load}`);
      return noop.requestsPerSecond;
    };
    let before = await noopRun();
    for (const ingest of ingests) {
      const load = loadAverage();
      const brokerBefore = brokerPids.map(cpuSeconds);
      const selfBefore = process.cpuUsage();
      const started = performance.now();
      const collect = await runLoad({ url: `${ingest.url}/collect`, body: BODY, connections: CONNECTIONS, seconds: SECONDS });
      const wall = (performance.now() - started) / 1000;
      const self = process.cpuUsage(selfBefore);
      const brokerCpu = brokerPids.reduce((n, pid, i) => n + (cpuSeconds(pid) ?? 0) - (brokerBefore[i] ?? 0), 0);
      console.log(`${line(`POST /collect (Kafka, ${ingest.name})`, collect)}  load ${load}`);
      const after = await noopRun();
      const cores = os.cpus().length;
      const share = (cpu: number) => `${((100 * cpu) / (wall * cores)).toFixed(0)} %`;
      console.log(`  ratio /collect : no-op = ${(collect.requestsPerSecond / ((before + after) / 2)).toFixed(2)} (target 0.7);  CPU of the machine during /collect: `
        + `server process ${share((self.user + self.system) / 1e6)}, broker ${brokerPids.length > 0 ? share(brokerCpu) : 'not measured (KAFKA_BROKERS)'}`);
      before = after;
    }
    const rssAfter = process.memoryUsage().rss;
    console.log(`RSS of the server process: ${mb(rssBefore)} before, ${mb(rssAfter)} after (the load generator runs in its own process)`);
  } finally {
    for (const ingest of apps) await ingest.close();
    await baseline.close();
    await bus.close();
    await broker?.stop();
  }
}

await main();
