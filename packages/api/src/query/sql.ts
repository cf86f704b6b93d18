import { filterSql, properties, type Filter } from './filters.js';
import type { Direction } from './parse.js';
import {
  EVENT_DIMENSIONS, SESSION_METRICS, VISIT_DIMENSIONS, isEventDimension, isTimeDimension, isVisitDimension, visitColumn,
  type Dimension, type Metric, type VisitDimension,
} from './spec.js';

/** A time dimension after `time` was resolved to a bucket size. */
export type Bucket = 'time:hour' | 'time:day' | 'time:week' | 'time:month';
export type ResolvedDimension = Exclude<Dimension, 'time'>;

export interface EventsQuery {
  readonly metrics: readonly Metric[];
  readonly dimensions: readonly ResolvedDimension[];
  readonly filters: readonly Filter[];
  readonly orderBy: readonly (readonly [Metric | ResolvedDimension, Direction])[];
  readonly limit: number;
  readonly offset: number;
}

/** Raw sums of one answer row; the ratios are made from them in TypeScript. */
export interface SumsRow {
  named: number | boolean;
  labels: string[];
  visitors: string;
  visits: string;
  pageviews: string;
  events: string;
  bounces: string;
  duration: string;
  visit_views: string;
  n_values: string;
  floor: string;
  total_named: string;
  named_visitors: string;
}

const BUCKETS: Record<Bucket, string> = {
  'time:hour': "formatDateTime(toStartOfHour(ts), '%Y-%m-%d %H:00:00')",
  'time:day': 'toString(toDate(ts))',
  // A week or month that starts before the range is labelled with the range's first day, as Plausible does for weeks.
  'time:week': "toString(greatest(toMonday(ts), toDate({from:DateTime('UTC')})))",
  'time:month': "toString(greatest(toStartOfMonth(ts), toDate({from:DateTime('UTC')})))",
};

function expression(d: ResolvedDimension): string {
  if (isTimeDimension(d)) return BUCKETS[d];
  if (isEventDimension(d)) return `toString(${EVENT_DIMENSIONS[d]})`;
  return visitColumn(d);
}

/** How a sort key reads from the folded rows: ratios unrounded, labels as strings (time labels are ISO, so they sort). */
function sortKey(name: Metric | ResolvedDimension, dimensions: readonly ResolvedDimension[]): string {
  switch (name) {
    case 'visitors': case 'percentage': return 'visitors';
    case 'visits': case 'pageviews': case 'events': return name;
    case 'bounce_rate': return 'bounces / nullIf(visits, 0)';
    case 'visit_duration': return 'duration / nullIf(visits, 0)';
    case 'views_per_visit': return 'visit_views / nullIf(visits, 0)';
    default: return `l${dimensions.indexOf(name)}`;
  }
}

/**
 * Rows of `events` in the range, each with its visit's properties when the query needs them. A visit is the page
 * views of one (day, salt_domain, session): the session hash is made with its day's salt, so it never crosses a cell.
 */
function rows(q: EventsQuery): string {
  const visit = [...new Set<VisitDimension>([...q.dimensions, ...properties(q.filters)].filter(isVisitDimension))];
  const sessions = visit.length > 0 || q.metrics.some((m) => SESSION_METRICS.has(m));
  const own = visit.map((d) => `, ${VISIT_DIMENSIONS[d].row} AS r_${visitColumn(d)}`).join('');
  // Engagement beacons (time on page, scroll depth) are no events of their own: not counted as `events`, and not
  // a visit's activity either.
  const events = `SELECT toDate(ts) AS day, salt_domain, session, visitor, ts, event, path, host${own} FROM events
    WHERE site = {site:String} AND ts >= {from:DateTime('UTC')} AND ts < {to:DateTime('UTC')} AND event != 'engagement'`;
  if (!sessions) return `SELECT *, toUInt64(0) AS s_views, toUInt64(0) AS s_duration FROM (${events})`;
  const columns = visit.map((d) => `${VISIT_DIMENSIONS[d].session} AS s_${visitColumn(d)}, `).join('');
  const pick = visit.map((d) => `, if(session = 0, r_${visitColumn(d)}, s_${visitColumn(d)}) AS ${visitColumn(d)}`).join('');
  return `SELECT day, salt_domain, session, visitor, ts, event, path, host, s_views, s_duration${pick}
    FROM (${events}) AS e LEFT JOIN (
      SELECT toDate(ts) AS day, salt_domain, session, ${columns}count() AS s_views, toUInt64(max(ts) - min(ts)) AS s_duration
      FROM events
      WHERE site = {site:String} AND ts >= {from:DateTime('UTC')} AND ts < {to:DateTime('UTC')} AND event = 'pageview' AND session != 0
      GROUP BY day, salt_domain, session) AS s USING (day, salt_domain, session)`;
}

/**
 * One row per cell (the dimensions' values in one day and salt domain). Visit metrics need each visit once per cell
 * (its length and page count are the visit's, not the matching rows'), so they group per visit first; without them
 * the rows are counted directly, which is what keeps an unfiltered breakdown of a month inside the memory limit.
 */
function cellsSql(q: EventsQuery, dims: readonly string[], groupBy: (extra: string) => string, where: string): string {
  // A cell without visitors (consent-signal page views only) is no value: counted as one, it would let (other)
  // show a single withheld value's numbers.
  const having = 'HAVING visitors > 0';
  if (!q.metrics.some((m) => SESSION_METRICS.has(m))) {
    return `SELECT ${[...dims, ''].join(', ')} day, salt_domain, uniqExactIf(visitor, visitor != 0) AS visitors, toUInt64(0) AS visits,
                   countIf(event = 'pageview') AS pageviews, count() AS events, toUInt64(0) AS bounces, toUInt64(0) AS duration,
                   toUInt64(0) AS visit_views
            FROM (${rows(q)})
            WHERE ${where}
            GROUP BY ${groupBy('day, salt_domain')}
            ${having}`;
  }
  return `SELECT ${groupBy('day, salt_domain')}, uniqExactIf(visitor, visitor != 0) AS visitors,
                 countIf(session != 0 AND sv > 0) AS visits, sum(pv) AS pageviews, sum(ev) AS events,
                 countIf(session != 0 AND sv = 1) AS bounces, sumIf(sd, session != 0 AND sv > 0) AS duration,
                 sumIf(sv, session != 0 AND sv > 0) AS visit_views
          FROM (
            SELECT ${[...dims, ''].join(', ')} day, salt_domain, session, visitor, countIf(event = 'pageview') AS pv, count() AS ev,
                   any(s_views) AS sv, any(s_duration) AS sd
            FROM (${rows(q)})
            WHERE ${where}
            GROUP BY ${groupBy('day, salt_domain, session, visitor')})
          GROUP BY ${groupBy('day, salt_domain')}
          ${having}`;
}

/**
 * The whole question as one query, k-anonymous before anything leaves ClickHouse (the rule of breakdown-queries.ts):
 *
 * 1. the rows the filters keep (grouped per visit first when visit metrics are asked, see cellsSql);
 * 2. per cell: a group's numbers in one salt domain (day, salt_domain), where `visitors` are distinct people;
 * 3. a group is named with its cells of at least k visitors; all other cells form one withheld row, shown as
 *    `(other)` only with at least two values and k visitors counted the least favourable way (`floor`);
 * 4. named groups sorted and paged; the withheld row always comes along.
 *
 * The filtered set is k-anonymous too: every named cell holds k visitors of it, so a filter that keeps fewer than k
 * visitors in every domain names nothing. Ranges are whole UTC days (cells are days), set by the caller.
 */
export function eventsSql(q: EventsQuery, params: Record<string, unknown>): string {
  const dims = q.dimensions.map((d, i) => `${expression(d)} AS d${i}`);
  const d = q.dimensions.map((_, i) => `d${i}`);
  const labels = d.map((name, i) => `if(named, ${name}, '') AS l${i}`);
  const l = d.map((_, i) => `l${i}`);
  const value = d.length === 0 ? "''" : d.length === 1 ? 'd0' : `tuple(${d.join(', ')})`;
  const where = filterSql(q.filters, params);
  const order = [...q.orderBy.map(([name, dir]) => `${sortKey(name, q.dimensions)} ${dir.toUpperCase()}`), ...l.map((x) => `${x} ASC`)];
  if (q.orderBy.length === 0) {
    const time = q.dimensions.findIndex(isTimeDimension);
    // The breakdown route's order (visitors, then page views) after the first metric, so both answer alike.
    order.unshift(...(time >= 0 ? [`l${time} ASC`] : [`${sortKey(q.metrics[0] ?? 'visitors', q.dimensions)} DESC`, 'visitors DESC', 'pageviews DESC']));
  }
  params.k_offset = q.offset;
  params.k_end = q.offset + q.limit;
  const groupBy = (extra: string) => [...d, extra].filter((x) => x !== '').join(', ');
  return `
    SELECT named, [${l.join(', ')}] AS labels, visitors, visits, pageviews, events, bounces, duration, visit_views, n_values, floor,
           total_named, named_visitors
    FROM (
      SELECT *, row_number() OVER (PARTITION BY named ORDER BY ${order.join(', ')}) AS rn,
             countIf(named) OVER () AS total_named, sumIf(visitors, named) OVER () AS named_visitors
      FROM (
        SELECT named, ${[...l, ''].join(', ')}
               toUInt64(sum(visitors)) AS visitors, toUInt64(sum(visits)) AS visits, toUInt64(sum(pageviews)) AS pageviews,
               toUInt64(sum(events)) AS events, toUInt64(sum(bounces)) AS bounces, toUInt64(sum(duration)) AS duration,
               toUInt64(sum(visit_views)) AS visit_views, uniqExact(${value}) AS n_values, toUInt64(sum(floor_part)) AS floor
        FROM (
          SELECT *, ${[...labels, ''].join(', ')}
                 if(row_number() OVER (PARTITION BY day, salt_domain, named ORDER BY visitors DESC, ${[...d, 'day'].join(', ')}) = 1, visitors, 0) AS floor_part
          FROM (
            SELECT *, visitors >= {k:UInt64} AS named FROM (${cellsSql(q, dims, groupBy, where)})))
        GROUP BY ${['named', ...l].join(', ')}))
    WHERE NOT named OR (rn > {k_offset:UInt32} AND rn <= {k_end:UInt32})
    ORDER BY named, rn`;
}

