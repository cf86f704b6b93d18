import { TokumeiError } from '@tokumei/errors';
import type { StatsDb } from '../query-limits.js';
import { filterSql, parseFilters, patterns, properties, type Filter } from '../query/filters.js';
import { VISIT_DIMENSIONS, isVisitDimension, visitColumn, type VisitDimension } from '../query/spec.js';
import { EVENTS_IN_RANGE } from './window.js';

const invalid = (message: string) => new TokumeiError('TKM_INVALID_QUERY', message);

/**
 * One entry of `filters` read by the v2 parser itself (so operators, bounds and messages are the v2 query's), with
 * its position kept in the message. Only visit properties are taken: a goal answer is about visitors, and a visit
 * filter keeps whole visits, so a conversion and its denominator describe the same visits.
 */
export function parseVisitFilter(raw: unknown, i: number): Filter {
  let filter: Filter | undefined;
  try {
    [filter] = parseFilters([raw]);
  } catch (error) {
    if (error instanceof TokumeiError) throw invalid(error.message.replace(/^filters\[0\]/, `filters[${i}]`));
    throw error;
  }
  if (filter === undefined || ![...properties([filter])].every(isVisitDimension)) {
    throw invalid(`filters[${i}]: only visit:* filters (and ["is", "event:goal", [names]]) are taken here`);
  }
  return filter;
}

/**
 * SQL keeping the `events` rows of the visits the filters select: the visit's properties are its first page view's
 * (the v2 query's VISIT_DIMENSIONS), per (day, salt_domain, session). Values are parameters (filterSql's `f<n>`).
 */
export function visitFilterSql(filters: readonly Filter[], params: Record<string, unknown>): string {
  if (filters.length === 0) return '1';
  const visit: VisitDimension[] = [...properties(filters)].filter(isVisitDimension);
  const columns = visit.map((d) => `, ${VISIT_DIMENSIONS[d].session} AS ${visitColumn(d)}`).join('');
  return `(toDate(ts), salt_domain, session) IN (
      SELECT day, salt_domain, session FROM (
        SELECT toDate(ts) AS day, salt_domain, session${columns}
        FROM events WHERE ${EVENTS_IN_RANGE} AND event = 'pageview' AND session != 0
        GROUP BY day, salt_domain, session)
      WHERE ${filterSql(filters, params)})`;
}

/** `matches` patterns compiled by ClickHouse first (as the v2 query does), so an invalid one is a 400, not a 500. */
export async function checkPatterns(db: StatsDb, filters: readonly Filter[]): Promise<void> {
  const list = patterns(filters);
  if (list.length === 0) return;
  try {
    await db.rows(`SELECT ${list.map((_, i) => `match('', {p${i}:String})`).join(', ')}`, Object.fromEntries(list.map((p, i) => [`p${i}`, p])));
  } catch (error) {
    const type = (error as { type?: unknown }).type;
    if (type === 'CANNOT_COMPILE_REGEXP' || (error instanceof Error && !(error instanceof TokumeiError) && /regexp|re2/i.test(error.message))) {
      throw invalid('filters: a matches pattern is not a valid RE2 regular expression');
    }
    throw error;
  }
}
