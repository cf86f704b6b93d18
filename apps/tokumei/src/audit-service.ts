import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { AuditRunner } from '@tokumei/api';
import {
  fileSaltRegisterView, httpCanarySender, runAudit, saveReport,
  type AuditEnvironment, type AuditReport, type CanarySender, type SaltRegisterView,
} from '@tokumei/audit';
import { KafkaBus, type Bus, type KafkaInspector } from '@tokumei/bus';
import { saltRegister } from './compose-worker.js';
import type { Config, Logger } from '@tokumei/config';
import type { ImportTarget, IngestApp } from '@tokumei/ingest';
import { BotDetector, SessionAssigner, WallClock, emptyCounts, importInput, resolveFormat, type RecordSink } from '@tokumei/import';
import type { SaltRegister } from '@tokumei/privacy';
import type { StoreClient } from '@tokumei/store';

/**
 * Sends canary beacons to this process's own ingest app, through the real `/collect` route, with the canary address
 * as the connection's address: no proxy header, so it works whether or not TOKUMEI_TRUST_PROXY is set.
 */
export function inProcessCanarySender(ingest: Pick<IngestApp, 'inject'>, imports?: ImportTarget): CanarySender {
  return {
    importLine: imports === undefined ? undefined : (line, site) => importCanaryLine(imports, line, site),
    description: 'this instance\'s ingest, POST /collect with the canary address as the client connection\'s address',
    send: async (beacon, client) => (await ingest.inject({
      method: 'POST', url: '/collect', remoteAddress: client.ip,
      headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': client.userAgent },
      payload: JSON.stringify(beacon),
    })).statusCode,
  };
}

/**
 * The importer's own path for one line: parse (combined format), filter, session, raw record, then this instance's
 * import worker, exactly as `tokumei import` hands records to a running instance.
 */
async function importCanaryLine(imports: ImportTarget, line: string, site: string): Promise<string> {
  const run = randomBytes(8).toString('hex');
  const sink: RecordSink = {
    kind: 'instance', keyed: false,
    send: async (stream, first, messages) => Number(await imports.store(stream, BigInt(first), messages.map((m) => m.value))),
    finish: async (id) => ({ saltsDestroyed: await imports.finishRun(id) }),
    close: () => Promise.resolve(),
  };
  const counts = emptyCounts();
  await importInput({ kind: 'stream', stream: Readable.from([`${line}\n`]) }, { stream: `import.audit-${run}`, offset: 0, line: 0, seq: 0 }, {
    format: resolveFormat('combined', new WallClock('UTC')), site, run, batchSize: 1, follow: false, signal: undefined,
    sessions: new SessionAssigner(), bots: new BotDetector(), sink, counts,
  });
  await sink.finish(run);
  return `imported through the importer into this instance's import worker (${counts.pageviews} page view, ${counts.bad} bad)`;
}

/** Where the audit reads salts: the worker's own register when it runs here, else the file or a Kafka reader. */
export function saltRegisterView(config: Config, bus: Bus, register: SaltRegister | undefined): SaltRegisterView {
  if (!(bus instanceof KafkaBus)) return fileSaltRegisterView(path.join(config.dataDir, 'salts.json'));
  const description = `shared salt register (Kafka topic ${config.privacy.saltTopic})`;
  let shared: SaltRegister | undefined = register;
  return {
    description,
    load: () => (shared ??= saltRegister(config, bus)).load(),
  };
}

export interface AuditParts {
  readonly config: Config;
  readonly store: StoreClient;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly ranIn: AuditReport['deployment']['ranIn'];
  readonly register?: SaltRegister;
  /** This process's ingest app, once it exists (the API is built before ingest). */
  readonly ingest?: () => Pick<IngestApp, 'inject'> | undefined;
  /** Where `tokumei import` hands records in this process, when a worker runs here. */
  readonly imports?: ImportTarget;
}

/** The audit over a process's parts: runs it, keeps the report in ClickHouse for `GET /api/audit`, returns it. */
/** An AuditRunner (what the API calls) that gives back the full report. */
export interface ReportingAuditRunner extends AuditRunner {
  run(options: Parameters<AuditRunner['run']>[0] & { readonly canarySeed?: string; readonly maxUniqueShare?: number }): Promise<AuditReport>;
}

export function createAuditRunner(parts: AuditParts): ReportingAuditRunner {
  let inspector: KafkaInspector | undefined;
  const salts = saltRegisterView(parts.config, parts.bus, parts.register);
  return {
    run: async (options) => {
      if (parts.bus instanceof KafkaBus) inspector ??= parts.bus.inspector();
      const local = parts.ingest?.();
      const canarySender = options.ingest !== undefined ? httpCanarySender(options.ingest) : local === undefined ? undefined : inProcessCanarySender(local, parts.imports);
      const env: AuditEnvironment = {
        config: parts.config, clickhouse: parts.store.client, storeKind: parts.store.kind, ranIn: parts.ranIn,
        kafka: inspector, salts, canarySender, logFile: parts.config.logFile, flushLogs: () => parts.logger.flush(),
        registerFile: parts.bus instanceof KafkaBus ? undefined : path.join(parts.config.dataDir, 'salts.json'),
      };
      const report = await runAudit(env, { canary: options.canary, days: options.days, canarySeed: options.canarySeed, maxUniqueShare: options.maxUniqueShare });
      const saved = await saveReport(parts.store.client, report);
      parts.logger.info({ passed: report.passed, failed: report.checks.filter((c) => c.status === 'fail').map((c) => c.id), saved }, 'privacy audit finished');
      return report;
    },
  };
}
