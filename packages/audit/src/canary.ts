import fs from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { KafkaInspector } from '@tokumei/bus';
import { CANARY_PATH_PREFIX, CANARY_SHAPES, CANARY_SITES, canaryBeacons, canaryLogLine, needles, newCanaryValues, type CanaryValues } from './canary-values.js';
import { PROMISES, check, type CheckResult, type Finding } from './report.js';
import { holdsData, ident, liveColumns, liveTables, textExpression } from './schema.js';

/** How the audit hands a beacon to the pipeline's ingest, with the client address and user agent it chooses. */
export interface CanarySender {
  /** For the report: how the beacons reached ingest and how the client address was set. */
  readonly description: string;
  send(beacon: Record<string, unknown>, client: { readonly ip: string; readonly userAgent: string }): Promise<number>;
  /**
   * Imports one access-log line for `site` through the importer into the same worker, when this sender can reach
   * one (inside a running instance). Resolves with how it was sent, for the report.
   */
  readonly importLine?: (line: string, site: string) => Promise<string>;
}

/** A sender that posts to an ingest URL and sets the address in X-Forwarded-For (ingest must trust this host). */
export function httpCanarySender(ingestUrl: string): CanarySender {
  return {
    description: `POST ${ingestUrl}/collect, client address in X-Forwarded-For (the ingest must trust this host: TOKUMEI_TRUST_PROXY)`,
    send: async (beacon, client) => {
      const response = await fetch(`${ingestUrl}/collect`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': client.userAgent, 'x-forwarded-for': client.ip },
        body: JSON.stringify(beacon),
      });
      await response.arrayBuffer();
      return response.status;
    },
  };
}

export interface CanaryInputs {
  readonly client: ClickHouseClient;
  readonly sender: CanarySender;
  readonly rawTopic: string;
  readonly kafka?: KafkaInspector;
  readonly logFile?: string;
  readonly flushLogs?: () => void;
  readonly timeoutMs?: number;
}

async function waitCounted(client: ClickHouseClient, runId: string, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let counted = 0;
  for (;;) {
    const rows = await (await client.query({
      query: 'SELECT toString(count()) AS n FROM events WHERE startsWith(path, {prefix:String})',
      query_params: { prefix: `${CANARY_PATH_PREFIX}${runId}/` },
      format: 'JSONEachRow',
    })).json<{ n: string }>();
    counted = Number(rows[0]?.n ?? 0);
    if (counted >= expected || Date.now() > deadline) return counted;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The same browser on two sites must get two unrelated visitor hashes: no identifier follows a person across sites. */
async function crossSite(client: ClickHouseClient, runId: string, evidence: string[], findings: Finding[]): Promise<void> {
  const rows = await (await client.query({
    query: `SELECT site, toString(any(visitor)) AS visitor FROM events WHERE startsWith(path, {prefix:String}) GROUP BY site`,
    query_params: { prefix: `${CANARY_PATH_PREFIX}${runId}/` },
    format: 'JSONEachRow',
  })).json<{ site: string; visitor: string }>();
  const hashes = rows.map((r) => r.visitor).filter((v) => v !== '0');
  if (hashes.length < 2) {
    evidence.push('cross-site: the canary page views carry no visitor hash (consent policy or no salt), nothing to link');
  } else if (new Set(hashes).size < hashes.length) {
    findings.push({ table: 'events', column: 'visitor', message: 'the same browser got the same visitor hash on two different sites: a cross-site identifier' });
  } else {
    evidence.push('cross-site: the same browser got different visitor hashes on the two canary sites (no cross-site identifier)');
  }
}

async function searchTables(client: ClickHouseClient, list: { label: string; value: string }[], evidence: string[], findings: Finding[]): Promise<void> {
  const tables = (await liveTables(client)).filter(holdsData);
  const columns = await liveColumns(client);
  const params = Object.fromEntries(list.map((n, i) => [`n${i}`, n.value]));
  let searched = 0;
  for (const table of tables) {
    for (const column of columns.filter((c) => c.table === table.name)) {
      const expr = textExpression(column);
      if (expr === undefined) continue;
      searched += 1;
      const rows = await (await client.query({
        query: `SELECT ${list.map((_, i) => `toString(countIf(position(v, {n${i}:String}) > 0)) AS c${i}`).join(', ')} FROM (SELECT ${expr} AS v FROM ${ident(table.name)})`,
        query_params: params,
        format: 'JSONEachRow',
      })).json<Record<string, string>>();
      list.forEach((n, i) => {
        const count = Number(rows[0]?.[`c${i}`] ?? 0);
        if (count > 0) findings.push({ table: table.name, column: column.name, count, message: `the canary ${n.label} was stored in ${table.name}.${column.name} (${count} rows)` });
      });
    }
  }
  evidence.push(`ClickHouse: ${searched} text columns of ${tables.length} tables searched, every row`);
}

function searchLog(inputs: CanaryInputs, list: { label: string; value: string }[], evidence: string[], findings: Finding[]): void {
  if (inputs.logFile === undefined) {
    evidence.push('service logs: written to standard output only (TOKUMEI_LOG_FILE unset), which the audit cannot read; set TOKUMEI_LOG_FILE to include them');
    return;
  }
  inputs.flushLogs?.();
  let text: string;
  try {
    text = fs.readFileSync(inputs.logFile, 'utf8');
  } catch (error) {
    evidence.push(`service log ${inputs.logFile}: could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return;
  }
  evidence.push(`service log ${inputs.logFile}: ${text.length} characters, ${text.split('\n').length - 1} lines searched`);
  for (const n of list) {
    const count = text.split(n.value).length - 1;
    if (count > 0) findings.push({ location: `log file ${inputs.logFile}`, count, message: `the canary ${n.label} appears ${count} time(s) in the service log` });
  }
}

async function searchKafka(inputs: CanaryInputs, list: { label: string; value: string }[], evidence: string[], findings: Finding[]): Promise<void> {
  if (inputs.kafka === undefined) {
    evidence.push('message bus: in-process queue, nothing written outside memory');
    return;
  }
  // The raw topic holds raw records by design (short retention, see the retention check); Kafka's own internal
  // topics hold offsets and transaction state, not messages.
  const topics = (await inputs.kafka.listTopics()).filter((t) => t !== inputs.rawTopic && !t.startsWith('__')).sort();
  const scan = await inputs.kafka.scanTopics(topics, list.map((n) => Buffer.from(n.value)));
  evidence.push(`Kafka: ${scan.messages} messages (${scan.bytes} bytes) in ${topics.length} topics other than the raw topic searched${topics.length > 0 ? ` (${topics.join(', ')})` : ''}`);
  if (scan.incomplete.length > 0) evidence.push(`Kafka: not read to the end within the time limit: ${scan.incomplete.join(', ')}`);
  for (const hit of scan.hits) {
    const n = list[hit.needle];
    findings.push({ location: `Kafka topic ${hit.topic}`, count: hit.messages, message: `the canary ${n?.label ?? 'value'} is in ${hit.messages} message(s) of Kafka topic ${hit.topic}` });
  }
}

/**
 * Canary: unique values sent as a visitor's IP, user agent, sid, a query-string e-mail and a path token, through
 * the running pipeline; once the worker counted them, every table, the service log and every Kafka topic but the
 * raw one are searched for each value. Any hit fails.
 */
export async function canaryCheck(inputs: CanaryInputs, values: CanaryValues = newCanaryValues()): Promise<CheckResult> {
  const evidence: string[] = [];
  const findings: Finding[] = [];
  const beacons = canaryBeacons(values);
  for (const beacon of beacons) {
    const status = await inputs.sender.send(beacon, { ip: values.ip, userAgent: values.userAgent });
    if (status !== 202) findings.push({ message: `ingest answered ${status} to a canary beacon, expected 202` });
  }
  let expected = beacons.length;
  let logLine = 'access-log import: not reachable from where this audit ran (it is, inside a running instance), no canary log line sent';
  if (inputs.sender.importLine !== undefined) {
    logLine = `access-log import: 1 combined-format line with the same canary values, ${await inputs.sender.importLine(canaryLogLine(values, Date.now()), CANARY_SITES[0])}`;
    expected += 1;
  }
  const counted = await waitCounted(inputs.client, values.runId, expected, inputs.timeoutMs ?? 30_000);
  evidence.push(`sent ${beacons.length} beacons (${inputs.sender.description}); ${counted} page views counted in events under ${CANARY_PATH_PREFIX}${values.runId}/`);
  evidence.push(logLine);
  if (counted < expected) findings.push({ table: 'events', message: `only ${counted} of ${expected} canary page views were counted in time: the search below may be incomplete` });
  else await crossSite(inputs.client, values.runId, evidence, findings);
  const list = needles(values);
  await searchTables(inputs.client, list, evidence, findings);
  searchLog(inputs, list, evidence, findings);
  await searchKafka(inputs, list, evidence, findings);
  return check({
    id: 'canary',
    title: 'Identifiers sent through the pipeline are stored nowhere',
    promise: PROMISES.noIdentifyingCollection,
    scope: 'every table, the service log, every Kafka topic except the raw topic',
    method: `Unique values were sent as a visitor's beacons (and as an access-log line through the importer, when reachable): the IP address, user agent and sid, which are never stored, and in the page URL, its query and an allow-listed campaign value only shapes the privacy engine is specified to replace (${CANARY_SHAPES.map((s) => `${s.label}: ${s.rule} → ${s.placeholder}`).join('; ')}), so a hit is always a real leak. After the worker counted them, each value was searched for as plain text.`,
    evidence,
    findings,
  });
}
