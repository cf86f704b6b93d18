import type { ClickHouseClient } from '@clickhouse/client';
import { CANARY_SITES } from './canary-values.js';
import { PROMISES, check, type CheckResult, type Finding } from './report.js';
import type { LiveColumn } from './schema.js';

/**
 * Above this share of single-visitor values a (site, key) is flagged. Higher than the 20 % the page-view uniqueness
 * check recommends at, because the long tail of an ordinary label key (products, articles) has many values one
 * visitor saw; a key holding a value per person is near 100 %, and a few identifiers mixed into a categorical key
 * (25 names among 3 plans) are 25 of 28 values.
 */
export const PROPS_MAX_SINGLE_SHARE = 0.5;
/** Fewer distinct values than this are not judged: a site with a handful of visitors has every value seen once. */
export const PROPS_MIN_VALUES = 10;

export interface PropsKeyMeasure {
  readonly site: string;
  readonly key: string;
  readonly values: number;
  /** Values that in every salt domain where they appear were carried by one visitor hash only. */
  readonly singleVisitorValues: number;
  readonly rows: number;
}

function percent(share: number): string {
  return `${(Math.round(share * 1000) / 10).toFixed(1)} %`;
}

/**
 * Per (site, key) of `events.props`: distinct values, and how many of them only one visitor carried. A visitor hash
 * is one person only within its salt domain (the UTC day, and `salt_domain` for an import run), so a value counts as
 * single-visitor when no salt domain saw it from two hashes: a person returning on three days still has their own
 * value. Rows without a hash (consent signal) say nothing and are left out. Only counts leave ClickHouse, never a value.
 */
export async function measurePropsUniqueness(client: ClickHouseClient, columns: readonly LiveColumn[], days: number): Promise<PropsKeyMeasure[] | undefined> {
  const events = columns.filter((c) => c.table === 'events');
  if (!events.some((c) => c.name === 'props' && c.type.startsWith('Map('))) return undefined;
  const domain = events.some((c) => c.name === 'salt_domain') ? 'salt_domain' : 'toUInt64(0)';
  return (await (await client.query({
    query: `SELECT site, key, toString(count()) AS values, toString(countIf(single)) AS single, toString(sum(n)) AS rows FROM (
              SELECT site, key, value, max(visitors) = 1 AS single, sum(n) AS n FROM (
                SELECT site, key, value, uniqExact(visitor) AS visitors, count() AS n
                FROM events ARRAY JOIN mapKeys(props) AS key, mapValues(props) AS value
                WHERE ts >= now() - toIntervalDay({days:UInt32}) AND site NOT IN {canary:Array(String)} AND visitor != 0
                GROUP BY site, key, value, toDate(ts), ${domain})
              GROUP BY site, key, value)
            GROUP BY site, key ORDER BY site, key`,
    query_params: { days, canary: [...CANARY_SITES] },
    format: 'JSONEachRow',
  })).json<{ site: string; key: string; values: string; single: string; rows: string }>())
    .map((r) => ({ site: r.site, key: r.key, values: Number(r.values), singleVisitorValues: Number(r.single), rows: Number(r.rows) }));
}

/**
 * Fails for a (site, key) whose values mostly belong to one visitor each, whatever they say: a name, a place or a
 * random id passes every pattern (the scrubber's and the independent detector's), but not this count. A fail, not a
 * report-only number like the page-view uniqueness: keys are the operator's own allow-list, so the remedy is theirs
 * (drop the key or store coarser values), and a store of values that single out a person is not pseudonymously
 * processed information. False positives are expected on long-tail keys of small sites; the finding says which.
 */
export function propsUniquenessCheck(measures: readonly PropsKeyMeasure[] | undefined, days: number): CheckResult {
  const base = {
    id: 'props-uniqueness' as const,
    title: 'No custom property holds a value per visitor',
    promise: PROMISES.noIdentification,
    scope: measures === undefined
      ? 'events.props (no such column)'
      : `${measures.length} (site, key) pairs of events.props over the last ${days} days (the retained window), canary sites and rows without a visitor hash excluded`,
    method: `Per (site, key): distinct values, and those that in every salt domain (UTC day, import run) where they appear came from one visitor hash only. A value that identifies a person is by nature seen from one visitor; no pattern is used. Fails where more than ${percent(PROPS_MAX_SINGLE_SHARE)} of at least ${PROPS_MIN_VALUES} distinct values are single-visitor. Only counts leave ClickHouse.`,
  };
  if (measures === undefined) return check({ ...base, evidence: ['events has no props column'], findings: [] });
  const findings: Finding[] = [];
  const evidence: string[] = [];
  for (const m of measures) {
    const share = m.values === 0 ? 0 : m.singleVisitorValues / m.values;
    const judged = m.values >= PROPS_MIN_VALUES;
    evidence.push(`${m.site} ${m.key}: ${m.values} distinct values in ${m.rows} rows, ${m.singleVisitorValues} seen from one visitor only (${percent(share)})${judged ? '' : `; fewer than ${PROPS_MIN_VALUES} values, not judged`}`);
    if (judged && share > PROPS_MAX_SINGLE_SHARE) {
      findings.push({
        table: 'events', column: 'props', pattern: 'single-visitor values', count: m.singleVisitorValues, location: `site ${m.site}, key ${m.key}`,
        message: `events.props key "${m.key}" of ${m.site}: ${m.singleVisitorValues} of ${m.values} distinct values (${percent(share)}) were seen from one visitor only, above ${percent(PROPS_MAX_SINGLE_SHARE)}: the key likely holds a value per person (a name, a place, an id); remove it from TOKUMEI_PROPS_ALLOWLIST or store coarser values`,
      });
    }
  }
  if (measures.length === 0) evidence.push('no custom property stored in the window');
  return check({ ...base, evidence, findings });
}
