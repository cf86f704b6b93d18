import { PROP_KEY } from '@tokumei/schema';

/**
 * The vocabulary of `POST /api/v2/query` (Plausible Stats API v2 names) and how each name maps to what Tokumei
 * stores. Only names listed here reach SQL, and only as these fixed expressions: input never becomes SQL text.
 */

/** Metrics answered today. */
export const METRICS = [
  'visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'events', 'percentage',
  'time_on_page', 'scroll_depth', 'conversion_rate',
] as const;
export type Metric = (typeof METRICS)[number];

/** Plausible metrics this model does not answer (revenue is not collected): a clear 400, not a zero. */
export const UNSUPPORTED_METRICS: Readonly<Record<string, string>> = {
  group_conversion_rate: 'ask conversion_rate with the event:goal dimension (its denominator is the visitors of the same cells)',
  average_revenue: 'revenue is not collected',
  total_revenue: 'revenue is not collected',
};

/** Metrics of a whole visit: they describe sessions, so an event dimension other than the page cannot split them. */
export const SESSION_METRICS: ReadonlySet<Metric> = new Set(['visits', 'views_per_visit', 'bounce_rate', 'visit_duration']);

/**
 * Metrics read from engagement beacons (a page hidden or left: engaged ms, deepest scroll %). A beacon belongs to a
 * page of a visit, never to a custom event, a goal or a property, so only page, host, visit and time dimensions split them.
 */
export const ENGAGEMENT_METRICS: ReadonlySet<Metric> = new Set(['time_on_page', 'scroll_depth']);

/** Columns of one event row. */
export const EVENT_DIMENSIONS = {
  'event:page': 'path',
  'event:hostname': 'host',
  'event:name': 'event',
} as const;

const DIRECT = (column: string) => `if(${column} = '', 'Direct / None', toString(${column}))`;
/** A property of the visit's first page view; `row` is the same property of one event, for rows without a visit. */
const first = (row: string) => ({ session: `argMinIf(${row}, ts, event = 'pageview')`, row });

/**
 * Properties of the visit, taken from its page views only (the rows aggregated may hold its engagement beacons too,
 * which carry no visit properties; a session is one UTC day's hash, so it never spans two domains of k). `session` aggregates a session's page views; `row` answers for an event outside any session (a
 * consent-signal page view, session 0), so such rows keep their browser or country as the rollups count them.
 */
export const VISIT_DIMENSIONS = {
  'visit:entry_page': { session: "argMinIf(path, ts, event = 'pageview')", row: "''" },
  'visit:exit_page': { session: "argMaxIf(path, ts, event = 'pageview')", row: "''" },
  'visit:source': first(DIRECT('referrer_host')),
  'visit:referrer': first(DIRECT('referrer_host')),
  'visit:utm_source': first('toString(utm_source)'),
  'visit:utm_medium': first('toString(utm_medium)'),
  'visit:utm_campaign': first('toString(utm_campaign)'),
  'visit:utm_term': first('toString(utm_term)'),
  'visit:utm_content': first('toString(utm_content)'),
  'visit:device': first('toString(device)'),
  'visit:browser': first('toString(browser)'),
  'visit:browser_version': first('toString(browser_version)'),
  'visit:os': first('toString(os)'),
  'visit:os_version': first('toString(os_version)'),
  'visit:screen': first('toString(screen)'),
  'visit:country': first('toString(country)'),
} as const satisfies Record<string, { session: string; row: string }>;

/**
 * The goals an event completes (goals/match.ts: a page goal's pattern on a page view's path, or a custom event's
 * name), as a dimension (one row per completed goal) and as a filter property. Goals are the site's (GoalStore).
 */
export const GOAL_DIMENSION = 'event:goal';
export type GoalDimension = typeof GOAL_DIMENSION;

/** Plausible dimensions Tokumei cannot answer yet, with why. */
export const UNSUPPORTED_DIMENSIONS: Readonly<Record<string, string>> = {
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
/** A custom property of an event (`props` map, migration 008): `event:props:<key>`, the key as the beacon schema's PROP_KEY. */
export type PropsDimension = `event:props:${string}`;
/** A property an event row has: what a filter can test. */
export type Property = EventDimension | VisitDimension | PropsDimension | GoalDimension;
export type Dimension = Property | TimeDimension;

export const isEventDimension = (name: string): name is EventDimension => Object.hasOwn(EVENT_DIMENSIONS, name);
export const isVisitDimension = (name: string): name is VisitDimension => Object.hasOwn(VISIT_DIMENSIONS, name);
export const isTimeDimension = (name: string): name is TimeDimension => (TIME_DIMENSIONS as readonly string[]).includes(name);
export const isMetric = (name: string): name is Metric => (METRICS as readonly string[]).includes(name);
export const isGoalDimension = (name: string): name is GoalDimension => name === GOAL_DIMENSION;

const PROPS_PREFIX = 'event:props:';
const PLAIN_KEY = new RegExp(PROP_KEY);
/** Only a key the beacon schema could have stored is a dimension: a plain identifier, never free text. */
export const isPropsDimension = (name: string): name is PropsDimension => name.startsWith(PROPS_PREFIX) && PLAIN_KEY.test(name.slice(PROPS_PREFIX.length));
export const propKey = (name: PropsDimension): string => name.slice(PROPS_PREFIX.length);
/** Why a name that starts like a custom property is none (for the 400). */
export const PROPS_KEY_RULE = 'event:props:<key> takes a key that is a plain identifier (a letter, then letters, digits or _, at most 40)';
/** The value of an event without the property, as in Plausible. */
export const NO_PROP = '(none)';
/** A custom property's value in an `events` row; the key is a query parameter, never SQL text. */
export const propSql = (keyParam: string): string => `if(props[${keyParam}] = '', '${NO_PROP}', props[${keyParam}])`;

/** The column of a visit dimension in the joined rows. */
export const visitColumn = (name: VisitDimension): string => `v_${name.slice('visit:'.length)}`;

/** A name from the request is repeated in an error only when it cannot carry personal data (a URL, an e-mail). */
const NAMEABLE = /^[A-Za-z0-9_:.-]{1,64}$/;
export const nameOf = (value: unknown): string => (typeof value === 'string' && NAMEABLE.test(value) ? `'${value}'` : '(unnamed)');
