/**
 * The breakdown dimensions, declared once. The stats API accepts exactly these names, `GET /api/dimensions` lists
 * them for the dashboard, and the migrations' SQL fills them: an event dimension is one value of the `dimension`
 * column of agg_dimensions_hourly/daily (the ARRAY JOINs in 003_stats.sql and 006_salt_domains.sql), a session
 * dimension is a column of agg_sessions. Migrations that already ran cannot be regenerated from this list, so
 * test/dimensions.test.ts parses their SQL and holds it equal to it.
 */
export interface DimensionSpec {
  /** The API's name and, for an event dimension, the stored `dimension` value. */
  readonly name: string;
  /** Where the value comes from: an `events` column (event), an `agg_sessions` column (session). */
  readonly kind: 'event' | 'session';
  readonly column: string;
  /**
   * Stored only for page views that carried a value. An empty referrer means "direct" on an arrival but "moved
   * within the site" on every later page, and the two cannot be told apart per event; the utm_* follow the same rule.
   */
  readonly onlyWithValue: boolean;
  /** One value, as a table's column heading ("Browser"). */
  readonly label: string;
  /** The breakdown, as a table's caption ("Browsers"). */
  readonly title: string;
}

const event = <N extends string>(name: N, column: string, label: string, title: string, onlyWithValue = false) =>
  ({ name, kind: 'event', column, onlyWithValue, label, title }) as const;
const session = <N extends string>(name: N, column: string, label: string, title: string) =>
  ({ name, kind: 'session', column, onlyWithValue: false, label, title }) as const;

/** Every dimension, in the order the dashboard shows them. */
export const DIMENSION_SPECS = [
  event('page', 'path', 'Page', 'Pages'),
  session('entry_page', 'entry_page', 'Entry page', 'Entry pages'),
  session('exit_page', 'exit_page', 'Exit page', 'Exit pages'),
  event('referrer', 'referrer_host', 'Referrer', 'Referrers', true),
  event('utm_source', 'utm_source', 'Source', 'UTM source', true),
  event('utm_medium', 'utm_medium', 'Medium', 'UTM medium', true),
  event('utm_campaign', 'utm_campaign', 'Campaign', 'UTM campaign', true),
  event('browser', 'browser', 'Browser', 'Browsers'),
  event('os', 'os', 'OS', 'Operating systems'),
  event('device', 'device', 'Device', 'Devices'),
  event('country', 'country', 'Country', 'Countries'),
  event('language', 'lang', 'Language', 'Languages'),
  event('screen', 'screen', 'Screen size', 'Screen sizes'),
] as const satisfies readonly DimensionSpec[];

type Spec = (typeof DIMENSION_SPECS)[number];
export type Dimension = Spec['name'];
export type EventDimension = Extract<Spec, { kind: 'event' }>['name'];
export type SessionDimension = Extract<Spec, { kind: 'session' }>['name'];

export const DIMENSIONS: readonly Dimension[] = DIMENSION_SPECS.map((d) => d.name);
export const EVENT_DIMENSIONS: readonly EventDimension[] = DIMENSION_SPECS.flatMap((d) => (d.kind === 'event' ? [d.name] : []));
export const SESSION_DIMENSIONS: readonly SessionDimension[] = DIMENSION_SPECS.flatMap((d) => (d.kind === 'session' ? [d.name] : []));

export function isSessionDimension(name: Dimension): name is SessionDimension {
  return (SESSION_DIMENSIONS as readonly string[]).includes(name);
}
