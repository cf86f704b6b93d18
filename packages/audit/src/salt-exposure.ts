import fs from 'node:fs';
import path from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { KafkaInspector } from '@tokumei/bus';
import { PROMISES, check, type CheckResult, type Finding, type SaltLifecycleRow } from './report.js';
import type { SaltRegisterView } from './retention.js';
import { holdsData, ident, textExpression, type LiveColumn, type LiveTable } from './schema.js';

const HOUR_MS = 3_600_000;
/** Files larger than this are not searched (named in the evidence): ClickHouse parts are compressed anyway. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
const MAX_FILES = 5000;

export interface SaltExposureInputs {
  readonly client: ClickHouseClient;
  readonly tables: readonly LiveTable[];
  readonly columns: readonly LiveColumn[];
  readonly lifecycle: readonly SaltLifecycleRow[];
  readonly salts?: SaltRegisterView;
  /** The register file itself (embedded mode), which is where salts belong and is not searched. */
  readonly registerFile?: string;
  readonly dataDir: string;
  readonly logFile?: string;
  readonly kafka?: KafkaInspector;
  readonly saltTopic: string;
  /** How long after its day a day salt may still be used (TOKUMEI_SALT_GRACE_MS): a live salt's planned end. */
  readonly graceMs: number;
  /** ClickHouse's own files: searched through SQL (their parts are compressed), not byte by byte. */
  readonly storeDir?: string;
  readonly now: number;
}

function hours(ms: number): string {
  return `${Math.round((ms / HOUR_MS) * 10) / 10} h`;
}

/** Every text form a live salt could have been written in: raw bytes, hex, base64, base64url (and the register's). */
function forms(value: Buffer): Buffer[] {
  const salt = value.length === 40 ? value.subarray(8) : value;
  const texts = [salt.toString('hex'), salt.toString('base64'), salt.toString('base64url'), value.toString('base64')];
  return [Buffer.from(salt), ...[...new Set(texts)].map((t) => Buffer.from(t))];
}

function walk(dir: string, skip: ReadonlySet<string>, out: string[], tooBig: string[]): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (out.length >= MAX_FILES) return;
    const file = path.join(dir, e.name);
    if (skip.has(file)) continue;
    if (e.isDirectory()) walk(file, skip, out, tooBig);
    else if (e.isFile()) {
      if (fs.statSync(file).size > MAX_FILE_BYTES) tooBig.push(file);
      else out.push(file);
    }
  }
}

async function searchTables(inputs: SaltExposureInputs, needles: Buffer[]): Promise<{ columns: number; hits: Finding[] }> {
  const texts = needles.slice(1).map((b) => b.toString());
  const hits: Finding[] = [];
  let columns = 0;
  for (const table of inputs.tables.filter(holdsData)) {
    for (const column of inputs.columns.filter((c) => c.table === table.name)) {
      const expr = textExpression(column);
      if (expr === undefined || texts.length === 0) continue;
      columns++;
      const [row] = await (await inputs.client.query({
        query: `SELECT toString(countIf(multiSearchAny(v, {needles:Array(String)}))) AS n FROM (SELECT ${expr} AS v FROM ${ident(table.name)})`,
        query_params: { needles: texts },
        format: 'JSONEachRow',
      })).json<{ n: string }>();
      const n = Number(row?.n ?? 0);
      if (n > 0) hits.push({ table: table.name, column: column.name, count: n, message: `a live salt is written in ${n} value(s) of ${table.name}.${column.name}` });
    }
  }
  return { columns, hits };
}

/**
 * Salt exposure: the salts are the "deleted descriptions etc." that re-link pseudonymous rows to visitors. How long
 * each salt existed, the longest window in which the register (file or Kafka topic) could re-link hashes, and that
 * no live salt sits in any other file in the data directory (backups, copies), the service log or a table.
 */
export async function saltExposureCheck(inputs: SaltExposureInputs): Promise<CheckResult> {
  const evidence: string[] = [];
  const findings: Finding[] = [];
  // A live salt counts with its planned end: its day plus the grace (an import run's salt: 24 h from creation).
  const plannedEnd = (s: SaltLifecycleRow) => (/import run/.test(s.day) ? Date.parse(s.created) + 24 * HOUR_MS : Date.parse(`${s.day.slice(0, 10)}T00:00:00Z`) + 24 * HOUR_MS + inputs.graceMs);
  const lifetimes = inputs.lifecycle.map((s) => ({ s, ms: (s.destroyed === null ? Math.max(inputs.now, plannedEnd(s)) : Date.parse(s.destroyed)) - Date.parse(s.created) }));
  const longest = lifetimes.reduce<(typeof lifetimes)[number] | undefined>((a, b) => (a === undefined || b.ms > a.ms ? b : a), undefined);
  if (longest === undefined) evidence.push('salt_log records no salt in the period');
  else {
    evidence.push(`${lifetimes.length} salt(s) in salt_log: lifetimes ${lifetimes.map(({ s, ms }) => `${s.day} ${hours(ms)}${s.destroyed === null ? ' (live: until its planned destruction)' : ''}`).join(', ')}`);
    evidence.push(`longest salt lifetime (creation to destruction): ${hours(longest.ms)}, salt of ${longest.s.day}`);
  }
  let window = longest?.ms ?? 0;
  if (inputs.kafka !== undefined) {
    const settings = await inputs.kafka.topicConfig(inputs.saltTopic, ['retention.ms', 'segment.ms', 'cleanup.policy']);
    const retention = Number(settings?.get('retention.ms') ?? Number.NaN);
    const segment = Number(settings?.get('segment.ms') ?? 0);
    if (settings === undefined) evidence.push(`salt topic ${inputs.saltTopic} does not exist`);
    else if (!Number.isFinite(retention) || retention < 0) findings.push({ location: `Kafka topic ${inputs.saltTopic}`, message: `the salt topic keeps records without a time limit (retention.ms=${settings.get('retention.ms')}): a destroyed salt's bytes may stay on a broker's disk indefinitely` });
    else {
      // A record is deleted once its segment has rolled (segment.ms) and is older than retention.ms.
      const onBroker = retention + segment;
      window = Math.max(window, onBroker);
      evidence.push(`salt topic ${inputs.saltTopic} (cleanup.policy=${settings.get('cleanup.policy')}): a salt's bytes stay on a broker at most retention.ms + segment.ms = ${hours(onBroker)} after it was written`);
    }
  } else if (inputs.registerFile !== undefined) {
    evidence.push(`salt register file ${inputs.registerFile}: rewritten in place when a salt is destroyed, so a salt's bytes exist there only during its lifetime`);
  }
  evidence.push(`longest window in which the register could re-link hashes to a visitor's IP and user agent: ${hours(window)}`);

  const entries = inputs.salts === undefined ? new Map<string, Buffer>() : await inputs.salts.load();
  const needles = [...entries.values()].flatMap(forms);
  try {
    if (needles.length === 0) {
      evidence.push('no live salt could be read here, nothing to search for (destroyed salts are known only by their commitments)');
    } else {
      const files: string[] = [];
      const tooBig: string[] = [];
      walk(inputs.dataDir, new Set([inputs.registerFile ?? '', inputs.storeDir ?? '']), files, tooBig);
      if (inputs.logFile !== undefined && !files.includes(path.resolve(inputs.logFile))) files.push(path.resolve(inputs.logFile));
      for (const file of files) {
        let bytes: Buffer;
        try {
          bytes = fs.readFileSync(file);
        } catch {
          continue;
        }
        if (needles.some((n) => bytes.includes(n))) findings.push({ location: `file ${file}`, message: `a live salt (raw bytes, hex or base64) is written in ${file}: a copy outside the register` });
      }
      const { columns, hits } = await searchTables(inputs, needles);
      findings.push(...hits);
      evidence.push(`${entries.size} live salt(s) searched for as raw bytes, hex, base64 and base64url in ${files.length} files under the data directory${inputs.storeDir === undefined ? '' : ' (ClickHouse\'s own files excepted: searched through SQL)'}${inputs.logFile === undefined ? ' (no service log file: TOKUMEI_LOG_FILE unset)' : ' and the service log'} and in ${columns} text columns`);
      if (tooBig.length > 0) evidence.push(`files over ${MAX_FILE_BYTES / 1024 / 1024} MB not searched: ${tooBig.length}`);
    }
  } finally {
    for (const value of entries.values()) value.fill(0);
    for (const n of needles) n.fill(0);
  }
  return check({
    id: 'salt-exposure',
    title: 'Salts, the key that re-links hashes, exist only in their register and only while needed',
    promise: PROMISES.leakage,
    scope: `salt_log, the salt register${inputs.kafka === undefined ? ' file' : ` topic ${inputs.saltTopic}`}, every file under the data directory, the service log, every text column`,
    method: 'Lifetimes come from salt_log (creation and destruction); the register\'s own bound from its settings; then each live salt is searched for byte by byte in every other place Tokumei writes.',
    evidence,
    findings,
  });
}
