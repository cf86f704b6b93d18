import { domainToASCII } from 'node:url';

/**
 * TOKUMEI_SITE_TIMEZONES: the reporting time zone of a site (`{"example.jp": "Asia/Tokyo"}`), in which the events
 * plan of POST /api/v2/query buckets `time:hour`/`time:day`/`time:week`/`time:month`. Visitor counting is untouched:
 * a visitor id is made with its UTC day's salt, so k-anonymity cells stay (UTC day, salt domain) whatever the zone.
 * Read and checked once by loadConfig; a zone this Node (and so its ICU data) does not know fails the start.
 */
export class SiteTimeZonesError extends Error {}

export const SITE_TIMEZONES_LIMIT = 1000;
export const DEFAULT_TIME_ZONE = 'UTC';
const SITE = /^[a-z0-9.:-]{1,100}$/;
/** IANA names only (Area/Location, UTC, Etc/GMT+9): no offsets such as +09:00, which ClickHouse reads differently. */
const NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/** The zone's canonical IANA name, or undefined when Intl does not know it. */
export function canonicalTimeZone(zone: string): string | undefined {
  if (!NAME.test(zone)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** `{"<site>": "<IANA zone>", …}`: sites normalised as sites are stored, zones checked against Intl. */
export function parseSiteTimeZones(raw: unknown): ReadonlyMap<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new SiteTimeZonesError('must be a JSON object {"<site>": "<IANA time zone>"}');
  const entries = Object.entries(raw);
  if (entries.length > SITE_TIMEZONES_LIMIT) throw new SiteTimeZonesError(`at most ${SITE_TIMEZONES_LIMIT} sites`);
  const out = new Map<string, string>();
  for (const [site, zone] of entries) {
    const name = (domainToASCII(site.normalize('NFKC')) || site).toLowerCase();
    if (!SITE.test(name)) throw new SiteTimeZonesError(`"${site}": a key must be a site (a host name of at most 100 characters)`);
    if (out.has(name)) throw new SiteTimeZonesError(`site ${name} is listed twice`);
    if (typeof zone !== 'string') throw new SiteTimeZonesError(`site ${name}: the time zone must be a string`);
    // Intl's spelling (asia/tokyo -> Asia/Tokyo): ClickHouse's zone names are case-sensitive.
    const canonical = canonicalTimeZone(zone);
    if (canonical === undefined) throw new SiteTimeZonesError(`site ${name}: "${zone}" is not an IANA time zone (such as Asia/Tokyo or UTC)`);
    out.set(name, canonical);
  }
  return out;
}
