import { filterSql, properties, type Filter } from './filters.js';
import { VISIT_DIMENSIONS, isEventDimension, isPropsDimension, isVisitDimension, visitColumn, type VisitDimension } from './spec.js';

/**
 * Filters moved into the two halves of the events plan (sql.ts `rows()`: event rows LEFT JOIN one row per visit),
 * so a filtered question no longer groups every event of the range into visits and joins them all.
 *
 * The answer stays the plan's: the outer WHERE still applies the whole filter list; these fragments only drop what it
 * would drop anyway. Measured on 10 M events (bench/query, bench/README.md 2026-12-01 "filtered questions").
 *
 * - An event-only filter (event:page, event:hostname, event:name, event:props:*) is AND-ed to the event rows (the
 *   visits stay grouped for every session: narrowing them to the sessions with such a row measured slower).
 * - A visit-only filter is checked on the visit (the HAVING of the visit subquery), and the visits grouped are first
 *   narrowed to candidates: sessions with a page view that has the filtered value. A visit's entry page and
 *   first-page properties are those of its first page view, its exit page that of its last, so the visit that
 *   matches always has such a page view (this is why a filter that mixes exit_page with first-page properties is not
 *   moved). Joined rows of a session whose visit was not kept are dropped: sound only when the filter is false for a
 *   session without page views (whose visit properties are all ''), which `onEmpty` proves or the filter stays out.
 *   The event rows are narrowed to the candidate sessions too (and session 0, whose rows carry their own values).
 * - Everything else (OR across event and visit properties, goals, `matches`, `is_not` …) is left to the outer WHERE.
 */
export interface VisitPushdown {
  /** AND-ed to the WHERE of the event rows subquery. */
  readonly events: string;
  /** AND-ed to the WHERE of the visit subquery (over `events` rows). */
  readonly visits: string;
  /** AND-ed to the HAVING of the visit subquery (over its s_v_* columns). */
  readonly having: string;
  /** WHERE of the joined rows: a row outside any session, or one of a visit the visit subquery kept. */
  readonly joined: string;
}

const NONE: VisitPushdown = { events: '1', visits: '1', having: '1', joined: '1' };

const RANGE = "site = {site:String} AND ts >= {from:DateTime('UTC')} AND ts < {to:DateTime('UTC')}";
// Candidates by session hash alone: a tuple IN (day, salt_domain, session) measured 3x slower on 10 M events, and a
// hash shared across days or domains only adds candidates, which the HAVING and the join's full key sort out.
const KEY = 'session';

/** Whether a filter holds for '' (a session without page views gets '' for every visit property): undefined when not provable here. */
export function onEmpty(f: Filter): boolean | undefined {
  if ('filters' in f) {
    const parts = f.filters.map(onEmpty);
    const decided = f.op === 'and' ? parts.some((p) => p === false) : parts.some((p) => p === true);
    if (decided) return f.op !== 'and';
    return parts.every((p) => p !== undefined) ? f.op === 'and' : undefined;
  }
  if ('filter' in f) {
    const inner = onEmpty(f.filter);
    return inner === undefined ? undefined : !inner;
  }
  const empty = f.values.includes('');
  switch (f.op) {
    case 'is': return empty;
    case 'is_not': return !empty;
    // An empty needle is found in every string; ClickHouse's multiSearchAny is not relied on for that edge.
    case 'contains': return empty ? undefined : false;
    case 'contains_not': return empty ? undefined : true;
    // RE2 patterns are not evaluated here.
    case 'matches': case 'matches_not': return undefined;
  }
}

type Side = 'event' | 'first' | 'exit';

/** Which single row a top-level filter can be judged on, if any. */
function sideOf(f: Filter): Side | undefined {
  const props = [...properties([f])];
  if (props.every((p) => isEventDimension(p) || isPropsDimension(p))) return 'event';
  if (!props.every(isVisitDimension) || onEmpty(f) !== false) return undefined;
  if (props.every((p) => p === 'visit:exit_page')) return 'exit';
  return props.includes('visit:exit_page') ? undefined : 'first';
}

/** A visit property as read from one page view row: the entry and exit page are that row's path. */
const rowValue = (d: VisitDimension) => (d === 'visit:entry_page' || d === 'visit:exit_page' ? 'path' : VISIT_DIMENSIONS[d].row);

/**
 * The fragments for a filter list; `params` receives their values under parameter names that start with `prefix`,
 * so two plans in one query (sql.ts calls rows() for the cells and for conversion_rate's totals) need two prefixes.
 */
export function visitPushdown(filters: readonly Filter[], params: Record<string, unknown>, prefix = 'vp'): VisitPushdown {
  const bySide: Record<Side, Filter[]> = { event: [], first: [], exit: [] };
  for (const f of filters) {
    const side = sideOf(f);
    if (side !== undefined) bySide[side].push(f);
  }
  if (bySide.event.length + bySide.first.length + bySide.exit.length === 0) return NONE;
  const keys: string[] = [];
  let events = '1';
  if (bySide.event.length > 0) {
    // Not also the visits of those sessions only: that IN (one more scan of events) measured 0.5x on 10 M events.
    events = filterSql(bySide.event, params, { prefix: `${prefix}e` });
  }
  const visit = [...bySide.first, ...bySide.exit];
  for (const side of ['first', 'exit'] as const) {
    if (bySide[side].length === 0) continue;
    const names = [...properties(bySide[side])].filter(isVisitDimension);
    const bound = names.map((d) => `, ${rowValue(d)} AS ${visitColumn(d)}`).join('');
    keys.push(`${KEY} IN (SELECT session FROM (
        SELECT session${bound} FROM events WHERE ${RANGE} AND event = 'pageview' AND session != 0)
      WHERE ${filterSql(bySide[side], params, { prefix: `${prefix}${side}` })})`);
  }
  // The event rows of other sessions would be dropped after the join anyway; dropping them before it measured 10–25 %
  // faster on 10 M events (quiet machine, bench/README.md).
  if (keys.length > 0) events = `${events} AND (session = 0 OR (${keys.join(' AND ')}))`;
  // The visit subquery names a visit property s_v_*; filterSql reads v_* (always as toString(v_…)).
  const having = visit.length === 0 ? '1' : filterSql(visit, params, { prefix: `${prefix}h` }).replace(/toString\(v_/g, 'toString(s_v_');
  return { events, visits: keys.length === 0 ? '1' : keys.join(' AND '), having, joined: visit.length === 0 ? '1' : '(session = 0 OR s_views > 0)' };
}
