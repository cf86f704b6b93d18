import type { ClickHouseClient } from '@clickhouse/client';
import { PII_PATTERNS, classify } from '@tokumei/privacy';
import { EXPECTED_SHAPES } from './expected-shapes.js';
import { mask } from './mask.js';
import { PROMISES, check, type CheckResult, type Finding } from './report.js';
import { holdsData, ident, textExpression, type LiveColumn, type LiveTable } from './schema.js';

export interface ScanPattern {
  readonly name: string;
  /** RE2 and JavaScript alike: ClickHouse finds candidates with it. */
  readonly source: string;
  /** The part of a candidate value that really is personal data, or undefined (removes RE2's false positives). */
  readonly confirm: (value: string) => string | undefined;
}

/**
 * The privacy engine's patterns (e-mail, IPv4, IPv6, UUID, phone, hex and base64 tokens) plus one for raw user
 * agents, which the worker never stores whole: product/version tokens as browsers, libraries and crawlers send them.
 */
/**
 * A candidate is confirmed when the engine classifies one of its parts as this kind: the worker judges path
 * segments (and query values) one by one, so the audit does too. An IP address also has a phone number's digit
 * run, but is reported once, under the kind the engine gives it.
 */
function engineConfirms(placeholder: string): (value: string) => string | undefined {
  return (value) => value.slice(0, 4096).split(/[/&=]/).find((part) => part !== '' && !part.startsWith(':') && classify(part) === placeholder);
}

export const SCAN_PATTERNS: readonly ScanPattern[] = [
  ...PII_PATTERNS.map((p) => ({ name: p.name, source: p.source, confirm: engineConfirms(p.placeholder) })),
  {
    name: 'user_agent',
    source: '(Mozilla|Opera|AppleWebKit|Gecko|Chrome|Safari|Firefox|Edg|curl|Wget|python-requests|okhttp|Dalvik|Googlebot|bingbot)/[0-9]',
    confirm: (value) => /(Mozilla|Opera|AppleWebKit|Gecko|Chrome|Safari|Firefox|Edg|curl|Wget|python-requests|okhttp|Dalvik|Googlebot|bingbot)\/[0-9][^ ]*/.exec(value)?.[0],
  },
];

export { EXPECTED_SHAPES };

/** Distinct candidate values read back per column; counts beyond are reported as lower bounds. */
const MAX_CANDIDATES = 2000;

interface Candidate {
  v: string;
  n: string;
  hits: number[];
}

async function scanColumn(client: ClickHouseClient, table: string, expr: string, patterns: readonly ScanPattern[]) {
  const params = Object.fromEntries(patterns.map((p, i) => [`p${i}`, p.source]));
  const matches = patterns.map((_, i) => `match(v, {p${i}:String})`);
  const result = await client.query({
    query: `SELECT v, toString(count()) AS n, [${matches.join(', ')}] AS hits
            FROM (SELECT ${expr} AS v FROM ${ident(table)}) WHERE ${matches.join(' OR ')}
            GROUP BY v ORDER BY count() DESC LIMIT ${MAX_CANDIDATES}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const rows = await result.json<Candidate>();
  const found = new Map<string, { count: number; sample: string }>();
  for (const row of rows) {
    patterns.forEach((pattern, i) => {
      if (Number(row.hits[i]) !== 1) return;
      const part = confirmedPart(row.v, pattern);
      if (part === undefined) return;
      const entry = found.get(pattern.name) ?? { count: 0, sample: mask(part) };
      entry.count += Number(row.n);
      found.set(pattern.name, entry);
    });
  }
  return { found, truncated: rows.length === MAX_CANDIDATES };
}

async function formatViolations(client: ClickHouseClient, table: string, column: string, expr: string, format: string): Promise<Finding[]> {
  const rows = await (await client.query({
    query: `SELECT toString(count()) AS n, any(v) AS sample FROM (SELECT ${expr} AS v FROM ${ident(table)}) WHERE NOT match(v, {format:String})`,
    query_params: { format },
    format: 'JSONEachRow',
  })).json<{ n: string; sample: string }>();
  const count = Number(rows[0]?.n ?? 0);
  if (count === 0) return [];
  return [{ table, column, pattern: 'unexpected format', count, sample: mask(rows[0]?.sample ?? ''), message: `${count} value(s) in ${table}.${column} do not have the declared format ${format}` }];
}

/** The part of the value the confirmation accepts, trimmed of punctuation for the masked sample, or undefined. */
function confirmedPart(value: string, pattern: ScanPattern): string | undefined {
  return pattern.confirm(value)?.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
}

/**
 * Content scan: every text column of every table, aggregates included, searched inside ClickHouse for values shaped
 * like personal data; candidates are confirmed in JavaScript with the same rules the worker scrubs with.
 */
export async function contentScanCheck(client: ClickHouseClient, tables: readonly LiveTable[], columns: readonly LiveColumn[]): Promise<CheckResult> {
  const findings: Finding[] = [];
  const scanned: string[] = [];
  const exempted: string[] = [];
  for (const table of tables.filter(holdsData)) {
    for (const column of columns.filter((c) => c.table === table.name)) {
      const expr = textExpression(column);
      if (expr === undefined) continue;
      const key = `${table.name}.${column.name}`;
      scanned.push(key);
      const expected = EXPECTED_SHAPES[key];
      if (expected !== undefined) {
        exempted.push(`${key}: ${expected.format === undefined ? 'not searched' : `every value must match ${expected.format} instead`} (${expected.reason})`);
        if (expected.format !== undefined) findings.push(...await formatViolations(client, table.name, column.name, expr, expected.format));
        continue;
      }
      const { found, truncated } = await scanColumn(client, table.name, expr, SCAN_PATTERNS);
      for (const [pattern, { count, sample }] of found) {
        findings.push({
          table: table.name, column: column.name, pattern, count, sample,
          message: `${count}${truncated ? '+' : ''} value(s) in ${key} look like ${pattern.replace('_', ' ')}`,
        });
      }
    }
  }
  return check({
    id: 'content-scan',
    title: 'No stored value looks like personal data',
    promise: PROMISES.noIdentification,
    scope: `${scanned.length} text columns in ${new Set(scanned.map((s) => s.split('.')[0])).size} tables, every row`,
    method: `ClickHouse searches each column with regular expressions for ${SCAN_PATTERNS.map((p) => p.name.replace('_', ' ')).join(', ')}; each candidate is confirmed with the privacy engine's own rules (digit counts, slugs, dates). Findings show a masked sample, never the value.`,
    evidence: [`columns scanned: ${scanned.join(', ') || 'none'}`, ...exempted],
    findings,
  });
}
