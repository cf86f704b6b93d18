import fs from 'node:fs';
import path from 'node:path';
import { domainToASCII } from 'node:url';
import { ConfigError } from '@tokumei/errors';
import { GoalError, parseGoalsFile, type Goal } from './goals.js';
import { ROLES, SETTINGS, type ConsentPolicy, type Role, type SettingName } from './settings.js';
import { SiteTimeZonesError, parseSiteTimeZones } from './timezones.js';
import { UmamiWebsitesError, parseUmamiWebsites } from './umami.js';

export interface Config {
  readonly ingestPort: number;
  readonly apiPort: number;
  readonly host: string;
  readonly roles: ReadonlySet<Role>;
  readonly dataDir: string;
  readonly kafka: KafkaConfig | undefined;
  readonly rawTopic: string;
  readonly rawRetentionMs: number;
  readonly rawPartitions: number;
  /** Replication factor for a newly created raw topic; undefined: the brokers' default.replication.factor. */
  readonly rawReplication: number | undefined;
  readonly consumerGroup: string;
  readonly clickhouseUrl: string | undefined;
  readonly apiToken: string | undefined;
  /** `true`: trust any proxy; a list: trust these addresses/CIDRs; `false`: use the socket address. */
  readonly trustProxy: boolean | readonly string[];
  readonly minVisitors: number;
  readonly bodyLimit: number;
  readonly busMaxPending: number;
  readonly batchSize: number;
  readonly eventsTtlDays: number;
  readonly aggregatesTtlMonths: number;
  readonly consentPolicy: ConsentPolicy;
  readonly privacy: PrivacyConfig;
  readonly logLevel: string;
  /** TOKUMEI_LOG_FILE, absolute; undefined: standard output only. */
  readonly logFile: string | undefined;
  /** TOKUMEI_GOALS per site: the seed the API's stored goals replace (packages/api/src/goals). */
  readonly goals: ReadonlyMap<string, readonly Goal[]>;
  /** TOKUMEI_UMAMI_WEBSITES: Umami website id (lower-case UUID) → site, for `POST /api/send`; empty: none. */
  readonly umamiWebsites: ReadonlyMap<string, string>;
  /** TOKUMEI_SITE_TIMEZONES: site → IANA zone of its reports; a site not listed reports in UTC. */
  readonly siteTimeZones: ReadonlyMap<string, string>;
}

export interface PrivacyConfig {
  readonly queryAllowList: ReadonlySet<string>;
  readonly pathIdKeys: ReadonlySet<string>;
  /** TOKUMEI_PROPS_ALLOWLIST: site (or `*`) → custom property keys stored; empty: none. */
  readonly propsAllowList: ReadonlyMap<string, ReadonlySet<string>>;
  /** TOKUMEI_SITES; undefined: any valid host name. */
  readonly sites: ReadonlySet<string> | undefined;
  readonly timePrecision: 'second' | 'minute' | 'hour';
  readonly geo: 'country' | 'off';
  readonly saltGraceMs: number;
  readonly saltTopic: string;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly sessionTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The one place that reads the environment. Everything else receives a `Config`. */
export function loadConfig(env: Env = process.env): Config {
  const raw = (name: SettingName): string | undefined => {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
    return SETTINGS.find((s) => s.env === name)?.default;
  };
  const required = (name: SettingName): string => {
    const value = raw(name);
    if (value === undefined) throw new ConfigError(name, 'is required');
    return value;
  };
  const int = (name: SettingName, min: number, max: number): number => {
    const text = required(name);
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${text}"`);
    }
    return value;
  };
  const oneOf = <T extends string>(name: SettingName, allowed: readonly T[]): T => {
    const value = required(name);
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${value}"`);
    }
    return value as T;
  };

  const list = (name: SettingName): ReadonlySet<string> =>
    new Set((raw(name) ?? '').split(',').map((v) => v.trim().toLowerCase()).filter((v) => v !== ''));

  // The beacon's key rule (packages/schema PROP_KEY): a key the beacon could never carry is a typo worth refusing.
  const propsAllowList = (): ReadonlyMap<string, ReadonlySet<string>> => {
    const allow = new Map<string, Set<string>>();
    for (const part of (raw('TOKUMEI_PROPS_ALLOWLIST') ?? '').split(';').map((p) => p.trim()).filter((p) => p !== '')) {
      const colon = part.lastIndexOf(':');
      const site = colon === -1 ? '' : part.slice(0, colon).trim().toLowerCase();
      const keys = colon === -1 ? [] : part.slice(colon + 1).split(',').map((k) => k.trim()).filter((k) => k !== '');
      if (site === '' || keys.length === 0) throw new ConfigError('TOKUMEI_PROPS_ALLOWLIST', `expected site:key,key (or *:key), got "${part}"`);
      const bad = keys.find((k) => !/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(k));
      if (bad !== undefined) throw new ConfigError('TOKUMEI_PROPS_ALLOWLIST', `"${bad}" is not a property key (a letter, then letters, digits or _, at most 40)`);
      const name = site === '*' ? site : domainToASCII(site.normalize('NFKC')) || site;
      allow.set(name, new Set([...(allow.get(name) ?? []), ...keys]));
    }
    return allow;
  };

  const roles = new Set<Role>();
  for (const part of required('TOKUMEI_ROLES').split(',')) {
    const role = part.trim();
    if (!(ROLES as readonly string[]).includes(role)) {
      throw new ConfigError('TOKUMEI_ROLES', `unknown role "${role}" (known: ${ROLES.join(', ')})`);
    }
    roles.add(role as Role);
  }

  const brokers = raw('KAFKA_BROKERS');
  const kafka = brokers === undefined ? undefined : {
    brokers: brokers.split(',').map((b) => b.trim()).filter((b) => b !== ''),
    clientId: required('KAFKA_CLIENT_ID'),
    sessionTimeoutMs: int('TOKUMEI_KAFKA_SESSION_TIMEOUT_MS', 6000, 300_000),
  };
  if (kafka === undefined && roles.has('ingest') !== roles.has('worker')) {
    // Without Kafka the bus lives inside one process: ingest and worker must share it (the api needs no bus).
    throw new ConfigError('TOKUMEI_ROLES', 'running ingest and worker in separate processes needs KAFKA_BROKERS (the in-process bus cannot reach other processes)');
  }

  const trust = raw('TOKUMEI_TRUST_PROXY');
  const trustProxy = trust === undefined || trust === 'false' ? false
    : trust === 'true' ? true
    : trust.split(',').map((t) => t.trim()).filter((t) => t !== '');

  const config: Config = {
    ingestPort: int('INGEST_PORT', 0, 65535),
    apiPort: int('API_PORT', 0, 65535),
    host: required('TOKUMEI_HOST'),
    roles,
    dataDir: path.resolve(required('TOKUMEI_DATA_DIR')),
    kafka,
    rawTopic: required('TOKUMEI_RAW_TOPIC'),
    rawRetentionMs: int('TOKUMEI_RAW_RETENTION_MS', 60_000, 7 * 86_400_000),
    rawPartitions: int('TOKUMEI_RAW_PARTITIONS', 1, 1024),
    rawReplication: raw('TOKUMEI_RAW_REPLICATION') === undefined ? undefined : int('TOKUMEI_RAW_REPLICATION', 1, 32),
    consumerGroup: required('TOKUMEI_CONSUMER_GROUP'),
    clickhouseUrl: raw('CLICKHOUSE_URL'),
    apiToken: raw('TOKUMEI_API_TOKEN'),
    trustProxy,
    minVisitors: int('TOKUMEI_MIN_VISITORS', 1, 1_000_000),
    bodyLimit: int('TOKUMEI_BODY_LIMIT', 256, 1_048_576),
    busMaxPending: int('TOKUMEI_BUS_MAX_PENDING', 1, 10_000_000),
    batchSize: int('TOKUMEI_BATCH_SIZE', 1, 100_000),
    eventsTtlDays: int('TOKUMEI_EVENTS_TTL_DAYS', 1, 3650),
    aggregatesTtlMonths: int('TOKUMEI_AGGREGATES_TTL_MONTHS', 1, 120),
    consentPolicy: oneOf<ConsentPolicy>('TOKUMEI_CONSENT_POLICY', ['count', 'drop', 'ignore']),
    privacy: {
      queryAllowList: list('TOKUMEI_QUERY_ALLOWLIST'),
      pathIdKeys: list('TOKUMEI_PATH_ID_KEYS'),
      propsAllowList: propsAllowList(),
      // In the form browsers report host names (ASCII, punycode for IDN), which is how sites are stored.
      sites: ((sites) => (sites.size === 0 ? undefined : new Set([...sites].map((s) => domainToASCII(s.normalize('NFKC')) || s))))(list('TOKUMEI_SITES')),
      timePrecision: oneOf('TOKUMEI_TIME_PRECISION', ['second', 'minute', 'hour']),
      geo: oneOf('TOKUMEI_GEO', ['country', 'off']),
      saltGraceMs: int('TOKUMEI_SALT_GRACE_HOURS', 0, 24) * 3_600_000,
      saltTopic: required('TOKUMEI_SALT_TOPIC'),
    },
    logLevel: oneOf('TOKUMEI_LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    logFile: ((file) => (file === undefined ? undefined : path.resolve(file)))(raw('TOKUMEI_LOG_FILE')),
    goals: loadGoals(raw('TOKUMEI_GOALS')),
    umamiWebsites: loadUmamiWebsites(raw('TOKUMEI_UMAMI_WEBSITES')),
    siteTimeZones: loadSiteTimeZones(raw('TOKUMEI_SITE_TIMEZONES')),
  };
  return config;
}

/** A JSON setting: inline JSON when it starts with `{`, else a path to a JSON file; read and parsed once, here. */
function jsonSetting(name: SettingName, value: string): unknown {
  let text = value;
  if (!value.startsWith('{')) {
    try {
      text = fs.readFileSync(path.resolve(value), 'utf8');
    } catch (error) {
      throw new ConfigError(name, `cannot read the ${name === 'TOKUMEI_GOALS' ? 'goals' : name === 'TOKUMEI_SITE_TIMEZONES' ? 'time zones' : 'websites'} file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(name, 'is not valid JSON');
  }
}

/** TOKUMEI_GOALS: checked by the same parser as the API's PUT. */
function loadGoals(value: string | undefined): ReadonlyMap<string, readonly Goal[]> {
  if (value === undefined) return new Map();
  const json = jsonSetting('TOKUMEI_GOALS', value);
  try {
    return parseGoalsFile(json);
  } catch (error) {
    if (error instanceof GoalError) throw new ConfigError('TOKUMEI_GOALS', error.message);
    throw error;
  }
}

/** TOKUMEI_UMAMI_WEBSITES: `{"<website id>": "<site>"}`, inline or a file, like TOKUMEI_GOALS. */
function loadUmamiWebsites(value: string | undefined): ReadonlyMap<string, string> {
  if (value === undefined) return new Map();
  const json = jsonSetting('TOKUMEI_UMAMI_WEBSITES', value);
  try {
    return parseUmamiWebsites(json);
  } catch (error) {
    if (error instanceof UmamiWebsitesError) throw new ConfigError('TOKUMEI_UMAMI_WEBSITES', error.message);
    throw error;
  }
}

/** TOKUMEI_SITE_TIMEZONES: `{"<site>": "<IANA zone>"}`, inline or a file, like TOKUMEI_UMAMI_WEBSITES. */
function loadSiteTimeZones(value: string | undefined): ReadonlyMap<string, string> {
  if (value === undefined) return new Map();
  const json = jsonSetting('TOKUMEI_SITE_TIMEZONES', value);
  try {
    return parseSiteTimeZones(json);
  } catch (error) {
    if (error instanceof SiteTimeZonesError) throw new ConfigError('TOKUMEI_SITE_TIMEZONES', error.message);
    throw error;
  }
}
