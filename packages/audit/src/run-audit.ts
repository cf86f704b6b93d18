import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { KafkaInspector } from '@tokumei/bus';
import type { Config } from '@tokumei/config';
import { appiAssessment, appiStores } from './appi.js';
import { canaryCheck, type CanarySender } from './canary.js';
import { newCanaryValues } from './canary-values.js';
import { cnilAssessment } from './cnil.js';
import { contentScanCheck } from './content-scan.js';
import { independentScanCheck } from './independent-scan.js';
import { inventoryCheck, inventoryRows } from './inventory.js';
import { journalCheck } from './journal-check.js';
import { PROMISES, REPORT_KIND, SCHEMA_VERSION, check, type AuditReport, type CheckResult } from './report.js';
import { retentionCheck, type SaltRegisterView } from './retention.js';
import { saltExposureCheck } from './salt-exposure.js';
import { saltLifecycleCheck } from './salt-lifecycle.js';
import { measurePropsUniqueness, propsUniquenessCheck } from './props-uniqueness.js';
import { liveColumns, liveTables } from './schema.js';
import { measureUniqueness, uniquenessCheck } from './uniqueness.js';

/** Everything the audit reads. It changes nothing but the canary page views it sends and the report it saves. */
export interface AuditEnvironment {
  readonly config: Config;
  readonly clickhouse: ClickHouseClient;
  readonly storeKind: 'embedded' | 'server';
  readonly ranIn: AuditReport['deployment']['ranIn'];
  /** Kafka, when the deployment uses it. */
  readonly kafka?: KafkaInspector;
  readonly salts?: SaltRegisterView;
  /** The embedded salt register file: where salts belong, so the salt-exposure search skips it. */
  readonly registerFile?: string;
  /** How canary beacons reach ingest; without one `--canary` fails with a finding saying so. */
  readonly canarySender?: CanarySender;
  readonly logFile?: string;
  readonly flushLogs?: () => void;
  readonly now?: () => number;
}

export interface AuditOptions {
  readonly canary: boolean;
  /** Days of salt lifecycle to list. */
  readonly days?: number;
  readonly canaryTimeoutMs?: number;
  /** Reproducible canary values (tests run many seeds); random without one. */
  readonly canarySeed?: string;
  /** Fail the uniqueness check above this share of unique rows (0–1); without it the share is only reported. */
  readonly maxUniqueShare?: number;
}

function notRunCanary(reason: string | undefined): CheckResult {
  return check({
    id: 'canary',
    title: 'Identifiers sent through the pipeline are stored nowhere',
    promise: PROMISES.noIdentifyingCollection,
    scope: 'every table, the service log, every Kafka topic except the raw topic',
    method: 'Unique random values are sent as a visitor\'s beacon through the running pipeline, then searched for everywhere.',
    evidence: reason === undefined ? ['not requested: run `tokumei audit --canary`'] : [],
    findings: reason === undefined ? [] : [{ message: reason }],
  }, reason === undefined);
}

export async function runAudit(env: AuditEnvironment, options: AuditOptions): Promise<AuditReport> {
  const now = env.now ?? Date.now;
  const { config, clickhouse } = env;
  // Canary first: its page views must then pass the inventory and content scan like any other stored row.
  let canary: CheckResult;
  if (!options.canary) canary = notRunCanary(undefined);
  else if (env.canarySender === undefined) canary = notRunCanary('no ingest to send canary beacons through: run the audit while `tokumei start` runs with the ingest role, or pass --ingest URL');
  else {
    canary = await canaryCheck({
      client: clickhouse, sender: env.canarySender, rawTopic: config.rawTopic, kafka: env.kafka,
      logFile: env.logFile, flushLogs: env.flushLogs, timeoutMs: options.canaryTimeoutMs,
    }, newCanaryValues(options.canarySeed));
  }
  const tables = await liveTables(clickhouse);
  const columns = await liveColumns(clickhouse);
  const inventory = inventoryCheck(tables, columns);
  const content = await contentScanCheck(clickhouse, tables, columns);
  const independent = await independentScanCheck(clickhouse, tables, columns);
  const uniqueness = await measureUniqueness(clickhouse, tables, config.eventsTtlDays, config.privacy.timePrecision);
  const props = propsUniquenessCheck(await measurePropsUniqueness(clickhouse, columns, config.eventsTtlDays), config.eventsTtlDays);
  const retention = await retentionCheck({ config, tables, kafka: env.kafka, salts: env.salts, now: now() });
  const salts = await saltLifecycleCheck(clickhouse, tables, columns, { days: options.days ?? 14, graceMs: config.privacy.saltGraceMs, now: now() });
  const exposure = await saltExposureCheck({
    client: clickhouse, tables, columns, lifecycle: salts.rows, salts: env.salts, registerFile: env.registerFile, dataDir: config.dataDir,
    logFile: env.logFile, kafka: env.kafka, saltTopic: config.privacy.saltTopic, graceMs: config.privacy.saltGraceMs, now: now(),
    storeDir: env.storeKind === 'embedded' ? path.join(config.dataDir, 'clickhouse') : undefined,
  });
  const checks = [
    inventory, content, independent, uniquenessCheck(uniqueness, options.maxUniqueShare), props, canary, retention, salts.result, exposure, journalCheck(config, now()),
  ];
  return {
    kind: REPORT_KIND,
    schemaVersion: SCHEMA_VERSION,
    generatedAt: new Date(now()).toISOString(),
    passed: checks.every((c) => c.status !== 'fail'),
    deployment: { store: env.storeKind, bus: env.kafka === undefined ? 'memory' : 'kafka', ranIn: env.ranIn, canary: options.canary },
    checks,
    saltLifecycle: salts.rows,
    inventory: inventoryRows(),
    cnil: cnilAssessment(config, checks, columns),
    uniqueness,
    appi: { requirements: appiAssessment(checks), stores: appiStores({ bus: env.kafka === undefined ? 'memory' : 'kafka', rawTopic: config.rawTopic, saltTopic: config.privacy.saltTopic }) },
  };
}
