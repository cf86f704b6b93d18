import { parseArgs } from 'node:util';
import { KafkaBus, createBus } from '@tokumei/bus';
import { TokumeiError } from '@tokumei/errors';
import { createLogger, loadConfig, type Config, type Logger } from '@tokumei/config';
import {
  InstanceSink, KafkaSink, WallClock, createProgress, formatReport, resolveFormat, runImport, type RecordSink,
} from '@tokumei/import';
import { IMPORT_ENGINE } from '@tokumei/store';
import { IMPORT_CHUNK_RECORDS } from '@tokumei/worker';
import { saltRegister } from './compose-worker.js';
import { findRunningInstance } from './instance.js';
import { LocalSink } from './local-sink.js';

export const IMPORT_USAGE = `Usage: tokumei import [options] <file>... | -

Imports web-server access logs: page views go through the same privacy engine as beacons.
Files may be gzip-compressed; "-" reads standard input.

Options:
  -f, --format <format>  combined (default), common, vcombined, json, or an nginx log_format string,
                         e.g. '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" "$host"'
  -s, --site <name>      site of every line (default: the line's host field; required when the format has none)
      --tz <zone>        IANA time zone of times written without an offset (default UTC)
      --follow           keep reading the file as it grows (and after rotation) until Ctrl-C
      --restart          ignore saved checkpoints: import the files from their start again (counts them twice)
      --batch <n>        records sent (and stored) at once; progress is saved after each (default 20000)
      --threads <n>      threads that pseudonymize when this process stores the records itself (default 0: all on
                         one thread, memory bounded; 1 on two cores imports about 1.5x faster for 60-200 MB more)
  -q, --quiet            no progress output
  -h, --help             this help

Where records go: with KAFKA_BROKERS set, to Kafka (the workers store them); else to the Tokumei running on
TOKUMEI_DATA_DIR if there is one; else this process stores them itself (embedded chDB) and exits.
A checkpoint per file in <data dir>/imports/ makes a second run continue where the first stopped.

Exit codes: 0 imported, 1 failed, 2 usage error, 130 interrupted (progress saved: run again to continue).`;

const OPTIONS = {
  format: { type: 'string', short: 'f', default: 'combined' },
  site: { type: 'string', short: 's' },
  tz: { type: 'string', default: 'UTC' },
  follow: { type: 'boolean', default: false },
  restart: { type: 'boolean', default: false },
  batch: { type: 'string' },
  threads: { type: 'string' },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function usage(message: string): never {
  throw Object.assign(new TokumeiError('TKM_BAD_REQUEST', message), { usage: true });
}

async function openSink(config: Config, logger: Logger, progress: (message: string) => void, threads: number | undefined): Promise<RecordSink> {
  if (config.kafka !== undefined) {
    const bus = createBus(config, logger);
    if (!(bus instanceof KafkaBus)) throw new TokumeiError('TKM_INTERNAL', 'expected the Kafka bus');
    await bus.ensureTopics();
    return new KafkaSink(bus, config, logger, () => saltRegister(config, bus), (behind) => progress(`waiting for the workers to store ${behind} more records`));
  }
  const instance = findRunningInstance(config.dataDir);
  if (instance !== undefined) {
    if (instance.ingest === undefined) {
      throw new TokumeiError('TKM_BUS_UNAVAILABLE', `Tokumei (pid ${instance.pid}) runs on ${config.dataDir} without the ingest role: stop it, or start it with ingest and worker`);
    }
    return new InstanceSink(instance.ingest, instance.controlToken);
  }
  // This process runs the engine only for the import: it starts it with the settings that bound its memory.
  return LocalSink.open(config, logger, IMPORT_ENGINE, threads);
}

export async function importCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    process.stderr.write(`tokumei import: ${(error as Error).message}\n\n${IMPORT_USAGE}\n`);
    return 2;
  }
  const { values, positionals: inputs } = parsed;
  if (values.help) {
    process.stdout.write(`${IMPORT_USAGE}\n`);
    return 0;
  }
  try {
    if (inputs.length === 0) usage('name at least one file, or - for standard input');
    if (inputs.filter((i) => i === '-').length > 1) usage('standard input (-) can be read once');
    let clock: WallClock;
    try {
      clock = new WallClock(values.tz);
    } catch {
      usage(`unknown time zone "${values.tz.slice(0, 60)}" (use an IANA name such as Europe/Berlin)`);
    }
    const format = resolveFormat(values.format, clock);
    const site = values.site?.trim().toLowerCase();
    if (site !== undefined && !/^[a-z0-9.-]{1,255}$/.test(site)) usage('--site must be a host-like name, e.g. example.com');
    if (site === undefined && !format.hasHost) usage(`the ${format.name} format has no host field: give the site with --site`);
    const config = loadConfig();
    const batch = values.batch === undefined ? IMPORT_CHUNK_RECORDS : Number(values.batch);
    if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) usage('--batch must be an integer from 1 to 100000');
    // No thread unless asked: a thread's heap and the batch it holds cost 60-200 MB (1 M lines with 8 KB agents:
    // 483 MiB without, about 670 with one), and the import's memory bound (issue 12) holds for the default. A batch
    // under 5,000 does not pay for the hand-over (--batch 500 measured 6 % slower with one thread).
    const threads = values.threads === undefined ? 0 : Number(values.threads);
    if (!Number.isInteger(threads) || threads < 0 || threads > 16) usage('--threads must be an integer from 0 to 16');
    const logger = createLogger({ level: config.logLevel });
    const progress = createProgress(process.stderr, !values.quiet);

    const controller = new AbortController();
    let signals = 0;
    const onSignal = () => {
      signals += 1;
      if (signals > 1) process.exit(130);
      progress.log('stopping: storing what was read and saving the checkpoint (Ctrl-C again to quit at once)');
      controller.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    const sink = await openSink(config, logger, (message) => progress.log(message), threads);
    progress.log(`importing ${inputs.length === 1 ? inputs[0] : `${inputs.length} inputs`} (${format.name} format, ${sink.kind === 'in-process' ? 'stored by this process' : sink.kind === 'instance' ? 'stored by the running Tokumei' : 'published to Kafka'})`);
    try {
      const outcome = await runImport({
        inputs, format, settings: { format: values.format, site, tz: values.tz }, follow: values.follow, restart: values.restart,
        dataDir: config.dataDir, sink, batchSize: batch, retention: config, progress, signal: controller.signal, stdin: process.stdin,
      });
      for (const result of outcome.inputs) {
        const resumed = result.resumedAfterLine > 0 ? ` (continued after line ${result.resumedAfterLine})` : '';
        process.stderr.write(`${formatReport(`${result.label}${resumed}`, result.counts, result.seconds)}\n`);
      }
      process.stderr.write(`run ${outcome.run}: ${outcome.saltsDestroyed} run salt(s) destroyed\n`);
      if (outcome.interrupted && !values.follow) {
        process.stderr.write('interrupted: run the same command again to continue where this one stopped\n');
        return 130;
      }
      return 0;
    } finally {
      await sink.close();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      logger.flush();
    }
  } catch (error) {
    const isUsage = (error as { usage?: boolean }).usage === true || (error instanceof TokumeiError && error.code === 'TKM_IMPORT_FORMAT');
    const message = error instanceof TokumeiError ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`tokumei import: ${message}\n${isUsage ? '\nRun tokumei import --help for the options.\n' : ''}`);
    return isUsage ? 2 : 1;
  }
}
