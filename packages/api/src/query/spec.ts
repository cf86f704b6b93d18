/**
 * The vocabulary of `POST /api/v2/query` (Plausible Stats API v2 names) and how each name maps to what Tokumei
 * stores. Only names listed here reach SQL, and only as these fixed expressions: input never becomes SQL text.
 */

/** Metrics answered today. */
export const METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'events', 'percentage'] as const;
export type Metric = (typeof METRICS)[number];

/** Plausible metrics whose data Tokumei does not collect yet (goals, engagement beacons): a clear 400, not a zero. */
export const UNSUPPORTED_METRICS: Readonly<Record<string, string>> = {
  conversion_rate: 'needs goals, which are not configurable yet',
  group_conversion_rate: 'needs goals, which are not configurable yet',
  time_on_page: 'needs engagement beacons, which are not collected yet',
  scroll_depth: 'needs engagement beacons, which are not collected yet',
  average_revenue: 'revenue is not collected',
  total_revenue: 'revenue is not collected',
};

/** Metrics of a whole visit: they describe sessions, so an event dimension other than the page cannot split them. */
export const SESSION_METRICS: ReadonlySet<Metric> = new Set(['visits', 'views_per_visit', 'bounce_rate', 'visit_duration']);

/** Columns of one event row. */
export const EVENT_DIMENSIONS = {
  'event:page': 'path',
  'event:hostname': 'host',
  'event:name': 'event',
} as const;

/**
 * Properties of the visit, taken from its first page view (a session is one UTC day's hash, so it never spans two
 * domains of k). `select` is the aggregate over that session's page views; the column is `v_<name>`.
 */
export const VISIT_DIMENSIONS = {
  'visit:entry_page': 'argMin(path, ts)',
  'visit:exit_page': 'argMax(path, ts)',
  'visit:source': "if(argMin(referrer_host, ts) = '', 'Direct / None', toString(argMin(referrer_host, ts)))",
  'visit:referrer': "if(argMin(referrer_host, ts) = '', 'Direct / None', toString(argMin(referrer_host, ts)))",
  'visit:utm_source': 'toString(argMin(utm_source, ts))',
  'visit:utm_medium': 'toString(argMin(utm_medium, ts))',
  'visit:utm_campaign': 'toString(argMin(utm_campaign, ts))',
  'visit:utm_term': 'toString(argMin(utm_term, ts))',
  'visit:utm_content': 'toString(argMin(utm_content, ts))',
  'visit:device': 'toString(argMin(device, ts))',
  'visit:browser': 'toString(argMin(browser, ts))',
  'visit:browser_version': 'toString(argMin(browser_version, ts))',
  'visit:os': 'toString(argMin(os, ts))',
  'visit:os_version': 'toString(argMin(os_version, ts))',
  'visit:screen': 'toString(argMin(screen, ts))',
  'visit:country': 'toString(argMin(country, ts))',
} as const;

/** Plausible dimensions Tokumei cannot answer yet, with why. */
export const UNSUPPORTED_DIMENSIONS: Readonly<Record<string, string>> = {
  'event:goal': 'goals are not configurable yet',
  'visit:country_name': 'only the country code is stored (visit:country)',
  'visit:region': 'regions are not stored',
  'visit:region_name': 'regions are not stored',
  'visit:city': 'cities are not stored',
  'visit:city_name': 'cities are not stored',
  'visit:entry_page_hostname': 'not supported yet',
  'visit:exit_page_hostname': 'not supported yet',
  'segment': 'segments are not supported',
};

export const TIME_DIMENSIONS = ['time', 'time:hour', 'time:day', 'time:week', 'time:month'] as const;
export type TimeDimension = (typeof TIME_DIMENSIONS)[number];
export type EventDimension = keyof typeof EVENT_DIMENSIONS;
export type VisitDimension = keyof typeof VISIT_DIMENSIONS;
/** A property an event row has: what a filter can test. */
export type Property = EventDimension | VisitDimension;
export type Dimension = Property | TimeDimension;

export const isEventDimension = (name: string): name is EventDimension => Object.hasOwn(EVENT_DIMENSIONS, name);
export const isVisitDimension = (name: string): name is VisitDimension => Object.hasOwn(VISIT_DIMENSIONS, name);
export const isTimeDimension = (name: string): name is TimeDimension => (TIME_DIMENSIONS as readonly string[]).includes(name);
export const isMetric = (name: string): name is Metric => (METRICS as readonly string[]).includes(name);

/** The column of a visit dimension in the joined rows. */
export const visitColumn = (name: VisitDimension): string => `v_${name.slice('visit:'.length)}`;

/** A name from the request is repeated in an error only when it cannot carry personal data (a URL, an e-mail). */
const NAMEABLE = /^[A-Za-z0-9_:.-]{1,64}$/;
export const nameOf = (value: unknown): string => (typeof value === 'string' && NAMEABLE.test(value) ? `'${value}'` : '(unnamed)');
