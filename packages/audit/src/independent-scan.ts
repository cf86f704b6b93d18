import type { ClickHouseClient } from '@clickhouse/client';
import { DETECTOR_RULES, detect, type DetectorKind } from './detector.js';
import { EXPECTED_SHAPES } from './expected-shapes.js';
import { mask } from './mask.js';
import { PROMISES, check, type CheckResult, type Finding } from './report.js';
import { holdsData, ident, textExpression, type LiveColumn, type LiveTable } from './schema.js';

/**
 * Values worth decoding: digits, @, escapes, colons, `+`, anything outside ASCII, long runs (base64, hex, tokens),
 * and `at`. Broad on purpose; it only keeps ClickHouse from shipping plain words. RE2 and JavaScript alike.
 */
const CANDIDATE = '[0-9@%:+]|[^\\x00-\\x7F]|[A-Za-z0-9/_=-]{10,}|[Aa][Tt]';
/** Distinct candidate values judged per column, rarest first (a leaked identifier is rare; a page is not). */
export const MAX_DISTINCT = 20_000;

interface Row {
  v: string;
  n: string;
  vd: string;
  total: string;
}

/** Per-event tables have a visitor hash and a time: there a value can be tied to one visitor-day. */
function perEvent(table: string, columns: readonly LiveColumn[]): boolean {
  const own = columns.filter((c) => c.table === table);
  return own.some((c) => c.name === 'visitor' && c.type === 'UInt64') && own.some((c) => c.name === 'ts' && c.type.startsWith('DateTime'));
}

async function candidates(client: ClickHouseClient, table: string, expr: string, visitorDays: boolean): Promise<Row[]> {
  const vd = visitorDays ? 'uniqExactIf((_visitor, toDate(_ts)), _visitor != 0)' : '0';
  const source = visitorDays ? `SELECT ${expr} AS v, visitor AS _visitor, ts AS _ts FROM ${ident(table)}` : `SELECT ${expr} AS v FROM ${ident(table)}`;
  return (await client.query({
    query: `SELECT v, toString(n) AS n, toString(vd) AS vd, toString(count() OVER ()) AS total FROM (
              SELECT v, count() AS n, ${vd} AS vd FROM (${source}) WHERE v != '' AND match(v, {candidate:String}) GROUP BY v
            ) ORDER BY n ASC, v LIMIT ${MAX_DISTINCT}`,
    query_params: { candidate: CANDIDATE },
    format: 'JSONEachRow',
  })).json<Row>();
}

/**
 * Independent content scan: every text column of every table (the exact-format columns excepted, which the content
 * scan holds to their format), every distinct candidate value decoded every way and judged by the audit's own
 * rules, not the scrubber's. In per-event tables a value that only one visitor-day produced meets a lower bar.
 */
export async function independentScanCheck(client: ClickHouseClient, tables: readonly LiveTable[], columns: readonly LiveColumn[]): Promise<CheckResult> {
  const findings: Finding[] = [];
  const evidence: string[] = [];
  const scanned: string[] = [];
  let judged = 0;
  let rareValues = 0;
  for (const table of tables.filter(holdsData)) {
    const visitorDays = perEvent(table.name, columns);
    for (const column of columns.filter((c) => c.table === table.name)) {
      const expr = textExpression(column);
      const key = `${table.name}.${column.name}`;
      if (expr === undefined || EXPECTED_SHAPES[key] !== undefined) continue;
      scanned.push(key);
      const rows = await candidates(client, table.name, expr, visitorDays);
      judged += rows.length;
      const total = Number(rows[0]?.total ?? 0);
      if (total > rows.length) evidence.push(`${key}: ${total} distinct candidate values, the ${rows.length} rarest judged`);
      const found = new Map<DetectorKind, { count: number; sample: string; reading: string }>();
      for (const row of rows) {
        const rare = visitorDays && row.vd === '1';
        if (rare) rareValues++;
        for (const d of detect(row.v, rare)) {
          const entry = found.get(d.kind) ?? { count: 0, sample: mask(d.part), reading: d.reading };
          entry.count += Number(row.n);
          found.set(d.kind, entry);
        }
      }
      for (const [kind, { count, sample, reading }] of found) {
        findings.push({
          table: table.name, column: column.name, pattern: kind, count, sample,
          message: `${count}${total > rows.length ? '+' : ''} row(s) of ${key} hold a value the independent detector reads as ${kind} (${reading} reading)`,
        });
      }
    }
  }
  return check({
    id: 'independent-scan',
    title: 'No stored value looks like personal data to an independent detector',
    promise: PROMISES.noIdentification,
    scope: `${scanned.length} text columns, every distinct candidate value (up to ${MAX_DISTINCT} per column, rarest first)`,
    method: `A second detector that shares no rule with the scrubber: each value is read stored, percent-decoded (also with + as space, repeatedly), as Shift_JIS and EUC-JP, base64/base64url and hex, each also NFKC-folded; then ${Object.entries(DETECTOR_RULES).map(([k, v]) => `${k}: ${v}`).join('; ')}.`,
    evidence: [
      `columns scanned: ${scanned.join(', ') || 'none'}`,
      `${judged} distinct candidate values judged; ${rareValues} of them seen for one visitor on one day only`,
      'columns with a declared exact format (salt_log.commitment, ingest_ranges.topic) are held to it by the content scan; stored audit reports are not scanned',
      ...evidence,
    ],
    findings,
  });
}
