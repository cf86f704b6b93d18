import type { KafkaInspector } from '@tokumei/bus';
import type { Config } from '@tokumei/config';
import { FIELD_POLICY, RUN_SALT_MAX_MS, saltRegisterRetentionMs, utcDay } from '@tokumei/privacy';
import { PROMISES, check, type CheckResult, type Finding } from './report.js';
import type { LiveTable } from './schema.js';
import { parseTtl } from './ttl.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Another machine's clock may already be in tomorrow: the salt store allows the same skew. */
const CLOCK_SKEW_MS = 5 * 60_000;

export type RetentionConfig = Pick<Config, 'rawTopic' | 'rawRetentionMs' | 'eventsTtlDays' | 'aggregatesTtlMonths'> & {
  readonly privacy: Pick<Config['privacy'], 'saltGraceMs' | 'saltTopic'>;
};

/** Where day salts are kept, read-only for the audit: its keys and values (the values are wiped after reading). */
export interface SaltRegisterView {
  /** Where the register lives, for the report ("file data/salts.json", "Kafka topic tokumei.salts"). */
  readonly description: string;
  load(): Promise<Map<string, Buffer>>;
}

export interface RetentionInputs {
  readonly config: RetentionConfig;
  readonly tables: readonly LiveTable[];
  readonly kafka?: KafkaInspector;
  readonly salts?: SaltRegisterView;
  readonly now: number;
}

function hours(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS} d` : `${Math.round((ms / HOUR_MS) * 10) / 10} h`;
}

async function topicRetention(kafka: KafkaInspector, topic: string, limitMs: number, what: string, evidence: string[], findings: Finding[]): Promise<void> {
  const settings = await kafka.topicConfig(topic, ['retention.ms', 'segment.ms', 'cleanup.policy', 'retention.bytes']);
  if (settings === undefined) {
    evidence.push(`${what} topic ${topic} does not exist yet: nothing is kept`);
    return;
  }
  const retention = Number(settings.get('retention.ms') ?? Number.NaN);
  evidence.push(`${what} topic ${topic}: retention.ms=${settings.get('retention.ms')} (${Number.isFinite(retention) && retention >= 0 ? hours(retention) : 'unlimited'}), segment.ms=${settings.get('segment.ms')}, cleanup.policy=${settings.get('cleanup.policy')}; allowed at most ${hours(limitMs)}`);
  if (!Number.isFinite(retention) || retention < 0 || retention > limitMs) {
    findings.push({ location: `Kafka topic ${topic}`, message: `${what} topic ${topic} keeps records for ${retention < 0 ? 'ever' : hours(retention)}, longer than the configured ${hours(limitMs)}` });
  }
}

function tableRetention(inputs: RetentionInputs, evidence: string[], findings: Finding[]): void {
  const { config, tables } = inputs;
  for (const policy of FIELD_POLICY) {
    const table = tables.find((t) => t.name === policy.table);
    if (table === undefined) continue;
    const ttl = parseTtl(table.createQuery);
    if (policy.kind === 'operational') {
      evidence.push(`${policy.table}: ${ttl.expression === undefined ? 'no TTL' : `TTL ${ttl.expression}`} (declared: ${policy.retention})`);
      continue;
    }
    const limitDays = policy.kind === 'events' ? config.eventsTtlDays : config.aggregatesTtlMonths * 31;
    const limitText = policy.kind === 'events' ? `${config.eventsTtlDays} days (TOKUMEI_EVENTS_TTL_DAYS)` : `${config.aggregatesTtlMonths} months (TOKUMEI_AGGREGATES_TTL_MONTHS)`;
    if (ttl.expression === undefined || ttl.maxDays === undefined) {
      findings.push({ table: policy.table, message: `table ${policy.table} has ${ttl.expression === undefined ? 'no TTL' : `a TTL the audit cannot read (${ttl.expression})`}: its rows are never deleted` });
      continue;
    }
    const tooLong = ttl.unit === 'Month' && policy.kind === 'aggregate' ? (ttl.amount ?? 0) > config.aggregatesTtlMonths : ttl.maxDays > limitDays;
    evidence.push(`${policy.table}: TTL ${ttl.expression}; allowed at most ${limitText}`);
    if (tooLong) findings.push({ table: policy.table, message: `table ${policy.table} keeps rows for ${ttl.amount} ${ttl.unit?.toLowerCase()}(s), longer than ${limitText}` });
  }
}

/** Creation time of a stored salt value (first 8 bytes, ms), or undefined when the value is not in that format. */
function createdAt(value: Buffer): number | undefined {
  return value.length === 40 ? Number(value.readBigUInt64BE(0)) : undefined;
}

async function saltRetention(inputs: RetentionInputs, evidence: string[], findings: Finding[]): Promise<void> {
  const { salts, now, config } = inputs;
  if (salts === undefined) {
    evidence.push('salt register: not reachable from this process, not checked');
    return;
  }
  const graceMs = config.privacy.saltGraceMs;
  const entries = await salts.load();
  const kept: string[] = [];
  for (const [key, value] of entries) {
    const created = createdAt(value);
    value.fill(0);
    const day = /^\d{4}-\d{2}-\d{2}$/.test(key) ? key : undefined;
    const run = /^run:([^:]+):(\d{4}-\d{2}-\d{2})$/.exec(key);
    const location = `salt register key ${key}`;
    if (day !== undefined) {
      const start = Date.parse(`${day}T00:00:00Z`);
      const end = start + DAY_MS + graceMs;
      kept.push(day);
      if (now < start - CLOCK_SKEW_MS || now >= end) {
        findings.push({ location, message: `the salt of ${day} is still in the ${salts.description}; it should have been destroyed at ${new Date(end).toISOString()} (today and yesterday only)` });
      }
    } else if (run !== null) {
      const age = created === undefined ? undefined : now - created;
      kept.push(`${key} (import run salt, ${age === undefined ? 'age unknown' : `${hours(age)} old`})`);
      if (age === undefined || age > RUN_SALT_MAX_MS) {
        findings.push({ location, message: `import run salt ${key} is ${age === undefined ? 'of unknown age' : `${hours(age)} old`}; run salts may live at most ${hours(RUN_SALT_MAX_MS)}` });
      }
    } else {
      kept.push(`${key} (unknown)`);
      findings.push({ location, message: `the ${salts.description} holds an entry ${key} that is neither a day salt nor an import run salt` });
    }
  }
  const today = utcDay(now);
  evidence.push(`${salts.description} holds ${kept.length === 0 ? 'no salts' : kept.join(', ')} (today is ${today}; a day's salt is used until ${hours(graceMs)} after its day ends)`);
}

/**
 * Retention: raw records, stored rows and salts are deleted on time. The raw Kafka topic's retention as the broker
 * applies it (not as Tokumei would set it: the audit must see drift), the tables' TTLs as ClickHouse reports them,
 * and the salt register's contents.
 */
export async function retentionCheck(inputs: RetentionInputs): Promise<CheckResult> {
  const evidence: string[] = [];
  const findings: Finding[] = [];
  const { config, kafka } = inputs;
  if (kafka === undefined) {
    evidence.push(`raw records: in-process bus, held in memory and in the encrypted journal until the worker stores them (see the journal check)`);
  } else {
    await topicRetention(kafka, config.rawTopic, config.rawRetentionMs, 'raw', evidence, findings);
    await topicRetention(kafka, config.privacy.saltTopic, saltRegisterRetentionMs(config.privacy.saltGraceMs), 'salt register', evidence, findings);
  }
  tableRetention(inputs, evidence, findings);
  await saltRetention(inputs, evidence, findings);
  return check({
    id: 'retention',
    title: 'Data is deleted when promised',
    promise: PROMISES.deletion,
    scope: 'the raw Kafka topic and the salt topic (distributed mode), every table\'s TTL, the salt register',
    method: 'Kafka topic settings are read from the broker (describeConfigs); TTLs from ClickHouse (system.tables); salt register keys are listed. Each is compared with the configured limit.',
    evidence,
    findings,
  });
}
