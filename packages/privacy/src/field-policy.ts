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
  name, type: LC, source: `URL query parameter ${name}`, transform: 'kept only when allow-listed; decoded every way and judged like a path segment (placeholder on a hit); anything but a plain campaign word (letters, digits, space . _ -, ≤ 100 chars) becomes :value', purpose: 'campaign statistics',
});

// Columns and retention shared by the aggregate tables (filled by materialized views on events).
const AGGREGATES_TTL = 'TOKUMEI_AGGREGATES_TTL_MONTHS (default 25 months), ClickHouse TTL';
const GROUP_SITE: ColumnPolicy = { name: 'site', type: LC, source: 'events.site', transform: 'group key', purpose: 'which website' };
const GROUP_DIMENSION: ColumnPolicy = { name: 'dimension', type: LC, source: 'fixed list', transform: 'name of the events column grouped by', purpose: 'breakdowns' };
const PAGEVIEWS_SUM: ColumnPolicy = { name: 'pageviews', type: 'SimpleAggregateFunction(sum, UInt64)', source: 'events', transform: 'count', purpose: 'page views' };
const VISITORS_STATE: ColumnPolicy = { name: 'visitors', type: 'AggregateFunction(uniq, UInt64)', source: 'events.visitor', transform: 'uniq sketch of hashes', purpose: 'unique visitors' };
const SESSIONS_STATE: ColumnPolicy = { name: 'sessions', type: 'AggregateFunction(uniq, UInt64)', source: 'events.session', transform: 'uniq sketch of hashes', purpose: 'sessions' };
// k-anonymity is judged per salt domain (UTC day + this, migration 006_salt_domains.sql): hashes made with different
// salts never match, so summed across domains one person seen in k domains would pass as k visitors.
const SALT_DOMAIN: ColumnPolicy = { name: 'salt_domain', type: 'UInt64', source: 'events.salt_domain', transform: 'group key', purpose: 'k-anonymity per salt domain' };

export const EVENTS_TABLE: TablePolicy = {
  table: 'events',
  kind: 'events',
  purpose: 'Pseudonymized page views and custom events, the source of every statistic',
  retention: 'TOKUMEI_EVENTS_TTL_DAYS (default 30 days), ClickHouse TTL',
  columns: [
    { name: 'site', type: LC, source: 'beacon site / log vhost or --site', transform: 'a host name (lower case, IDN in ASCII form; no IP, no @, no invisible characters, no label that carries personal data), one of TOKUMEI_SITES when set; else the record is refused', purpose: 'which website' },
    { name: 'ts', type: "DateTime('UTC')", source: 'receipt time (beacon) or line time (log)', transform: 'second precision, or coarsened per TOKUMEI_TIME_PRECISION', purpose: 'time series' },
    { name: 'event', type: LC, source: 'beacon event', transform: 'name pattern [A-Za-z0-9_.:-], ≤ 64 chars; judged like a path segment (placeholder on a hit)', purpose: 'page views vs custom events' },
    { name: 'host', type: LC, source: 'page URL', transform: 'the site, or a subdomain of it whose labels are all clean; anything else (an IP, another domain, a personal subdomain) is stored as the site', purpose: 'sites served on several hosts' },
    { name: 'path', type: 'String', source: 'page URL', transform: 'every segment judged in every reading (percent-decoded until stable, Shift_JIS/EUC-JP, NFKC); personal data replaced by :email/:phone/:postal/:card/:ip/:id/:token/:address/:name, numbers spread over segments too, the segment after an identity key by :id; stored decoded (non-UTF-8 bytes stay escaped), control characters removed; fragment and query removed; ≤ 512 chars', purpose: 'page statistics' },
    { name: 'query', type: 'String', source: 'page URL', transform: 'allow-listed parameters only (TOKUMEI_QUERY_ALLOWLIST), values scrubbed', purpose: 'campaign statistics' },
    { name: 'referrer_host', type: LC, source: 'beacon referrer / log Referer', transform: 'host only, without www.; each label judged like a path segment (IP literals and data-carrying labels become placeholders); empty for same-site and non-http referrers', purpose: 'traffic sources' },
    UTM('utm_source'), UTM('utm_medium'), UTM('utm_campaign'), UTM('utm_term'), UTM('utm_content'),
    { name: 'session', type: 'UInt64', source: 'beacon sid', transform: 'HMAC-SHA256(day salt, site, sid) truncated to 64 bits; 0 when absent or consent signal', purpose: 'sessions, bounce rate, duration' },
    { name: 'visitor', type: 'UInt64', source: 'client IP and user agent', transform: 'HMAC-SHA256(day salt, site, IP, user agent) truncated to 64 bits; salt destroyed after the day; 0 on consent signal', purpose: 'unique visitors per day' },
    { name: 'salt_domain', type: 'UInt64', source: 'record run (tokumei import)', transform: "a number from the import run's random id (first 60 bits + 1), 0 for live records: which salt made the hashes (besides the day)", purpose: 'k-anonymity per salt domain' },
    { name: 'browser', type: LC, source: 'User-Agent', transform: 'browser family (ua-parser-js)', purpose: 'technology statistics' },
    { name: 'browser_version', type: LC, source: 'User-Agent', transform: 'leading integer of the version only (≤ 4 digits), else empty', purpose: 'technology statistics' },
    { name: 'os', type: LC, source: 'User-Agent', transform: 'OS family', purpose: 'technology statistics' },
    { name: 'os_version', type: LC, source: 'User-Agent', transform: 'leading integer of the version (≤ 4 digits), mobile systems only', purpose: 'technology statistics' },
    { name: 'device', type: LC, source: 'User-Agent', transform: 'desktop / mobile / tablet / other', purpose: 'technology statistics' },
    { name: 'screen', type: LC, source: 'beacon w (viewport width)', transform: 'size class: mobile < 576 ≤ tablet < 992 ≤ laptop < 1440 ≤ desktop', purpose: 'layout statistics' },
    { name: 'country', type: LC, source: 'client IP', transform: 'ISO country code from a local database, none for special-purpose addresses (private, documentation, CGNAT …); the IP is discarded after the lookup', purpose: 'geography (country only)' },
    { name: 'lang', type: LC, source: 'beacon lang', transform: 'a valid BCP 47 tag reduced to a known language and region, lower-case (ja-jp); else empty', purpose: 'language statistics' },
    { name: 'src', type: LC, source: 'record origin', transform: 'beacon or log', purpose: 'separating tracker and log data' },
    { name: 'props', type: 'Map(LowCardinality(String), String)', source: 'beacon props', transform: "only keys in the site's TOKUMEI_PROPS_ALLOWLIST (default none); each value judged in every reading like a query value (placeholder :email/:phone/:name/… on a hit), values split over keys judged together, anything but a short label (≤ 40 chars, ≤ 3 words, ≤ 3 numerals, nothing that marks a name, an address or an e-mail: props-label.ts) becomes :value. Reserved, without the allow-list: host of Outbound_Link:_Click (a host as URL.hostname writes it, judged like a referrer host and each label below the TLD by the label rule; an IP literal :ip, anything else its placeholder or :value) and ext of File_Download (1-8 of a-z 0-9, ≤ 3 numerals, judged; else its placeholder or :value): reserved-props.ts", purpose: 'custom property breakdowns; outbound link and download breakdowns' },
    { name: 'engaged_ms', type: 'UInt32', source: 'beacon em (engagement events)', transform: 'integer ms the page was visible, ≤ 30 min per beacon; 0 for other events', purpose: 'time on page, visit duration, bounce rate' },
    { name: 'scroll_depth', type: 'UInt8', source: 'beacon sd (engagement events)', transform: 'integer % 0–100; 0 for other events', purpose: 'scroll depth' },
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
    table: 'bots_daily', kind: 'aggregate', purpose: 'Bot requests counted per site and day, never stored per event',
    retention: AGGREGATES_TTL,
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
  // Statistics tables (packages/store/migrations/003_stats.sql), each filled by a materialized view on events: the stats
  // API and Grafana read these, so no analyst query needs the events table.
  {
    table: 'agg_site_hourly', kind: 'aggregate', purpose: 'Hourly page views, visitors and sessions per site (summary, time series)',
    retention: AGGREGATES_TTL,
    columns: [
      GROUP_SITE,
      { name: 'hour', type: "DateTime('UTC')", source: 'events.ts', transform: 'start of hour', purpose: 'time series' },
      PAGEVIEWS_SUM,
      VISITORS_STATE,
      SESSIONS_STATE,
    ],
  },
  {
    table: 'agg_dimensions_hourly', kind: 'aggregate',
    purpose: 'Hourly page views, visitors and sessions per value of one dimension (page, referrer host, utm_*, browser, OS, device, country, language, screen)',
    retention: AGGREGATES_TTL,
    columns: [
      GROUP_SITE,
      GROUP_DIMENSION,
      { name: 'hour', type: "DateTime('UTC')", source: 'events.ts', transform: 'start of hour', purpose: 'time series' },
      { name: 'value', type: 'String', source: 'events.path, referrer_host, utm_source/medium/campaign, browser, os, device, country, lang, screen', transform: 'group key (already reduced by the privacy step); the API folds values with fewer than TOKUMEI_MIN_VISITORS visitors', purpose: 'breakdowns' },
      PAGEVIEWS_SUM,
      VISITORS_STATE,
      SESSIONS_STATE,
      SALT_DOMAIN,
    ],
  },
  {
    table: 'agg_dimensions_daily', kind: 'aggregate',
    purpose: 'agg_dimensions_hourly per UTC day: breakdowns over whole days read 24 times fewer rows',
    retention: AGGREGATES_TTL,
    columns: [
      GROUP_SITE,
      GROUP_DIMENSION,
      { name: 'day', type: 'Date', source: 'events.ts', transform: 'UTC day', purpose: 'time range' },
      { name: 'value', type: 'String', source: 'as agg_dimensions_hourly.value', transform: 'group key (already reduced by the privacy step); the API folds values with fewer than TOKUMEI_MIN_VISITORS visitors', purpose: 'breakdowns' },
      PAGEVIEWS_SUM,
      VISITORS_STATE,
      SESSIONS_STATE,
      SALT_DOMAIN,
    ],
  },
  {
    table: 'agg_sessions', kind: 'events',
    purpose: 'One pseudonymous row per session and UTC day: entry and exit page, start, end, page views (session metrics)',
    retention: 'TOKUMEI_EVENTS_TTL_DAYS (default 30 days), ClickHouse TTL: per-session rows live no longer than events',
    columns: [
      GROUP_SITE,
      { name: 'day', type: 'Date', source: 'events.ts', transform: 'UTC day (a session hash is per day salt)', purpose: 'retention, range filter' },
      { name: 'session', type: 'UInt64', source: 'events.session', transform: 'the keyed hash as stored in events; session 0 (none) excluded', purpose: 'one row per session' },
      { name: 'visitor', type: 'SimpleAggregateFunction(any, UInt64)', source: 'events.visitor', transform: 'the keyed hash as stored in events', purpose: 'visitors per entry/exit page' },
      { name: 'started', type: "SimpleAggregateFunction(min, DateTime('UTC'))", source: 'events.ts', transform: 'first page view', purpose: 'session duration' },
      { name: 'ended', type: "SimpleAggregateFunction(max, DateTime('UTC'))", source: 'events.ts', transform: 'last page view', purpose: 'session duration' },
      { name: 'pageviews', type: 'SimpleAggregateFunction(sum, UInt64)', source: 'events', transform: 'count', purpose: 'views per session, bounce rate' },
      { name: 'entry_page', type: "AggregateFunction(argMin, String, DateTime('UTC'))", source: 'events.path', transform: 'path of the first page view', purpose: 'entry pages' },
      { name: 'exit_page', type: "AggregateFunction(argMax, String, DateTime('UTC'))", source: 'events.path', transform: 'path of the last page view', purpose: 'exit pages' },
      SALT_DOMAIN,
    ],
  },
  // Engagement (packages/store/migrations/008_props_engagement.sql), filled from engagement events only.
  {
    table: 'agg_engagement_sessions', kind: 'events',
    purpose: 'One pseudonymous row per session and UTC day with its engagement: visit duration and bounces that count engaged time',
    retention: 'TOKUMEI_EVENTS_TTL_DAYS (default 30 days), ClickHouse TTL: per-session rows live no longer than events',
    columns: [
      GROUP_SITE,
      { name: 'day', type: 'Date', source: 'events.ts', transform: 'UTC day (a session hash is per day salt)', purpose: 'retention, range filter' },
      { name: 'session', type: 'UInt64', source: 'events.session', transform: 'the keyed hash as stored in events; session 0 (none) excluded', purpose: 'joins agg_sessions' },
      SALT_DOMAIN,
      { name: 'engagements', type: 'SimpleAggregateFunction(sum, UInt64)', source: 'events', transform: 'count of engagement events', purpose: 'averages' },
      { name: 'engaged_ms', type: 'SimpleAggregateFunction(sum, UInt64)', source: 'events.engaged_ms', transform: 'sum', purpose: 'engaged time per visit, bounce rule (≥ 10 s is no bounce)' },
      { name: 'scroll_depth', type: 'SimpleAggregateFunction(max, UInt8)', source: 'events.scroll_depth', transform: 'max', purpose: 'scroll depth per visit' },
      { name: 'last_seen', type: "SimpleAggregateFunction(max, DateTime('UTC'))", source: 'events.ts', transform: 'last engagement beacon', purpose: 'visit duration up to when the page was left' },
    ],
  },
  {
    table: 'agg_engagement_daily', kind: 'aggregate', purpose: 'Engaged time and scroll depth per page and UTC day (time_on_page, scroll_depth)',
    retention: AGGREGATES_TTL,
    columns: [
      GROUP_SITE,
      { name: 'day', type: 'Date', source: 'events.ts', transform: 'UTC day', purpose: 'time range' },
      { name: 'path', type: 'String', source: 'events.path', transform: 'group key (already reduced by the privacy step); the API folds values with fewer than TOKUMEI_MIN_VISITORS visitors', purpose: 'page breakdowns' },
      SALT_DOMAIN,
      { name: 'engagements', type: 'SimpleAggregateFunction(sum, UInt64)', source: 'events', transform: 'count of engagement events', purpose: 'averages' },
      { name: 'engaged_ms', type: 'SimpleAggregateFunction(sum, UInt64)', source: 'events.engaged_ms', transform: 'sum', purpose: 'time on page' },
      { name: 'scroll_sum', type: 'SimpleAggregateFunction(sum, UInt64)', source: 'events.scroll_depth', transform: 'sum (average = scroll_sum / engagements)', purpose: 'scroll depth' },
      VISITORS_STATE,
    ],
  },
  {
    table: 'agg_realtime_minutely', kind: 'aggregate', purpose: 'Page views and visitors per site and minute, for "visitors in the last 5 minutes"',
    retention: '1 day, ClickHouse TTL',
    columns: [
      GROUP_SITE,
      { name: 'minute', type: "DateTime('UTC')", source: 'events.ts', transform: 'start of minute', purpose: 'realtime window' },
      PAGEVIEWS_SUM,
      { name: 'visitors', type: 'AggregateFunction(uniq, UInt64)', source: 'events.visitor', transform: 'uniq sketch of hashes', purpose: 'current visitors' },
    ],
  },
  // Finalized per-day numbers written by the rollup job (packages/store/migrations/004_rollups.sql): counts only.
  {
    table: 'stats_daily', kind: 'aggregate',
    purpose: 'Finalized page views, visitors, sessions and session metrics per site, UTC day and breakdown value, for days that can no longer change',
    retention: AGGREGATES_TTL,
    columns: [
      { name: 'site', type: LC, source: 'agg_site_hourly.site', transform: 'group key', purpose: 'which website' },
      { name: 'dimension', type: LC, source: 'fixed list', transform: "'' for site totals, 'hour', or a breakdown dimension (entry_page and exit_page included)", purpose: 'breakdowns' },
      { name: 'day', type: 'Date', source: 'state tables', transform: 'UTC day', purpose: 'time range' },
      { name: 'value', type: 'String', source: 'agg_dimensions_daily.value, agg_sessions entry/exit page, hour of day', transform: 'group key (already reduced by the privacy step); the API folds values with fewer than TOKUMEI_MIN_VISITORS visitors', purpose: 'breakdowns' },
      { name: 'pageviews', type: 'UInt64', source: 'state tables', transform: 'count', purpose: 'page views' },
      { name: 'visitors', type: 'UInt64', source: 'uniq states of visitor hashes', transform: 'count of the day (finalized, no hash kept)', purpose: 'unique visitors' },
      { name: 'sessions', type: 'UInt64', source: 'uniq states of session hashes, agg_sessions', transform: 'count of the day (finalized, no hash kept)', purpose: 'sessions' },
      { name: 'sessions_started', type: 'UInt64', source: 'agg_sessions', transform: 'count of sessions that started that day', purpose: 'session metrics' },
      { name: 'session_views', type: 'UInt64', source: 'agg_sessions', transform: 'sum of their page views', purpose: 'views per session' },
      { name: 'bounces', type: 'UInt64', source: 'agg_sessions', transform: 'count of one-page sessions', purpose: 'bounce rate' },
      { name: 'duration', type: 'UInt64', source: 'agg_sessions', transform: 'sum of seconds from first to last page view', purpose: 'average session duration' },
      { name: 'version', type: 'UInt64', source: 'agg_site_hourly', transform: "the day's page views the rollup was made from", purpose: 'replacing a stale rollup' },
      { ...SALT_DOMAIN, source: 'state tables salt_domain', transform: 'group key (0 for totals and hours)' },
    ],
  },
  // Goals set through the API (packages/store/migrations/009_goals.sql); TOKUMEI_GOALS seeds sites without a row.
  OPERATIONAL('site_goals', 'goals per site (page path patterns, custom event names), evaluated against events at query time', 'kept (configuration)', [
    ['site', 'String', 'API request path'], ['goals', 'String', 'goal list as JSON, as PUT /api/sites/:site/goals checked it'],
    ['version', 'UInt64', 'clock (ms)'], ['updated', "DateTime('UTC')", 'clock'],
  ]),
  // Shared links (packages/store/migrations/011_shared_links.sql): read-only dashboard access to one site. Only hashes
  // of the secrets, so the table cannot open a dashboard.
  OPERATIONAL('shared_links', 'read-only shared links to one site\'s dashboard (POST /api/sites/:site/shared-links)', 'kept (configuration); revoking writes a newer version', [
    ['id', 'String', 'random link id (64 bits, hex)'], ['site', 'String', 'API request path'], ['name', 'String', 'a label the operator gave the link'],
    ['token_hash', 'String', 'SHA-256 of the link\'s random token (the token itself is never stored)'],
    ['password_hash', 'String', 'scrypt hash of the link\'s password with a per-link salt, or empty'],
    ['created', "DateTime('UTC')", 'clock'], ['revoked', 'UInt8', 'API request (DELETE)'], ['version', 'UInt64', 'clock (ms)'],
  ]),
  // The privacy audit's last reports (packages/store/migrations/005_audit_reports.sql), so GET /api/audit can answer
  // without running an audit.
  OPERATIONAL('audit_reports', 'privacy audit reports, so GET /api/audit serves the last one', 'TOKUMEI_AGGREGATES_TTL_MONTHS, ClickHouse TTL', [
    ['created', "DateTime('UTC')", 'clock'], ['passed', 'UInt8', 'audit result'], ['schema_version', 'UInt32', 'report schema'],
    ['report', 'String', 'audit report as JSON: check results, evidence, masked samples (never a stored value)'],
    ['markdown', 'String', 'the same report as Markdown'],
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
