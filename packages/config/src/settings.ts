/**
 * Every environment variable Tokumei reads, declared once. `loadConfig` parses them into a typed object; the README
 * table and the docker-compose test read this same list, so a setting cannot exist in one place and not the others.
 */
export type Role = 'ingest' | 'worker' | 'api';
export const ROLES: readonly Role[] = ['ingest', 'worker', 'api'];

export type ConsentPolicy = 'count' | 'drop' | 'ignore';

export interface Setting {
  readonly env: string;
  readonly default: string | undefined;
  readonly doc: string;
}

export const SETTINGS = [
  { env: 'INGEST_PORT', default: '8080', doc: 'Port of the ingest service (`POST /collect`, `/t.js`).' },
  { env: 'API_PORT', default: '8081', doc: 'Port of the stats API and dashboard.' },
  { env: 'TOKUMEI_HOST', default: '127.0.0.1', doc: 'Address the HTTP services bind to.' },
  { env: 'TOKUMEI_ROLES', default: 'ingest,worker,api', doc: 'Roles this process runs: any of `ingest`, `worker`, `api`.' },
  { env: 'TOKUMEI_DATA_DIR', default: './data', doc: 'Embedded ClickHouse (chDB) data, salt file, journal of accepted records, import checkpoints.' },
  { env: 'KAFKA_BROKERS', default: undefined, doc: 'Comma-separated Kafka brokers. Unset: in-process bus (embedded mode).' },
  { env: 'KAFKA_CLIENT_ID', default: 'tokumei', doc: 'Kafka client id prefix.' },
  { env: 'TOKUMEI_RAW_TOPIC', default: 'tokumei.raw', doc: 'Kafka topic for raw (not yet pseudonymized) records.' },
  { env: 'TOKUMEI_RAW_RETENTION_MS', default: '86400000', doc: 'Retention Tokumei sets on the raw topic (default 24 h).' },
  { env: 'TOKUMEI_RAW_PARTITIONS', default: '3', doc: 'Partition count when Tokumei creates the raw topic.' },
  { env: 'TOKUMEI_RAW_REPLICATION', default: undefined, doc: 'Replicas of each partition of the raw topic and of the salt register topic (`TOKUMEI_SALT_TOPIC`) when Tokumei creates them, with `min.insync.replicas` set to a majority (2 of 3). Unset: the brokers\' defaults.' },
  { env: 'TOKUMEI_KAFKA_SESSION_TIMEOUT_MS', default: '30000', doc: 'How long Kafka waits for a silent worker before giving its partitions to another.' },
  { env: 'TOKUMEI_CONSUMER_GROUP', default: 'tokumei-worker', doc: 'Kafka consumer group of the workers.' },
  { env: 'CLICKHOUSE_URL', default: undefined, doc: 'ClickHouse server URL (with user, password, database). Unset: embedded chDB.' },
  { env: 'TOKUMEI_API_TOKEN', default: undefined, doc: 'Bearer token the stats API requires. Unset: API binds to loopback only.' },
  { env: 'TOKUMEI_TRUST_PROXY', default: undefined, doc: 'Honour `X-Forwarded-For` from these proxies (comma-separated addresses/CIDRs, or `true` for any).' },
  { env: 'TOKUMEI_MIN_VISITORS', default: '5', doc: 'k-anonymity threshold: breakdown rows with fewer visitors are folded into `(other)`.' },
  { env: 'TOKUMEI_BODY_LIMIT', default: '8192', doc: 'Largest accepted beacon body, in bytes.' },
  { env: 'TOKUMEI_BUS_MAX_PENDING', default: '10000', doc: 'Records the bus may hold unacknowledged before ingest answers 503.' },
  { env: 'TOKUMEI_BATCH_SIZE', default: '1000', doc: 'Largest chunk of records the worker inserts into ClickHouse at once.' },
  { env: 'TOKUMEI_EVENTS_TTL_DAYS', default: '30', doc: 'Days pseudonymized per-event rows are kept.' },
  { env: 'TOKUMEI_AGGREGATES_TTL_MONTHS', default: '25', doc: 'Months aggregate rows are kept.' },
  { env: 'TOKUMEI_CONSENT_POLICY', default: 'count', doc: '`DNT: 1` / `Sec-GPC: 1`: `count` (no session/visitor hash), `drop`, or `ignore`.' },
  { env: 'TOKUMEI_QUERY_ALLOWLIST', default: 'utm_source,utm_medium,utm_campaign,utm_term,utm_content,ref,source', doc: 'Query parameters kept from page URLs; all others are dropped.' },
  { env: 'TOKUMEI_PATH_ID_KEYS', default: '', doc: 'More path segments followed by an identifier, added to the built-in list (`users`, `profile`, `account`, `会員`, `マイページ` …), e.g. `shop-staff`: `/shop-staff/jane` is stored as `/shop-staff/:id`.' },
  { env: 'TOKUMEI_PROPS_ALLOWLIST', default: '', doc: 'Custom property keys stored, per site: `site:key,key;site:key`, `*` for every site (`example.com:plan,lang;*:variant`). Keys are case-sensitive identifiers. Unset: no property is stored (a free-text property is the easiest way to store personal data); every kept value still passes the privacy engine.' },
  { env: 'TOKUMEI_SITES', default: undefined, doc: 'Comma-separated sites (host names) accepted. Unset: any valid host name. Beacons for other sites get `403 TKM_UNKNOWN_SITE`.' },
  { env: 'TOKUMEI_TIME_PRECISION', default: 'second', doc: 'Stored timestamp precision: `second`, `minute` or `hour`.' },
  { env: 'TOKUMEI_GOALS', default: undefined, doc: 'Goals per site, the seed that `PUT /api/sites/:site/goals` replaces: a JSON file path, or the JSON itself, `{"example.com": [{"page_path": "/thanks/**", "display_name": "Thanks"}, {"event_name": "signup"}]}`. `*` matches within a path segment, `**` across them. At most 100 goals per site. Unset: no goals until the API sets some.' },
  { env: 'TOKUMEI_UMAMI_WEBSITES', default: undefined, doc: 'Umami website ids and the site each files its events under, for Umami trackers sending to `POST /api/send`: a JSON file path, or the JSON itself, `{"7f3c1d2e-0a4b-4c5d-8e9f-0123456789ab": "example.com"}`. An id not listed is refused (`403 TKM_UNKNOWN_WEBSITE`). Unset: `/api/send` accepts no website ([docs/trackers.md](docs/trackers.md)).' },
  { env: 'TOKUMEI_SITE_TIMEZONES', default: undefined, doc: 'Reporting time zone per site (IANA names, checked at start): a JSON file path, or the JSON itself, `{"example.jp": "Asia/Tokyo"}`. `POST /api/v2/query` buckets `time:hour`/`time:day`/`time:week`/`time:month` from events in it and says so in `meta.time_zone`; date ranges, the rollup answers and visitor counting stay per UTC day (a visitor id is made with its UTC day\'s salt). Unset or not listed: UTC ([docs/stats-api.md](docs/stats-api.md#time-zones)).' },
  { env: 'TOKUMEI_GEO', default: 'country', doc: '`country`: look the IP up in a local country database, then discard it; `off`: no geography.' },
  { env: 'TOKUMEI_SALT_GRACE_HOURS', default: '24', doc: 'Hours after its UTC day ends that a day salt is still used for late records, then destroyed (0 to 24).' },
  { env: 'TOKUMEI_SALT_TOPIC', default: 'tokumei.salts', doc: 'Kafka topic that shares day salts between workers (compacted, short retention).' },
  { env: 'TOKUMEI_LOG_LEVEL', default: 'info', doc: 'Log level: `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`.' },
  { env: 'TOKUMEI_LOG_FILE', default: undefined, doc: 'Also append log lines to this file (mode 0600), so `tokumei audit --canary` can search the service log. Unset: standard output only.' },
] as const satisfies readonly Setting[];

export type SettingName = (typeof SETTINGS)[number]['env'];
export const SETTING_NAMES: ReadonlySet<string> = new Set(SETTINGS.map((s) => s.env));

/** The README's configuration table; a test keeps the README in step with SETTINGS. */
export function renderSettingsTable(): string {
  const rows = SETTINGS.map((s: Setting) => `| \`${s.env}\` | ${s.default === undefined ? '(unset)' : `\`${s.default}\``} | ${s.doc} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
