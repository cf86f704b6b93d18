import { TokumeiError } from '@tokumei/errors';
import { parseRange, type TimeRange } from '../time-range.js';
import { parseFilters, properties, type Filter } from './filters.js';
import {
  ENGAGEMENT_METRICS, PROPS_KEY_RULE, SESSION_METRICS, UNSUPPORTED_DIMENSIONS, UNSUPPORTED_METRICS, isEventDimension, isGoalDimension,
  isMetric, isPropsDimension, isTimeDimension, isVisitDimension, nameOf, type Dimension, type Metric,
} from './spec.js';

export type Direction = 'asc' | 'desc';

/** A validated query: every name is one of spec.ts's, every bound checked. */
export interface ParsedQuery {
  readonly siteId: string;
  readonly metrics: readonly Metric[];
  /** [from, to) in UTC, as asked (a plan may narrow it to what it can answer, and says so). */
  readonly range: TimeRange;
  /** `date_range: "all"`: narrowing it to what is retained is what was asked, so it is not a warning. */
  readonly all: boolean;
  readonly dimensions: readonly Dimension[];
  readonly filters: readonly Filter[];
  readonly orderBy: readonly (readonly [Metric | Dimension, Direction])[];
  readonly limit: number;
  readonly offset: number;
  readonly totalRows: boolean;
}

const DAY = 86_400_000;
export const PAGINATION = { defaultLimit: 1000, maxLimit: 1000, maxOffset: 100_000 } as const;
const MAX_DIMENSIONS = 4;
/** `all` reaches back as far as any range may (time-range.ts): 800 days. */
const ALL_DAYS = 800;
const KEYS = new Set(['site_id', 'metrics', 'date_range', 'dimensions', 'filters', 'order_by', 'pagination', 'include']);

const invalid = (message: string) => new TokumeiError('TKM_INVALID_QUERY', message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const utcDay = (ms: number) => Math.floor(ms / DAY) * DAY;

function monthStart(ms: number, back: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1);
}

/** The shortcuts are UTC calendar periods containing `now`; `Nd` is the N days ending with today. */
function dateRange(raw: unknown, now: number): { range: TimeRange; all: boolean } {
  const today = utcDay(now);
  const days = (n: number): TimeRange => ({ from: new Date(today - (n - 1) * DAY), to: new Date(today + DAY) });
  const months = (back: number): TimeRange => ({ from: new Date(monthStart(now, back)), to: new Date(monthStart(now, -1)) });
  switch (raw) {
    case 'day': return { range: days(1), all: false };
    case '7d': return { range: days(7), all: false };
    case '28d': return { range: days(28), all: false };
    case '30d': return { range: days(30), all: false };
    case '91d': return { range: days(91), all: false };
    case 'month': return { range: months(0), all: false };
    case '6mo': return { range: months(5), all: false };
    case '12mo': return { range: months(11), all: false };
    case 'year': {
      const year = new Date(now).getUTCFullYear();
      return { range: { from: new Date(Date.UTC(year, 0, 1)), to: new Date(Date.UTC(year + 1, 0, 1)) }, all: false };
    }
    case 'all': return { range: days(ALL_DAYS), all: true };
    default: break;
  }
  if (typeof raw === 'string') throw invalid(`date_range: ${nameOf(raw)} is not one of day, 7d, 28d, 30d, 91d, month, 6mo, 12mo, year, all, or [from, to]`);
  if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'string' || typeof raw[1] !== 'string' || raw[0].length > 40 || raw[1].length > 40) {
    throw invalid('date_range: must be a shortcut (day, 7d, 30d, month, …) or [from, to] as ISO dates or datetimes');
  }
  // Plausible writes datetimes with a space; time-range.ts reads the ISO 'T' form. A date as `to` includes its day.
  const [from, to] = raw.map((v: string) => v.replace(' ', 'T'));
  try {
    return { range: parseRange({ from, to }, now), all: false };
  } catch (error) {
    if (error instanceof TokumeiError) throw invalid(`date_range: ${error.message}`);
    throw error;
  }
}

function stringList(raw: unknown, field: string, required: boolean): string[] {
  if (raw === undefined && !required) return [];
  if (!Array.isArray(raw) || (required && raw.length === 0) || !raw.every((v) => typeof v === 'string')) {
    throw invalid(`${field}: must be a ${required ? 'non-empty ' : ''}list of strings`);
  }
  const seen = new Set<string>();
  for (const v of raw) {
    if (seen.has(v)) throw invalid(`${field}: ${nameOf(v)} is listed twice`);
    seen.add(v);
  }
  return raw;
}

function metric(name: string): Metric {
  if (isMetric(name)) return name;
  const why = UNSUPPORTED_METRICS[name];
  if (why !== undefined) throw invalid(`metrics: '${name}' is not supported yet: ${why}`);
  throw invalid(`metrics: unknown metric ${nameOf(name)}`);
}

function dimension(name: string, at: string): Dimension {
  if (isEventDimension(name) || isVisitDimension(name) || isTimeDimension(name) || isPropsDimension(name) || isGoalDimension(name)) return name;
  if (name.startsWith('event:props:')) throw invalid(`${at}: ${PROPS_KEY_RULE}`);
  const why = UNSUPPORTED_DIMENSIONS[name];
  if (why !== undefined) throw invalid(`${at}: ${name} is not supported yet: ${why}`);
  throw invalid(`${at}: unknown dimension ${nameOf(name)}`);
}

function orderBy(raw: unknown, asked: ReadonlySet<string>): [Metric | Dimension, Direction][] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw invalid('order_by: must be a list of [metric or dimension, "asc" | "desc"]');
  return raw.map((entry: unknown, i) => {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || (entry[1] !== 'asc' && entry[1] !== 'desc')) {
      throw invalid(`order_by[${i}]: must be [metric or dimension, "asc" | "desc"]`);
    }
    const name: string = entry[0];
    if (!asked.has(name)) throw invalid(`order_by[${i}]: ${nameOf(name)} is not a queried metric or dimension`);
    return [name as Metric | Dimension, entry[1] as Direction];
  });
}

function integer(raw: unknown, field: string, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) throw invalid(`${field}: must be an integer from ${min} to ${max}`);
  return raw;
}

function pagination(raw: unknown): { limit: number; offset: number } {
  if (raw === undefined) return { limit: PAGINATION.defaultLimit, offset: 0 };
  if (!isObject(raw)) throw invalid('pagination: must be an object {limit, offset}');
  for (const key of Object.keys(raw)) if (key !== 'limit' && key !== 'offset') throw invalid(`pagination: unknown field ${nameOf(key)}`);
  return {
    limit: integer(raw.limit, 'pagination.limit', 1, PAGINATION.maxLimit, PAGINATION.defaultLimit),
    offset: integer(raw.offset, 'pagination.offset', 0, PAGINATION.maxOffset, 0),
  };
}

function include(raw: unknown): { totalRows: boolean } {
  if (raw === undefined) return { totalRows: false };
  if (!isObject(raw)) throw invalid('include: must be an object');
  for (const [key, value] of Object.entries(raw)) {
    // Tokumei has no Plausible-style imports (an imported log is stored like any beacon), so `imports` changes nothing.
    if (key === 'total_rows' || key === 'imports') {
      if (typeof value !== 'boolean') throw invalid(`include.${key}: must be true or false`);
    } else if (key === 'time_labels' || key === 'comparisons' || key === 'imports_meta') {
      throw invalid(`include.${key}: is not supported yet`);
    } else {
      throw invalid(`include: unknown field ${nameOf(key)}`);
    }
  }
  return { totalRows: raw.total_rows === true };
}

/** Combinations Plausible refuses, refused here the same way (their numbers would not mean anything). */
function checkCombinations(metrics: readonly Metric[], dimensions: readonly Dimension[], filters: readonly Filter[]): void {
  if (metrics.includes('views_per_visit')) {
    if (dimensions.length > 0) throw invalid("metrics: 'views_per_visit' cannot be queried with dimensions");
    if (properties(filters).has('event:page')) throw invalid("metrics: 'views_per_visit' cannot be queried with a filter on event:page");
  }
  const session = metrics.filter((m) => SESSION_METRICS.has(m));
  const eventDimension = dimensions.find((d) => (isEventDimension(d) && d !== 'event:page') || isPropsDimension(d) || isGoalDimension(d));
  if (session.length > 0 && eventDimension !== undefined) {
    throw invalid(`metrics: session metric(s) ${session.join(', ')} cannot be queried with the event dimension ${eventDimension}`);
  }
  const engagement = metrics.filter((m) => ENGAGEMENT_METRICS.has(m));
  if (engagement.length > 0) {
    // An engagement beacon is a page's, never a custom event's and without properties: split or filtered by event
    // name or a property it would be nothing.
    const notOfBeacons = (d: string) => d === 'event:name' || isPropsDimension(d) || isGoalDimension(d);
    const byEvent = dimensions.find(notOfBeacons);
    if (byEvent !== undefined) throw invalid(`metrics: engagement metric(s) ${engagement.join(', ')} cannot be queried with the dimension ${byEvent}`);
    const filtered = [...properties(filters)].find(notOfBeacons);
    if (filtered !== undefined) throw invalid(`metrics: engagement metric(s) ${engagement.join(', ')} cannot be queried with a filter on ${filtered}`);
  }
  // As in Plausible: a conversion rate is of goals, which the query names as a dimension or a filter.
  if (metrics.includes('conversion_rate') && !dimensions.some(isGoalDimension) && ![...properties(filters)].some(isGoalDimension)) {
    throw invalid("metrics: 'conversion_rate' needs the event:goal dimension or a filter on event:goal");
  }
  if (dimensions.filter(isTimeDimension).length > 1) throw invalid('dimensions: at most one time dimension');
}

/** Parses a `POST /api/v2/query` body; every refusal is a 400 TKM_INVALID_QUERY that names the field, never a value that could be personal data. */
export function parseQuery(body: unknown, now: number): ParsedQuery {
  if (!isObject(body)) throw invalid('the body must be a JSON object');
  for (const key of Object.keys(body)) if (!KEYS.has(key)) throw invalid(`unknown field ${nameOf(key)}`);
  const site = body.site_id;
  if (typeof site !== 'string' || site.length === 0 || site.length > 100) throw invalid('site_id: must be a string of 1 to 100 characters');
  const metrics = stringList(body.metrics, 'metrics', true).map(metric);
  if (body.date_range === undefined) throw invalid('date_range: is required');
  const { range, all } = dateRange(body.date_range, now);
  const dimensions = stringList(body.dimensions, 'dimensions', false).map((d, i) => dimension(d, `dimensions[${i}]`));
  if (dimensions.length > MAX_DIMENSIONS) throw invalid(`dimensions: at most ${MAX_DIMENSIONS}`);
  const filters = parseFilters(body.filters);
  checkCombinations(metrics, dimensions, filters);
  const order = orderBy(body.order_by, new Set<string>([...metrics, ...dimensions]));
  return { siteId: site, metrics, range, all, dimensions, filters, orderBy: order, ...pagination(body.pagination), ...include(body.include) };
}

