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
/**
 * A reserved key's domain is judged only when at least this many visitor-days each had a value of their own there:
 * a value per visitor needs visitors, and one person clicking through ten hosts is their browsing, not a tag.
 */
export const RESERVED_MIN_OWNERS = 10;

/**
 * The tracker's automatic events and their reserved key (the privacy engine's `reserved-props.ts`, stored without
 * the allow-list). Spelled here, not imported, so this check keeps using nothing from the engine; a unit test holds
 * the two lists equal. `feature` is the script attribute that sends the event, which the advice names.
 */
export const RESERVED_PROPS = [
  { event: 'Outbound_Link:_Click', key: 'host', feature: 'data-outbound', byDomain: true },
  { event: 'File_Download', key: 'ext', feature: 'data-downloads', byDomain: false },
] as const;

export interface PropsKeyMeasure {
  readonly site: string;
  readonly key: string;
  readonly values: number;
  /** Values that in every salt domain where they appear were carried by one visitor hash only. */
  readonly singleVisitorValues: number;
  readonly rows: number;
}

/** One domain (a host's registrable domain; the whole key for `ext`) of a reserved key. Never its name. */
export interface ReservedDomainMeasure {
  readonly values: number;
  readonly singleVisitorValues: number;
  /** Visitor-days (hash × salt domain) that carried at least one single-visitor value of this domain. */
  readonly owners: number;
  readonly rows: number;
  /** The domain is the site's own registrable domain. */
  readonly firstParty: boolean;
}

export interface ReservedPropMeasure extends PropsKeyMeasure {
  readonly event: string;
  readonly domains: number;
  /** The domains with at least PROPS_MIN_VALUES values and RESERVED_MIN_OWNERS owners: the ones judged. */
  readonly judged: readonly ReservedDomainMeasure[];
}

export interface PropsMeasures {
  /** The operator's keys (allow-listed), reserved (event, key) pairs left out. */
  readonly keys: readonly PropsKeyMeasure[];
  readonly reserved: readonly ReservedPropMeasure[];
}

function percent(share: number): string {
  return `${(Math.round(share * 1000) / 10).toFixed(1)} %`;
}

/** The reserved (event, key) pairs as SQL; the names are this file's constants, bound as parameters all the same. */
const RESERVED_SQL = RESERVED_PROPS.map((_, i) => `(event = {re${i}:String} AND key = {rk${i}:String})`).join(' OR ');
const RESERVED_PARAMS = Object.fromEntries(RESERVED_PROPS.flatMap((r, i) => [[`re${i}`, r.event], [`rk${i}`, r.key]]));
/**
 * A host's registrable domain by ClickHouse's copy of the Public Suffix List (`x.example.co.jp` → `example.co.jp`;
 * `foo.github.io` is its own). Placeholder labels (`:token.example.com`) lose their colon first, which the URL
 * parser reads as a port; a key judged as a whole has one domain, ''.
 */
const BY_DOMAIN_SQL = RESERVED_PROPS.flatMap((r, i) => (r.byDomain ? [`(event = {re${i}:String} AND key = {rk${i}:String})`] : [])).join(' OR ') || '0';
const DOMAIN_SQL = `if(${BY_DOMAIN_SQL}, cutToFirstSignificantSubdomain(replaceAll(value, ':', '')), '')`;

/**
 * Per (site, key) of `events.props`: distinct values, and how many of them only one visitor carried. A visitor hash
 * is one person only within its salt domain (the UTC day, and `salt_domain` for an import run), so a value counts as
 * single-visitor when no salt domain saw it from two hashes: a person returning on three days still has their own
 * value. Rows without a hash (consent signal) say nothing and are left out. Only counts leave ClickHouse, never a value.
 * The reserved keys of the tracker's automatic events are measured apart, per domain, with the visitors who own them.
 */
export async function measurePropsUniqueness(client: ClickHouseClient, columns: readonly LiveColumn[], days: number): Promise<PropsMeasures | undefined> {
  const events = columns.filter((c) => c.table === 'events');
  if (!events.some((c) => c.name === 'props' && c.type.startsWith('Map('))) return undefined;
  const domain = events.some((c) => c.name === 'salt_domain') ? 'salt_domain' : 'toUInt64(0)';
  const where = `ts >= now() - toIntervalDay({days:UInt32}) AND site NOT IN {canary:Array(String)} AND visitor != 0`;
  const params = { days, canary: [...CANARY_SITES], ...RESERVED_PARAMS, min: PROPS_MIN_VALUES, owners: RESERVED_MIN_OWNERS };
  const keys = (await (await client.query({
    query: `SELECT site, key, toString(count()) AS values, toString(countIf(single)) AS single, toString(sum(n)) AS rows FROM (
              SELECT site, key, value, max(visitors) = 1 AS single, sum(n) AS n FROM (
                SELECT site, key, value, uniqExact(visitor) AS visitors, count() AS n
                FROM events ARRAY JOIN mapKeys(props) AS key, mapValues(props) AS value
                WHERE ${where} AND NOT (${RESERVED_SQL})
                GROUP BY site, key, value, toDate(ts), ${domain})
              GROUP BY site, key, value)
            GROUP BY site, key ORDER BY site, key`,
    query_params: params,
    format: 'JSONEachRow',
  })).json<{ site: string; key: string; values: string; single: string; rows: string }>())
    .map((r) => ({ site: r.site, key: r.key, values: Number(r.values), singleVisitorValues: Number(r.single), rows: Number(r.rows) }));
  // Innermost: one row per value and salt domain, with its one visitor when it had one. Then each value is single
  // when every salt domain saw one visitor (a window over the value), and a domain counts its single values' owners.
  const reserved = (await (await client.query({
    query: `SELECT site, event, key, toString(count()) AS domains, toString(sum(distinct_values)) AS values, toString(sum(lone_values)) AS single,
                   toString(sum(n)) AS rows, arrayFilter(g -> g.1 >= {min:UInt32} AND g.3 >= {owners:UInt32}, groupArray((distinct_values, lone_values, lone_owners, n, first))) AS judged
            FROM (
              SELECT site, event, key, grp, uniqExact(value) AS distinct_values, uniqExactIf(value, lone) AS lone_values,
                     uniqExactIf((day, dom, someone), lone) AS lone_owners, sum(rows_) AS n, grp != '' AND grp = any(own) AS first
              FROM (
                SELECT site, event, key, value, day, dom, someone, rows_, max(visitors) OVER (PARTITION BY site, event, key, value) = 1 AS lone,
                       ${DOMAIN_SQL} AS grp, cutToFirstSignificantSubdomain(site) AS own
                FROM (
                  SELECT site, event, key, value, toDate(ts) AS day, ${domain} AS dom, uniqExact(visitor) AS visitors, any(visitor) AS someone, count() AS rows_
                  FROM events ARRAY JOIN mapKeys(props) AS key, mapValues(props) AS value
                  WHERE ${where} AND (${RESERVED_SQL})
                  GROUP BY site, event, key, value, day, dom))
              GROUP BY site, event, key, grp)
            GROUP BY site, event, key ORDER BY site, event, key`,
    query_params: params,
    format: 'JSONEachRow',
  })).json<{ site: string; event: string; key: string; domains: string; values: string; single: string; rows: string; judged: [string, string, string, string, boolean | number][] }>())
    .map((r) => ({
      site: r.site, event: r.event, key: r.key, domains: Number(r.domains), values: Number(r.values), singleVisitorValues: Number(r.single), rows: Number(r.rows),
      judged: r.judged.map(([values, single, owners, rows, first]) => ({ values: Number(values), singleVisitorValues: Number(single), owners: Number(owners), rows: Number(rows), firstParty: Boolean(first) })),
    }));
  return { keys, reserved };
}

const PROMISE_FIELDS = {
  id: 'props-uniqueness' as const,
  title: 'No custom property holds a value per visitor',
  promise: PROMISES.noIdentification,
};

function reservedName(m: Pick<ReservedPropMeasure, 'event' | 'key'>): string {
  return `${m.event} ${m.key}`;
}

function featureOf(m: Pick<ReservedPropMeasure, 'event' | 'key'>): (typeof RESERVED_PROPS)[number] | undefined {
  return RESERVED_PROPS.find((r) => r.event === m.event && r.key === m.key);
}

/**
 * A reserved key is shape-checked by the worker (a host, an extension), not text the operator chose, so it is not
 * judged as a whole: one visitor clicking out to ten sites gives ten hosts nobody else clicked, which is browsing.
 * What would still single a person out is a value per visitor inside one domain (`kemon.example.com` for one,
 * `zazut-fokig.example.com` for the next: pronounceable labels the host rule lets through, unlike `x7kq9zvwpl3m`), since
 * one party mints every name under its registrable domain. So each domain is judged like an operator's key, once
 * RESERVED_MIN_OWNERS visitor-days own values there. Known limits: a tagger owning a registrable domain per visitor,
 * or tagging under a Public Suffix List platform (`<tag>.github.io`), is not seen here; a hand-made beacon can do
 * that, but it can as well in the event name or the referrer host, which no uniqueness check reads either.
 */
function reservedFindings(m: ReservedPropMeasure): { evidence: string[]; findings: Finding[] } {
  const feature = featureOf(m);
  const unit = feature?.byDomain === true ? 'hosts' : 'values';
  const share = m.values === 0 ? 0 : m.singleVisitorValues / m.values;
  const bar = `at least ${PROPS_MIN_VALUES} ${unit} and ${RESERVED_MIN_OWNERS} visitor-days owning one`;
  const judged = feature?.byDomain === true
    ? ` under ${m.domains} registrable ${m.domains === 1 ? 'domain' : 'domains'}; ${m.judged.length} with ${bar} there, judged`
    : m.judged.length > 0 ? `; ${bar}, judged` : `; not ${bar}, not judged`;
  const evidence = [`${m.site} ${reservedName(m)} (${feature?.feature ?? 'reserved'}, stored without the allow-list): ${m.values} distinct ${unit} in ${m.rows} rows, ${m.singleVisitorValues} seen from one visitor only (${percent(share)})${judged}`];
  const findings: Finding[] = [];
  for (const d of m.judged) {
    const domainShare = d.values === 0 ? 0 : d.singleVisitorValues / d.values;
    const where = feature?.byDomain === true ? `one registrable domain (${d.firstParty ? 'the site\'s own' : 'not the site\'s'})` : 'the key';
    evidence.push(`${m.site} ${reservedName(m)}, ${where}: ${d.values} distinct ${unit} in ${d.rows} rows, ${d.singleVisitorValues} seen from one visitor only (${percent(domainShare)}), owned by ${d.owners} visitor-days`);
    if (domainShare <= PROPS_MAX_SINGLE_SHARE) continue;
    const remedy = feature?.byDomain === true
      ? `find the links whose host differs per visitor (the ${m.event} host breakdown, under ${d.firstParty ? 'the site\'s own domain' : 'one domain'}) and give them one host, or remove data-outbound from the tracker's script tag; TOKUMEI_PROPS_ALLOWLIST does not apply to this key`
      : `the tracker sends only the extensions data-downloads lists: shorten that list, or remove data-downloads from the tracker's script tag; TOKUMEI_PROPS_ALLOWLIST does not apply to this key`;
    findings.push({
      table: 'events', column: 'props', pattern: 'single-visitor values', count: d.singleVisitorValues, location: `site ${m.site}, event ${m.event}, key ${m.key}`,
      message: `events.props key "${m.key}" of ${m.event} (${feature?.feature ?? 'reserved'}) on ${m.site}: in ${where}, ${d.singleVisitorValues} of ${d.values} distinct ${unit} (${percent(domainShare)}) were seen from one visitor only, by ${d.owners} visitor-days, above ${percent(PROPS_MAX_SINGLE_SHARE)}: a ${feature?.byDomain === true ? 'host' : 'value'} per visitor is a tag that singles them out, not browsing; ${remedy}`,
    });
  }
  return { evidence, findings };
}

/**
 * Fails for a (site, key) whose values mostly belong to one visitor each, whatever they say: a name, a place or a
 * random id passes every pattern (the scrubber's and the independent detector's), but not this count. A fail, not a
 * report-only number like the page-view uniqueness: keys are the operator's own allow-list, so the remedy is theirs
 * (drop the key or store coarser values), and a store of values that single out a person is not pseudonymously
 * processed information. False positives are expected on long-tail keys of small sites; the finding says which.
 * The reserved keys of the automatic events are judged per domain (reservedFindings).
 */
export function propsUniquenessCheck(measures: PropsMeasures | undefined, days: number): CheckResult {
  const base = {
    ...PROMISE_FIELDS,
    scope: measures === undefined
      ? 'events.props (no such column)'
      : `${measures.keys.length} (site, key) pairs and ${measures.reserved.length} (site, event, reserved key) triples of events.props over the last ${days} days (the retained window), canary sites and rows without a visitor hash excluded`,
    method: `Per (site, key): distinct values, and those that in every salt domain (UTC day, import run) where they appear came from one visitor hash only. A value that identifies a person is by nature seen from one visitor; no pattern is used. Fails where more than ${percent(PROPS_MAX_SINGLE_SHARE)} of at least ${PROPS_MIN_VALUES} distinct values are single-visitor. The automatic events' reserved keys (${RESERVED_PROPS.map((r) => `${r.event} ${r.key}`).join(', ')}), stored without the allow-list and only in shape, are judged apart: ${RESERVED_PROPS.filter((r) => r.byDomain).map((r) => r.key).join(', ')} per registrable domain (Public Suffix List), each domain or key only once ${RESERVED_MIN_OWNERS} visitor-days own a single-visitor value there, so that one visitor's browsing is not a finding and a value per visitor (a per-visitor subdomain) is. Only counts leave ClickHouse.`,
  };
  if (measures === undefined) return check({ ...base, evidence: ['events has no props column'], findings: [] });
  const findings: Finding[] = [];
  const evidence: string[] = [];
  for (const m of measures.keys) {
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
  for (const m of measures.reserved) {
    const r = reservedFindings(m);
    evidence.push(...r.evidence);
    findings.push(...r.findings);
  }
  if (measures.keys.length === 0 && measures.reserved.length === 0) evidence.push('no custom property stored in the window');
  return check({ ...base, evidence, findings });
}
