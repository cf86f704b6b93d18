import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Synthetic pseudonymized events made inside ClickHouse (INSERT … SELECT FROM numbers()), so 10 M rows cost no
 * JavaScript and go through every materialized view exactly as the worker's inserts do. Deterministic: every value
 * is a hash of the row number. Shapes, roughly like a mid-sized content site:
 * - rows come in slots of 4 consecutive page views; 15 % of slots are four one-page sessions (bounces), the rest
 *   one four-page session: bounce rate ≈ 41 %, ≈ 2.8 views per session; two slots share a visitor hash;
 * - hashes include the UTC day, as the worker's day salts make them: no hash is shared by two days, and a session
 *   that crosses midnight is two sessions;
 * - 2,000 paths, 300 referrer hosts, 60 countries, Zipf-like (a power of a uniform number);
 * - the referrer and, for 10 %, utm_* only on a session's first page view; 3 % of rows carry a consent signal (no
 *   hashes); 10 % of rows belong to another site, so every query must filter.
 */
export interface GenerateOptions {
  readonly events: number;
  readonly site: string;
  /** Epoch seconds of the first and one past the last event. */
  readonly from: number;
  readonly to: number;
  readonly chunk: number;
}

const skewed = (salt: string, n: number, power = 3) => `toUInt32(floor(pow((cityHash64(number, '${salt}') % 1000000) / 1000000, ${power}) * ${n}))`;

function selectChunk(options: GenerateOptions, offset: number, rows: number): string {
  const span = options.to - options.from;
  return `
    INSERT INTO events (site, ts, event, host, path, query, referrer_host, utm_source, utm_medium, utm_campaign, session, visitor,
                        browser, browser_version, os, os_version, device, screen, country, lang, src)
    SELECT
      if(cityHash64(slot, 'site') % 10 = 0, 'other.example.com', '${options.site}') AS site,
      toDateTime(${options.from} + intDiv(slot * 4 * ${span}, ${options.events}) + (number % 4) * (20 + cityHash64(number, 'gap') % 240), 'UTC') AS ts,
      'pageview' AS event,
      site AS host,
      concat('/p/', toString(${skewed('path', 2000)})) AS path,
      '' AS query,
      if(first AND cityHash64(slot, 'ref') % 2 = 0, concat('ref', toString(${skewed('refhost', 300)}), '.example'), '') AS referrer_host,
      if(first AND campaign, concat('source', toString(cityHash64(slot, 'src') % 20)), '') AS utm_source,
      if(first AND campaign, ['email', 'social', 'cpc', 'display', 'affiliate'][1 + cityHash64(slot, 'med') % 5], '') AS utm_medium,
      if(first AND campaign, concat('campaign-', toString(cityHash64(slot, 'cmp') % 50)), '') AS utm_campaign,
      if(consent, 0, if(bounce, cityHash64(number, 'bounce', toDate(ts)), cityHash64(slot, 'session', toDate(ts)))) AS session,
      if(consent, 0, cityHash64(intDiv(slot, 2), 'visitor', toDate(ts))) AS visitor,
      ['Chrome', 'Safari', 'Mobile Safari', 'Firefox', 'Edge', 'Samsung Internet', 'Opera', 'Chrome WebView', 'Yandex', 'UC Browser', 'Vivaldi', 'Brave'][1 + ${skewed('browser', 12, 2)}] AS browser,
      toString(100 + cityHash64(slot, 'bv') % 30) AS browser_version,
      ['Windows', 'iOS', 'Android', 'Mac OS', 'Linux', 'Chrome OS', 'Ubuntu', 'Fedora'][1 + ${skewed('os', 8, 2)}] AS os,
      '' AS os_version,
      ['desktop', 'mobile', 'tablet'][1 + cityHash64(slot, 'dev') % 3] AS device,
      ['mobile', 'tablet', 'laptop', 'desktop'][1 + cityHash64(slot, 'scr') % 4] AS screen,
      concat(char(65 + ${skewed('country', 60)} % 26), char(65 + intDiv(${skewed('country', 60)}, 26))) AS country,
      concat('l', toString(${skewed('lang', 40)})) AS lang,
      'beacon' AS src
    FROM (
      SELECT number, intDiv(number, 4) AS slot, number % 4 = 0 AS first,
             cityHash64(intDiv(number, 4), 'bounce') % 100 < 15 AS bounce,
             cityHash64(number, 'consent') % 100 < 3 AS consent,
             cityHash64(intDiv(number, 4), 'campaign') % 10 = 0 AS campaign
      FROM numbers(${offset}, ${rows})
    )`;
}

/** Inserts in chunks so the views' in-memory aggregation stays bounded; returns seconds taken. */
export async function generateEvents(client: ClickHouseClient, options: GenerateOptions, progress: (done: number) => void): Promise<number> {
  const started = Date.now();
  for (let offset = 0; offset < options.events; offset += options.chunk) {
    const rows = Math.min(options.chunk, options.events - offset);
    await client.command({ query: selectChunk(options, offset, rows), clickhouse_settings: { max_partitions_per_insert_block: '1000' } });
    progress(offset + rows);
  }
  return (Date.now() - started) / 1000;
}
