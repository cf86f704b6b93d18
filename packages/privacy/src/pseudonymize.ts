import type { ConsentPolicy, PrivacyConfig } from '@tokumei/config';
import { MAX_ENGAGED_MS, type RawRecord } from '@tokumei/schema';
import { reduceLang, scrubEvent } from './fields.js';
import { NO_GEO, type CountryLookup } from './geo.js';
import { checkSite, normalizeSites } from './hosts.js';
import { hashKey } from './keyed-hash.js';
import { utcDay, type SaltSource } from './salts.js';
import { scrubProps } from './props.js';
import { cleanUrl, referrerHost, type UrlOptions } from './url.js';
import { UserAgentReducer } from './user-agent.js';

/** One row of the `events` table. Its keys are exactly the columns EVENTS_TABLE declares (a test holds them equal). */
export interface EventRow {
  site: string;
  /** Epoch seconds. */
  ts: number;
  event: string;
  host: string;
  path: string;
  query: string;
  referrer_host: string;
  utm_source: string;
  utm_medium: string;
  utm_campaign: string;
  utm_term: string;
  utm_content: string;
  /** UInt64 as a decimal string; '0' = none. */
  session: string;
  visitor: string;
  /** Which salt made the hashes besides the day's (k is judged per domain): '0' day salt, else from the import run id. */
  salt_domain: string;
  browser: string;
  browser_version: string;
  os: string;
  os_version: string;
  device: string;
  screen: string;
  country: string;
  lang: string;
  src: 'beacon' | 'log';
  /**
   * Allow-listed custom properties, values judged (props.ts); `{}` for none. These three are always set by the
   * pseudonymizer; optional only so rows written by hand (tests, fixtures) may leave them to the column defaults.
   */
  props?: Record<string, string>;
  /** Engagement events only: visible time in ms and maximum scroll depth in %; 0 otherwise. */
  engaged_ms?: number;
  scroll_depth?: number;
}

/** What happened to a record's custom properties, for the worker's counters (never the keys or values). */
export interface PropsCount {
  readonly kept: number;
  /** Not allow-listed for the site. */
  readonly dropped: number;
  /** Replaced by a placeholder. */
  readonly replaced: number;
}

export type DropReason = 'consent' | 'bad_url' | 'bad_site' | 'bot';

/** A step's outcome: store the row, or drop the record on purpose (counted). Unreadable records never get here. */
export type StepResult =
  | { readonly kind: 'ok'; readonly row: EventRow; readonly props?: PropsCount }
  | { readonly kind: 'drop'; readonly reason: DropReason };

export interface PseudonymizeOptions extends Partial<Omit<PrivacyConfig, 'saltGraceMs' | 'saltTopic'>> {
  readonly consentPolicy: ConsentPolicy;
}

export const DEFAULT_QUERY_ALLOWLIST: ReadonlySet<string> = new Set(['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content', 'ref', 'source']);

const PRECISION_SECONDS = { second: 1, minute: 60, hour: 3600 } as const;

function screenClass(width: number | undefined): string {
  if (width === undefined || width === 0) return '';
  return width < 576 ? 'mobile' : width < 992 ? 'tablet' : width < 1440 ? 'laptop' : 'desktop';
}

/**
 * The one place that decides what of a raw record is stored. IP, user agent, sid, cookies, fragment and every
 * query parameter not allow-listed never leave this function; what does leave is reduced or keyed-hashed.
 */
export class Pseudonymizer {
  readonly agents: UserAgentReducer;
  private readonly url: UrlOptions;
  private readonly precision: number;
  private readonly sites: ReadonlySet<string> | undefined;
  private readonly propsAllowList: ReadonlyMap<string, ReadonlySet<string>>;

  constructor(
    private readonly salts: SaltSource,
    private readonly options: PseudonymizeOptions,
    private readonly geo: CountryLookup = NO_GEO,
    agents?: UserAgentReducer,
  ) {
    this.agents = agents ?? new UserAgentReducer();
    this.url = { queryAllowList: options.queryAllowList ?? DEFAULT_QUERY_ALLOWLIST, pathIdKeys: options.pathIdKeys ?? new Set() };
    this.precision = PRECISION_SECONDS[options.timePrecision ?? 'second'];
    // TOKUMEI_SITES: when set, records of other sites are dropped (`bad_site`).
    this.sites = options.sites === undefined ? undefined : normalizeSites(options.sites);
    // TOKUMEI_PROPS_ALLOWLIST: by default no property is stored.
    this.propsAllowList = options.propsAllowList ?? new Map();
  }

  async process(record: RawRecord): Promise<StepResult> {
    // Ingest refuses such sites already; records from the importer or an older producer are judged here too.
    const site = checkSite(record.site, this.sites);
    if (!site.ok) return { kind: 'drop', reason: 'bad_site' };
    const page = cleanUrl(record.url, this.url, site.site);
    if (page === undefined) return { kind: 'drop', reason: 'bad_url' };
    const agent = this.agents.reduce(record.ua);
    if (agent.bot) return { kind: 'drop', reason: 'bot' };
    const signalled = record.dnt || record.gpc;
    if (signalled && this.options.consentPolicy === 'drop') return { kind: 'drop', reason: 'consent' };

    let session = '0';
    let visitor = '0';
    const salt = signalled && this.options.consentPolicy === 'count' ? undefined : await this.salts.saltFor(utcDay(record.ts), record.run);
    if (salt !== undefined) {
      // Length-prefixed parts (keyedHash64): no choice of site, sid, IP or agent can forge another's input. The key
      // is prepared once per salt and wiped with it (keyed-hash.ts).
      const key = hashKey(salt);
      if (record.sid !== undefined) session = key.hash(['session', site.site, record.sid]);
      visitor = key.hash(['visitor', site.site, record.ip, record.ua]);
    }
    const seconds = Math.floor(record.ts / 1000);
    const props = scrubProps(record.props, site.site, this.propsAllowList, record.event);
    const kept = Object.keys(props.props).length;
    return {
      kind: 'ok',
      ...(kept + props.dropped > 0 ? { props: { kept, dropped: props.dropped, replaced: props.replaced } } : {}),
      row: {
        site: site.site,
        ts: seconds - (seconds % this.precision),
        event: scrubEvent(record.event),
        host: page.host,
        path: page.path,
        query: page.query,
        referrer_host: referrerHost(record.ref, page.host),
        utm_source: page.params.get('utm_source') ?? '',
        utm_medium: page.params.get('utm_medium') ?? '',
        utm_campaign: page.params.get('utm_campaign') ?? '',
        utm_term: page.params.get('utm_term') ?? '',
        utm_content: page.params.get('utm_content') ?? '',
        session,
        visitor,
        salt_domain: record.run === undefined ? '0' : String(BigInt(`0x${record.run.slice(0, 15)}`) + 1n),
        browser: agent.browser,
        browser_version: agent.browserVersion,
        os: agent.os,
        os_version: agent.osVersion,
        device: agent.device,
        screen: screenClass(record.w),
        country: this.options.geo === 'off' ? '' : this.geo.country(record.ip),
        lang: reduceLang(record.lang),
        src: record.src,
        props: props.props,
        // The beacon allows these on engagement events only; a record from elsewhere is held to the same rule.
        engaged_ms: record.event === 'engagement' ? Math.min(record.em ?? 0, MAX_ENGAGED_MS) : 0,
        scroll_depth: record.event === 'engagement' ? Math.min(record.sd ?? 0, 100) : 0,
      },
    };
  }
}

/** One-off convenience over a fresh Pseudonymizer (tests); the worker keeps one instance for its caches. */
export function pseudonymize(record: RawRecord, salts: SaltSource, options: PseudonymizeOptions): Promise<StepResult> {
  return new Pseudonymizer(salts, options).process(record);
}
