import type { Goal } from '@tokumei/config';
import { ENGAGED_VISIT_MS } from '@tokumei/schema';
import { goalsCompletedSql } from '../goals/match.js';
import { visitPushdown } from './visit-pushdown.js';
import { filterSql, properties, type Filter } from './filters.js';
import type { Direction } from './parse.js';
import {
  ENGAGEMENT_METRICS, EVENT_DIMENSIONS, SESSION_METRICS, VISIT_DIMENSIONS, isEventDimension, isGoalDimension, isPropsDimension, isTimeDimension,
  isVisitDimension, propKey, propSql, visitColumn, type Dimension, type Metric, type VisitDimension,
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
  /** The site's goals, when event:goal is a dimension or filtered (else unused). */
  readonly goals: readonly Goal[];
  /** false: no filter moved into the join's halves (visit-pushdown.ts), the plan it must equal (tests, bench/query). */
  readonly pushdown?: false;
  /** The IANA zone time buckets are labelled in (TOKUMEI_SITE_TIMEZONES); UTC unless given. */
  readonly timeZone?: string;
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
  eng_ms: string;
  eng_visits: string;
  scroll_sum: string;
  total: string;
  n_values: string;
  floor: string;
  total_named: string;
  named_visitors: string;
}

// In the site's reporting zone ({tz}, TOKUMEI_SITE_TIMEZONES, a query parameter): only the labels move; the cells
// a bucket's numbers are judged in stay (UTC day, salt domain), so a local day across two UTC days is judged per half.
const BUCKETS: Record<Bucket, string> = {
  'time:hour': "formatDateTime(toStartOfHour(ts, {tz:String}), '%Y-%m-%d %H:00:00', {tz:String})",
  'time:day': 'toString(toDate(ts, {tz:String}))',
  // A week or month that starts before the range is labelled with the range's first day, as Plausible does for weeks.
  'time:week': "toString(greatest(toMonday(ts, {tz:String}), toDate({from:DateTime('UTC')}, {tz:String})))",
  'time:month': "toString(greatest(toStartOfMonth(ts, {tz:String}), toDate({from:DateTime('UTC')}, {tz:String})))",
};

/** A dimension's value in the rows; `i` names the query parameter of a custom property's key. */
function expression(d: ResolvedDimension, i: number, params: Record<string, unknown>): string {
  if (isTimeDimension(d)) return BUCKETS[d];
  if (isEventDimension(d)) return `toString(${EVENT_DIMENSIONS[d]})`;
  if (isPropsDimension(d)) {
    params[`pk${i}`] = propKey(d);
    return propSql(`{pk${i}:String}`);
  }
  if (isGoalDimension(d)) return 'goal';
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
    case 'time_on_page': return 'eng_ms / nullIf(eng_visits, 0)';
    case 'scroll_depth': return 'scroll_sum / nullIf(eng_visits, 0)';
    case 'conversion_rate': return 'visitors / nullIf(total, 0)';
    default: return `l${dimensions.indexOf(name)}`;
  }
}

/** An engagement beacon that belongs to a visit (a consent-signal page's beacon has no session to belong to). */
const ENGAGED = "event = 'engagement' AND session != 0";
/** Rows that are counted as events, visitors and visits: everything but engagement beacons. */
const COUNTED = "event != 'engagement'";

const asksEngagement = (q: EventsQuery) => q.metrics.some((m) => ENGAGEMENT_METRICS.has(m));

/**
 * Rows of `events` in the range, each with its visit's properties when the query needs them. A visit is the page
 * views of one (day, salt_domain, session): the session hash is made with its day's salt, so it never crosses a cell.
 * A visit lasts from its first page view to its last page view or, when its engagement beacons reported engaged time,
 * its last beacon (`s_duration`); `s_engaged` is that time in ms, which keeps an engaged single-page visit from being a
 * bounce (cellsSql).
 */
function rows(q: EventsQuery, params: Record<string, unknown>, prefix = 'vp'): string {
  // Filters moved into both halves of the join where the answer provably stays the same (visit-pushdown.ts); the
  // outer WHERE still applies them all. `prefix` keeps two calls in one query (cells and totals) apart.
  const push = visitPushdown(q.pushdown === false ? [] : q.filters, params, prefix);
  const asked = [...q.dimensions, ...properties(q.filters)];
  const visit = [...new Set<VisitDimension>(asked.filter(isVisitDimension))];
  const sessions = visit.length > 0 || q.metrics.some((m) => SESSION_METRICS.has(m));
  const own = visit.map((d) => `, ${VISIT_DIMENSIONS[d].row} AS r_${visitColumn(d)}`).join('');
  // Engagement beacons are no events of their own: they are read only for the engagement metrics, and no count takes
  // them (COUNTED). A visit's length and engaged time read them in the session subquery below either way.
  const beacons = asksEngagement(q);
  const names = beacons ? ['engaged_ms', 'scroll_depth'] : [];
  const select = [...names];
  // The props map only when a custom property is asked or filtered: it is the widest column.
  const add = (name: string, expression = name) => {
    names.push(name);
    select.push(expression);
  };
  if (asked.some((d) => isPropsDimension(d))) add('props');
  // Goals: as a dimension one row per completed goal (ARRAY JOIN drops the rows that complete none), as a filter the
  // row's completed goals.
  let arrayJoin = '';
  if (q.dimensions.some(isGoalDimension)) {
    arrayJoin = ` ARRAY JOIN ${goalsCompletedSql(q.goals, params)} AS goal`;
    add('goal');
  } else if (asked.some(isGoalDimension)) {
    add('goals', `${goalsCompletedSql(q.goals, params)} AS goals`);
  }
  const extra = select.map((c) => `, ${c}`).join('');
  const events = `SELECT toDate(ts) AS day, salt_domain, session, visitor, ts, event, path, host${extra}${own} FROM events${arrayJoin}
    WHERE site = {site:String} AND ts >= {from:DateTime('UTC')} AND ts < {to:DateTime('UTC')}${beacons ? '' : " AND event != 'engagement'"} AND ${push.events}`;
  if (!sessions) return `SELECT *, toUInt64(0) AS s_views, toUInt64(0) AS s_duration, toUInt64(0) AS s_engaged FROM (${events})`;
  const columns = visit.map((d) => `${VISIT_DIMENSIONS[d].session} AS s_${visitColumn(d)}, `).join('');
  const pick = visit.map((d) => `, if(session = 0, r_${visitColumn(d)}, s_${visitColumn(d)}) AS ${visitColumn(d)}`).join('');
  // A visit's length and engagement only for visit metrics: visit properties alone need its page views only (half
  // the rows where every page view sends a beacon).
  const lengths = q.metrics.some((m) => SESSION_METRICS.has(m));
  const measures = lengths
    ? `countIf(event = 'pageview') AS s_views, toUInt64(sumIf(engaged_ms, event = 'engagement')) AS s_engaged,
             toUInt64(greatest(maxIf(ts, event = 'pageview'), if(s_engaged > 0, maxIf(ts, event = 'engagement'), toDateTime(0, 'UTC')))
                      - minIf(ts, event = 'pageview')) AS s_duration`
    : 'count() AS s_views, toUInt64(0) AS s_engaged, toUInt64(0) AS s_duration';
  return `SELECT day, salt_domain, session, visitor, ts, event, path, host${names.map((c) => `, ${c}`).join('')}, s_views, s_duration, s_engaged${pick}
    FROM (${events}) AS e LEFT JOIN (
      SELECT toDate(ts) AS day, salt_domain, session, ${columns}${measures}
      FROM events
      WHERE site = {site:String} AND ts >= {from:DateTime('UTC')} AND ts < {to:DateTime('UTC')} AND session != 0
            AND ${lengths ? "event IN ('pageview', 'engagement')" : "event = 'pageview'"} AND ${push.visits}
      GROUP BY day, salt_domain, session
      HAVING s_views > 0 AND ${push.having}) AS s USING (day, salt_domain, session)
    WHERE ${push.joined}`;
}

/**
 * Engagement per group: engaged ms, and per (visit, page) the deepest scroll, as one map (key: the pair, value:
 * depth + 1, so a depth of 0 is still a key). The pairs are what time_on_page and scroll_depth average over.
 */
const SCROLL_MAP = `maxMapIf([cityHash64(session, path)], [toUInt16(scroll_depth) + 1], ${ENGAGED})`;
const ENGAGEMENT_SUMS = `toUInt64(sumIf(engaged_ms, ${ENGAGED})) AS eng_ms, toUInt64(length(${SCROLL_MAP}.1)) AS eng_visits,
                         toUInt64(arraySum(${SCROLL_MAP}.2)) - eng_visits AS scroll_sum`;
const NO_ENGAGEMENT = 'toUInt64(0) AS eng_ms, toUInt64(0) AS eng_visits, toUInt64(0) AS scroll_sum';

/**
 * One row per cell (the dimensions' values in one day and salt domain). Visit metrics need each visit once per cell
 * (its length and page count are the visit's, not the matching rows'), so they group per visit first; without them
 * the rows are counted directly, which is what keeps an unfiltered breakdown of a month inside the memory limit.
 * Engagement beacons, when read, count only in the engagement sums: a group of them alone (`ev = 0`) is no visit.
 */
function cellsSql(q: EventsQuery, dims: readonly string[], groupBy: (extra: string) => string, where: string, params: Record<string, unknown>): string {
  // A cell without visitors (consent-signal page views only) is no value: counted as one, it would let (other)
  // show a single withheld value's numbers.
  const having = 'HAVING visitors > 0';
  const engagement = asksEngagement(q);
  if (!q.metrics.some((m) => SESSION_METRICS.has(m))) {
    return `SELECT ${[...dims, ''].join(', ')} day, salt_domain, uniqExactIf(visitor, visitor != 0 AND ${COUNTED}) AS visitors, toUInt64(0) AS visits,
                   countIf(event = 'pageview') AS pageviews, countIf(${COUNTED}) AS events, toUInt64(0) AS bounces, toUInt64(0) AS duration,
                   toUInt64(0) AS visit_views, ${engagement ? ENGAGEMENT_SUMS : NO_ENGAGEMENT}
            FROM (${rows(q, params)})
            WHERE ${where}
            GROUP BY ${groupBy('day, salt_domain')}
            ${having}`;
  }
  const perVisit = engagement
    ? `, toUInt64(sumIf(engaged_ms, ${ENGAGED})) AS em, toUInt64(length(${SCROLL_MAP}.1)) AS en, toUInt64(arraySum(${SCROLL_MAP}.2)) - en AS es`
    : '';
  const visitEngagement = engagement ? 'toUInt64(sum(em)) AS eng_ms, toUInt64(sum(en)) AS eng_visits, toUInt64(sum(es)) AS scroll_sum' : NO_ENGAGEMENT;
  const isVisit = 'session != 0 AND sv > 0 AND ev > 0';
  return `SELECT ${groupBy('day, salt_domain')}, uniqExactIf(visitor, visitor != 0 AND ev > 0) AS visitors,
                 countIf(${isVisit}) AS visits, sum(pv) AS pageviews, sum(ev) AS events,
                 countIf(${isVisit} AND sv = 1 AND se < {engaged_visit_ms:UInt64}) AS bounces, sumIf(sd, ${isVisit}) AS duration,
                 sumIf(sv, ${isVisit}) AS visit_views, ${visitEngagement}
          FROM (
            SELECT ${[...dims, ''].join(', ')} day, salt_domain, session, visitor, countIf(event = 'pageview') AS pv, countIf(${COUNTED}) AS ev,
                   any(s_views) AS sv, any(s_duration) AS sd, any(s_engaged) AS se${perVisit}
            FROM (${rows(q, params)})
            WHERE ${where}
            GROUP BY ${groupBy('day, salt_domain, session, visitor')})
          GROUP BY ${groupBy('day, salt_domain')}
          ${having}`;
}

/**
 * conversion_rate's denominator: per cell, the visitors of the set without its goal and property filters (Plausible
 * drops the top-level event:goal and event:props filters for it), joined to each group's cells, so a group's rate
 * counts only the days and domains in which the group was named (as POST /api/v2/conversions always did).
 */
function totalsSql(q: EventsQuery, params: Record<string, unknown>): string {
  const kept = q.filters.filter((f) => ![...properties([f])].some((p) => isGoalDimension(p) || isPropsDimension(p)));
  const base: EventsQuery = { ...q, metrics: ['visitors'], dimensions: [], filters: kept };
  return `SELECT day, salt_domain, uniqExactIf(visitor, visitor != 0 AND ${COUNTED}) AS total
          FROM (${rows(base, params, 'tp')})
          WHERE ${filterSql(kept, params, { prefix: 't' })}
          GROUP BY day, salt_domain`;
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
  const dims = q.dimensions.map((d, i) => `${expression(d, i, params)} AS d${i}`);
  const d = q.dimensions.map((_, i) => `d${i}`);
  const labels = d.map((name, i) => `if(named, ${name}, '') AS l${i}`);
  const l = d.map((_, i) => `l${i}`);
  const value = d.length === 0 ? "''" : d.length === 1 ? 'd0' : `tuple(${d.join(', ')})`;
  const where = filterSql(q.filters, params, { goalJoined: q.dimensions.some(isGoalDimension) });
  const order = [...q.orderBy.map(([name, dir]) => `${sortKey(name, q.dimensions)} ${dir.toUpperCase()}`), ...l.map((x) => `${x} ASC`)];
  if (q.orderBy.length === 0) {
    const time = q.dimensions.findIndex(isTimeDimension);
    // The breakdown route's order (visitors, then page views) after the first metric, so both answer alike.
    order.unshift(...(time >= 0 ? [`l${time} ASC`] : [`${sortKey(q.metrics[0] ?? 'visitors', q.dimensions)} DESC`, 'visitors DESC', 'pageviews DESC']));
  }
  params.k_offset = q.offset;
  params.tz = q.timeZone ?? 'UTC';
  params.engaged_visit_ms = ENGAGED_VISIT_MS;
  params.k_end = q.offset + q.limit;
  const groupBy = (extra: string) => [...d, extra].filter((x) => x !== '').join(', ');
  const grouped = cellsSql(q, dims, groupBy, where, params);
  const cells = q.metrics.includes('conversion_rate')
    ? `SELECT * FROM (${grouped}) AS c LEFT JOIN (${totalsSql(q, params)}) AS t USING (day, salt_domain)`
    : `SELECT *, toUInt64(0) AS total FROM (${grouped})`;
  return `
    SELECT named, [${l.join(', ')}] AS labels, visitors, visits, pageviews, events, bounces, duration, visit_views,
           eng_ms, eng_visits, scroll_sum, total, n_values, floor, total_named, named_visitors
    FROM (
      SELECT *, row_number() OVER (PARTITION BY named ORDER BY ${order.join(', ')}) AS rn,
             countIf(named) OVER () AS total_named, sumIf(visitors, named) OVER () AS named_visitors
      FROM (
        SELECT named, ${[...l, ''].join(', ')}
               toUInt64(sum(visitors)) AS visitors, toUInt64(sum(visits)) AS visits, toUInt64(sum(pageviews)) AS pageviews,
               toUInt64(sum(events)) AS events, toUInt64(sum(bounces)) AS bounces, toUInt64(sum(duration)) AS duration,
               toUInt64(sum(visit_views)) AS visit_views, toUInt64(sum(eng_ms)) AS eng_ms, toUInt64(sum(eng_visits)) AS eng_visits,
               toUInt64(sum(scroll_sum)) AS scroll_sum, toUInt64(sum(total)) AS total, uniqExact(${value}) AS n_values,
               toUInt64(sum(floor_part)) AS floor
        FROM (
          SELECT *, ${[...labels, ''].join(', ')}
                 if(row_number() OVER (PARTITION BY day, salt_domain, named ORDER BY visitors DESC, ${[...d, 'day'].join(', ')}) = 1, visitors, 0) AS floor_part
          FROM (
            SELECT *, visitors >= {k:UInt64} AS named FROM (${cells})))
        GROUP BY ${['named', ...l].join(', ')}))
    WHERE NOT named OR (rn > {k_offset:UInt32} AND rn <= {k_end:UInt32})
    ORDER BY named, rn`;
}

