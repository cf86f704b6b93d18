/**
 * What Tokumei stores, declared once: every table, every column, where its value comes from, how it was made
 * harmless, and why it is kept. Migrations create the tables; a test fails when a table or column exists that is
 * not declared here (or the other way round), and the audit compares the live database with this list.
 */
export interface ColumnPolicy {
  readonly name: string;
  /** The column type exactly as ClickHouse reports it in system.columns. */
  readonly type: string;
  readonly source: string;
  readonly transform: string;
  readonly purpose: string;
}

export interface TablePolicy {
  readonly table: string;
  readonly kind: 'events' | 'aggregate' | 'operational';
  readonly purpose: string;
  /** Setting that bounds how long rows live, or a fixed statement. */
  readonly retention: string;
  readonly columns: readonly ColumnPolicy[];
}

const LC = 'LowCardinality(String)';
const UTM = (name: string): ColumnPolicy => ({
  name, type: LC, source: `URL query parameter ${name}`, transform: 'kept only when allow-listed; e-mail-, phone- or token-like values replaced by a placeholder; ≤ 100 chars', purpose: 'campaign statistics',
});

export const EVENTS_TABLE: TablePolicy = {
  table: 'events',
  kind: 'events',
  purpose: 'Pseudonymized page views and custom events, the source of every statistic',
  retention: 'TOKUMEI_EVENTS_TTL_DAYS (default 30 days), ClickHouse TTL',
  columns: [
    { name: 'site', type: LC, source: 'beacon site / log vhost or --site', transform: 'as sent (validated)', purpose: 'which website' },
    { name: 'ts', type: "DateTime('UTC')", source: 'receipt time (beacon) or line time (log)', transform: 'second precision, or coarsened per TOKUMEI_TIME_PRECISION', purpose: 'time series' },
    { name: 'event', type: LC, source: 'beacon event', transform: 'name pattern [A-Za-z0-9_.:-], ≤ 64 chars', purpose: 'page views vs custom events' },
    { name: 'host', type: LC, source: 'page URL', transform: 'host name only, lower-case', purpose: 'sites served on several hosts' },
    { name: 'path', type: 'String', source: 'page URL', transform: 'percent-decoded; personal-data-like segments replaced by :email/:phone/:ip/:id/:token; fragment and query removed; ≤ 512 chars', purpose: 'page statistics' },
    { name: 'query', type: 'String', source: 'page URL', transform: 'allow-listed parameters only (TOKUMEI_QUERY_ALLOWLIST), values scrubbed', purpose: 'campaign statistics' },
    { name: 'referrer_host', type: LC, source: 'beacon referrer / log Referer', transform: 'host only, without www.; empty for same-site and non-http referrers', purpose: 'traffic sources' },
    UTM('utm_source'), UTM('utm_medium'), UTM('utm_campaign'), UTM('utm_term'), UTM('utm_content'),
    { name: 'session', type: 'UInt64', source: 'beacon sid', transform: 'HMAC-SHA256(day salt, site, sid) truncated to 64 bits; 0 when absent or consent signal', purpose: 'sessions, bounce rate, duration' },
    { name: 'visitor', type: 'UInt64', source: 'client IP and user agent', transform: 'HMAC-SHA256(day salt, site, IP, user agent) truncated to 64 bits; salt destroyed after the day; 0 on consent signal', purpose: 'unique visitors per day' },
    { name: 'browser', type: LC, source: 'User-Agent', transform: 'browser family (ua-parser-js)', purpose: 'technology statistics' },
    { name: 'browser_version', type: LC, source: 'User-Agent', transform: 'major version only', purpose: 'technology statistics' },
    { name: 'os', type: LC, source: 'User-Agent', transform: 'OS family', purpose: 'technology statistics' },
    { name: 'os_version', type: LC, source: 'User-Agent', transform: 'major version, mobile systems only', purpose: 'technology statistics' },
    { name: 'device', type: LC, source: 'User-Agent', transform: 'desktop / mobile / tablet / other', purpose: 'technology statistics' },
    { name: 'screen', type: LC, source: 'beacon w (viewport width)', transform: 'size class: mobile < 576 ≤ tablet < 992 ≤ laptop < 1440 ≤ desktop', purpose: 'layout statistics' },
    { name: 'country', type: LC, source: 'client IP', transform: 'ISO country code from a local database; the IP is discarded after the lookup', purpose: 'geography (country only)' },
    { name: 'lang', type: LC, source: 'beacon lang', transform: 'language tag, lower-case, ≤ 35 chars', purpose: 'language statistics' },
    { name: 'src', type: LC, source: 'record origin', transform: 'beacon or log', purpose: 'separating tracker and log data' },
  ],
};

const OPERATIONAL = (table: string, purpose: string, retention: string, columns: [string, string, string][]): TablePolicy => ({
  table, kind: 'operational', purpose, retention,
  columns: columns.map(([name, type, source]) => ({ name, type, source, transform: 'no personal data', purpose })),
});

/** Every table Tokumei creates. A new table is declared here in the same change as its migration. */
export const FIELD_POLICY: readonly TablePolicy[] = [
  EVENTS_TABLE,
  {
    table: 'agg_pages_hourly', kind: 'aggregate', purpose: 'Hourly page views, visitors and sessions per path',
    retention: 'TOKUMEI_AGGREGATES_TTL_MONTHS (default 25 months), ClickHouse TTL',
    columns: [
      { name: 'site', type: LC, source: 'events.site', transform: 'group key', purpose: 'which website' },
      { name: 'hour', type: "DateTime('UTC')", source: 'events.ts', transform: 'start of hour', purpose: 'time series' },
      { name: 'path', type: 'String', source: 'events.path', transform: 'group key (already scrubbed)', purpose: 'page statistics' },
      { name: 'pageviews', type: 'SimpleAggregateFunction(sum, UInt64)', source: 'events', transform: 'count', purpose: 'page views' },
      { name: 'visitors', type: 'AggregateFunction(uniq, UInt64)', source: 'events.visitor', transform: 'uniq sketch of hashes', purpose: 'unique visitors' },
      { name: 'sessions', type: 'AggregateFunction(uniq, UInt64)', source: 'events.session', transform: 'uniq sketch of hashes', purpose: 'sessions' },
    ],
  },
  {
    table: 'bots_daily', kind: 'aggregate', purpose: 'Bot requests counted per site and day, never stored per event',
    retention: 'TOKUMEI_AGGREGATES_TTL_MONTHS (default 25 months), ClickHouse TTL',
    columns: [
      { name: 'site', type: LC, source: 'record site', transform: 'group key', purpose: 'which website' },
      { name: 'day', type: 'Date', source: 'record time', transform: 'UTC day', purpose: 'time series' },
      { name: 'bots', type: 'SimpleAggregateFunction(sum, UInt64)', source: 'isbot(User-Agent)', transform: 'count only', purpose: 'bot traffic volume' },
    ],
  },
  OPERATIONAL('ingest_ranges', 'exactly-once bookkeeping of bus offsets', '7 days, ClickHouse TTL', [
    ['topic', LC, 'bus topic'], ['partition', 'UInt32', 'bus partition'], ['first_offset', 'UInt64', 'bus offset'],
    ['last_offset', 'UInt64', 'bus offset'], ['done', 'UInt8', 'insert acknowledged'], ['created', "DateTime('UTC')", 'clock'],
  ]),
  OPERATIONAL('tokumei_migrations', 'schema versions applied', 'kept', [
    ['version', 'UInt32', 'migration file'], ['name', 'String', 'migration file'], ['applied', "DateTime('UTC')", 'clock'],
  ]),
  OPERATIONAL('salt_log', 'evidence for auditors: when each day salt existed (never the salt itself)', 'TOKUMEI_AGGREGATES_TTL_MONTHS, ClickHouse TTL', [
    ['day', 'Date', 'salt day'], ['commitment', 'String', 'SHA-256 of the salt (a commitment; the salt cannot be derived from it)'],
    ['created', "DateTime('UTC')", 'clock'], ['destroyed', "Nullable(DateTime('UTC'))", 'clock'], ['version', 'UInt64', 'clock (ms)'],
  ]),
];

/** The field policy as Markdown: `npx tokumei policy`, and the audit's data inventory. */
export function renderFieldPolicy(tables: readonly TablePolicy[] = FIELD_POLICY): string {
  const out: string[] = [];
  for (const t of tables) {
    out.push(`### ${t.table} (${t.kind})`, '', `${t.purpose}. Retention: ${t.retention}.`, '',
      '| column | type | source | transform | purpose |', '| --- | --- | --- | --- | --- |',
      ...t.columns.map((c) => `| ${c.name} | \`${c.type}\` | ${c.source} | ${c.transform} | ${c.purpose} |`), '');
  }
  return out.join('\n');
}
