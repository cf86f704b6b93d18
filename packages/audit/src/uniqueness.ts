import type { ClickHouseClient } from '@clickhouse/client';
import { CANARY_SITES } from './canary-values.js';
import { PROMISES, check, type AuditReport, type CheckResult, type UniquenessMeasure } from './report.js';
import type { LiveTable } from './schema.js';

/** What an observer of one page view may know: when, which page, and what the browser shows of itself. */
export const QUASI_IDENTIFIERS = ['ts', 'path', 'browser', 'os', 'country', 'screen'] as const;
const PRECISIONS = [['second', 1], ['minute', 60], ['hour', 3600]] as const;
/** Above this share the report recommends a coarser TOKUMEI_TIME_PRECISION (it fails only with a threshold). */
export const HIGH_SHARE = 0.2;

function percent(share: number): string {
  return `${(Math.round(share * 1000) / 10).toFixed(1)} %`;
}

/**
 * Share of `events` rows whose quasi-identifiers no other row has, at the stored precision and at minute and hour
 * precision. One grouping per precision on a 64-bit hash of the key, inside ClickHouse: a few hundred MB for 10 M
 * rows, and nothing but three counts leaves it. Canary page views are left out (they are unique by construction).
 */
export async function measureUniqueness(client: ClickHouseClient, tables: readonly LiveTable[], days: number, stored: 'second' | 'minute' | 'hour'): Promise<UniquenessMeasure | undefined> {
  if (!tables.some((t) => t.name === 'events')) return undefined;
  const rows: UniquenessMeasure['precisions'][number][] = [];
  let total = 0;
  for (const [name, seconds] of PRECISIONS) {
    const [r] = await (await client.query({
      query: `SELECT toString(sum(c)) AS total, toString(countIf(c = 1)) AS unique_rows, toString(countIf(c = 1 AND hashed)) AS linkable FROM (
                SELECT count() AS c, max(visitor != 0) AS hashed FROM events
                WHERE ts >= now() - toIntervalDay({days:UInt32}) AND site NOT IN {canary:Array(String)}
                GROUP BY cityHash64(intDiv(toUnixTimestamp(ts), {seconds:UInt32}), path, browser, os, country, screen))`,
      query_params: { days, seconds, canary: [...CANARY_SITES] },
      format: 'JSONEachRow',
    })).json<{ total: string; unique_rows: string; linkable: string }>();
    total = Number(r?.total ?? 0);
    const unique = Number(r?.unique_rows ?? 0);
    rows.push({ precision: name, uniqueRows: unique, share: total === 0 ? 0 : unique / total, linkableRows: Number(r?.linkable ?? 0) });
  }
  return { rows: total, days, storedPrecision: stored, quasiIdentifiers: [...QUASI_IDENTIFIERS], precisions: rows };
}

/** The coarsest-needed precision: the first one coarser than the stored one whose share is below HIGH_SHARE. */
function recommendation(m: UniquenessMeasure): string | undefined {
  const at = m.precisions.find((p) => p.precision === m.storedPrecision);
  if (at === undefined || at.share < HIGH_SHARE) return undefined;
  const order = PRECISIONS.map(([n]) => n);
  const coarser = m.precisions.filter((p) => order.indexOf(p.precision) > order.indexOf(m.storedPrecision));
  const pick = coarser.find((p) => p.share < HIGH_SHARE) ?? coarser.at(-1);
  if (pick === undefined) return `even at hour precision ${percent(at.share)} of rows are unique: consider fewer stored dimensions`;
  const still = pick.share >= HIGH_SHARE ? `; still above ${percent(HIGH_SHARE)}: storing fewer quasi-identifiers (screen, OS) per event would be needed too` : '';
  return `set TOKUMEI_TIME_PRECISION=${pick.precision} (${percent(pick.share)} of rows unique at that precision${still})`;
}

/** The check from a measurement; with `maxShare` (--max-unique) it fails above it, else it only reports. */
export function uniquenessCheck(m: UniquenessMeasure | undefined, maxShare?: number): CheckResult {
  const base = {
    id: 'uniqueness' as const,
    title: 'How many stored page views single out one visit',
    promise: PROMISES.noIdentification,
    scope: m === undefined ? 'events (not created yet)' : `${m.rows} events rows of the last ${m.days} days (the retained window), canary page views excluded`,
    method: `Rows are grouped on (${QUASI_IDENTIFIERS.join(', ')}) with the time cut to the second, minute and hour; a row alone in its group is unique: anyone who knows that one page view (when, which page, the browser) finds its row, and through its visitor hash the visitor's whole day. A number for the report${maxShare === undefined ? '; pass `--max-unique SHARE` to make it a pass/fail' : `, failing above ${percent(maxShare)} (--max-unique)`}.`,
  };
  if (m === undefined) return check({ ...base, evidence: ['no events table'], findings: [] });
  const stored = m.precisions.find((p) => p.precision === m.storedPrecision);
  const evidence = [
    ...m.precisions.map((p) => `${p.precision} precision: ${p.uniqueRows} of ${m.rows} rows unique (${percent(p.share)}), ${p.linkableRows} of them with a visitor hash${p.precision === m.storedPrecision ? ' — stored precision (TOKUMEI_TIME_PRECISION)' : ''}`),
  ];
  const advice = recommendation(m);
  if (advice !== undefined) evidence.push(`recommendation: ${advice}`);
  const over = maxShare !== undefined && stored !== undefined && stored.share > maxShare;
  return check({
    ...base, evidence,
    findings: over ? [{ table: 'events', message: `${percent(stored.share)} of events rows are unique on the quasi-identifiers at the stored ${m.storedPrecision} precision, above the configured ${percent(maxShare)}${advice === undefined ? '' : `; ${advice}`}` }] : [],
  });
}

/** Applies a threshold to a finished report (the command's --max-unique, also for a report a running instance made). */
export function withUniquenessThreshold(report: AuditReport, maxShare: number | undefined): AuditReport {
  if (maxShare === undefined) return report;
  const checks = report.checks.map((c) => (c.id === 'uniqueness' ? uniquenessCheck(report.uniqueness, maxShare) : c));
  return { ...report, checks, passed: checks.every((c) => c.status !== 'fail') };
}
