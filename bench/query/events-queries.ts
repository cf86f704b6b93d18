/**
 * The stats API's questions answered straight from the per-event table: the baseline bench/query compares the
 * aggregates with. Same parameters, same semantics (page views only, session 0 excluded from session metrics,
 * k-anonymous folding for breakdowns), so the difference is only where the numbers come from.
 */
const RANGE = "site = {site:String} AND event = 'pageview' AND ts >= {from:DateTime('UTC')} AND ts < {to:DateTime('UTC')}";

const STARTED = `
  SELECT min(ts) AS first_view, max(ts) AS last_view, count() AS views, argMin(path, ts) AS entry, any(visitor) AS session_visitor
  FROM events
  WHERE site = {site:String} AND event = 'pageview' AND session != 0
    AND ts >= toStartOfDay({from:DateTime('UTC')}) AND ts < {to:DateTime('UTC')}
  GROUP BY toDate(ts), session
  HAVING first_view >= {from:DateTime('UTC')} AND first_view < {to:DateTime('UTC')}`;

const fold = (perValue: string, sessions: string) => `
  SELECT folded, label, toUInt64(uniqMerge(vs)) AS visitors, toUInt64(sum(pv)) AS pageviews, toUInt64(${sessions}) AS sessions,
         count() AS n_values, countIf(NOT folded) OVER () AS named
  FROM (SELECT *, finalizeAggregation(vs) < {k:UInt64} AS folded, if(folded, '', value) AS label FROM (${perValue}))
  GROUP BY folded, label
  ORDER BY folded DESC, visitors DESC, pageviews DESC, label
  LIMIT {limit:UInt32}`;

const series = (bucket: string, step: string) => `
  SELECT ${bucket}(ts) AS t, count() AS pageviews, uniqIf(visitor, visitor != 0) AS visitors, uniqIf(session, session != 0) AS sessions
  FROM events WHERE ${RANGE}
  GROUP BY t ORDER BY t WITH FILL FROM ${bucket}({from:DateTime('UTC')}) TO {to:DateTime('UTC')} STEP ${step}`;

export const EVENTS_QUERIES = {
  summary: `
    SELECT * FROM
      (SELECT count() AS pageviews, uniqIf(visitor, visitor != 0) AS visitors, uniqIf(session, session != 0) AS sessions
       FROM events WHERE ${RANGE}) AS totals
    CROSS JOIN
      (SELECT count() AS started, countIf(views = 1) AS bounces, sum(views) AS view_sum, sum(last_view - first_view) AS duration
       FROM (${STARTED})) AS s`,
  timeseriesDay: series('toStartOfDay', 'INTERVAL 1 DAY'),
  timeseriesHour: series('toStartOfHour', 'INTERVAL 1 HOUR'),
  breakdown: (column: string, skipEmpty = false) => fold(`
    SELECT toString(${column}) AS value, uniqStateIf(visitor, visitor != 0) AS vs, uniqStateIf(session, session != 0) AS ss, count() AS pv
    FROM events WHERE ${RANGE}${skipEmpty ? ` AND ${column} != ''` : ''}
    GROUP BY value`, 'uniqMerge(ss)'),
  entryPage: fold(`
    SELECT entry AS value, uniqStateIf(session_visitor, session_visitor != 0) AS vs, count() AS ss, sum(views) AS pv
    FROM (${STARTED}) GROUP BY value`, 'sum(ss)'),
  realtime: `
    SELECT count() AS pageviews, uniqIf(visitor, visitor != 0) AS visitors FROM events
    WHERE site = {site:String} AND event = 'pageview' AND ts >= {from:DateTime('UTC')} AND ts <= {to:DateTime('UTC')}`,
  exactTotals: `
    SELECT count() AS pageviews, uniqExactIf(visitor, visitor != 0) AS visitors, uniqExactIf(session, session != 0) AS sessions
    FROM events WHERE ${RANGE}`,
} as const;
