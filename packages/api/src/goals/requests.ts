import { TokumeiError } from '@tokumei/errors';
import type { Goal } from '@tokumei/config';
import { parseQuery } from '../query/parse.js';
import { nameOf } from '../query/spec.js';
import type { TimeRange } from '../time-range.js';
import { GOAL_METRICS, type GoalMetric } from './conversions.js';
import { FUNNEL_STEPS } from './funnel.js';
import { parseVisitFilter } from './filters.js';
import type { Filter } from '../query/filters.js';

const invalid = (message: string) => new TokumeiError('TKM_INVALID_QUERY', message);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Common { readonly siteId: string; readonly range: TimeRange; readonly all: boolean }

/** site_id and date_range exactly as `POST /api/v2/query` reads them (same shortcuts, same 400s naming the field). */
function common(body: Record<string, unknown>, now: number): Common {
  const q = parseQuery({ site_id: body.site_id, date_range: body.date_range, metrics: ['visitors'] }, now);
  return { siteId: q.siteId, range: q.range, all: q.all };
}

function checkKeys(body: unknown, keys: ReadonlySet<string>): Record<string, unknown> {
  if (!isObject(body)) throw invalid('the body must be a JSON object');
  for (const key of Object.keys(body)) if (!keys.has(key)) throw invalid(`unknown field ${nameOf(key)}`);
  return body;
}

export interface FunnelRequest extends Common { readonly steps: readonly string[]; readonly filters: readonly Filter[] }

const FUNNEL_KEYS = new Set(['site_id', 'date_range', 'steps', 'filters']);

/** `POST /api/v2/funnel`: {site_id, date_range, steps: [goal display name, …], filters?: [visit filters]} with 2 to 8 steps. */
export function parseFunnelRequest(raw: unknown, now: number): FunnelRequest {
  const body = checkKeys(raw, FUNNEL_KEYS);
  const base = common(body, now);
  const steps = body.steps;
  if (!Array.isArray(steps) || steps.length < FUNNEL_STEPS.min || steps.length > FUNNEL_STEPS.max || !steps.every((s) => typeof s === 'string')) {
    throw invalid(`steps: must be a list of ${FUNNEL_STEPS.min} to ${FUNNEL_STEPS.max} goal names`);
  }
  const filters = filterList(body.filters).map((f, i) => parseVisitFilter(f, i));
  return { ...base, steps, filters };
}

export interface ConversionsRequest extends Common {
  readonly metrics: readonly GoalMetric[];
  /** Goals asked for (`["is", "event:goal", [names]]`); undefined: every goal of the site. */
  readonly only: readonly string[] | undefined;
  /** The other filters: visit properties, as the v2 query reads them. */
  readonly filters: readonly Filter[];
}

const MAX_FILTERS = 20;

function filterList(raw: unknown): unknown[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_FILTERS) throw invalid(`filters: must be a list of at most ${MAX_FILTERS} filters`);
  return raw;
}

const isGoalFilter = (f: unknown): f is [unknown, 'event:goal', unknown] => Array.isArray(f) && f[1] === 'event:goal';

const CONVERSION_KEYS = new Set(['site_id', 'date_range', 'metrics', 'dimensions', 'filters']);

/**
 * `POST /api/v2/conversions`: the v2 query's shape for the goal questions, {site_id, date_range, metrics ⊆ visitors,
 * events, conversion_rate, dimensions: ["event:goal"], filters?: [["is", "event:goal", [names]], visit filters…]}.
 */
export function parseConversionsRequest(raw: unknown, now: number): ConversionsRequest {
  const body = checkKeys(raw, CONVERSION_KEYS);
  const base = common(body, now);
  const metrics = body.metrics;
  if (!Array.isArray(metrics) || metrics.length === 0 || new Set(metrics).size !== metrics.length) {
    throw invalid('metrics: must be a non-empty list without repeats');
  }
  for (const m of metrics) {
    if (!(GOAL_METRICS as readonly unknown[]).includes(m)) throw invalid(`metrics: ${nameOf(m)} is not one of ${GOAL_METRICS.join(', ')}`);
  }
  const dimensions = body.dimensions;
  if (!Array.isArray(dimensions) || dimensions.length !== 1 || dimensions[0] !== 'event:goal') {
    throw invalid('dimensions: must be ["event:goal"]');
  }
  let only: string[] | undefined;
  const filters: Filter[] = [];
  filterList(body.filters).forEach((f, i) => {
    if (!isGoalFilter(f)) {
      filters.push(parseVisitFilter(f, i));
      return;
    }
    const names: unknown = f[2];
    if (only !== undefined || f.length !== 3 || f[0] !== 'is' || !Array.isArray(names) || names.length === 0 || names.length > 100
      || !names.every((v) => typeof v === 'string')) {
      throw invalid(`filters[${i}]: a goal filter is one ["is", "event:goal", [1 to 100 goal names]]`);
    }
    only = names;
  });
  return { ...base, metrics: metrics as GoalMetric[], only, filters };
}

/** The site's goals named by `names`, in that order; an unknown name is a 400 naming its position. */
export function pickGoals(goals: readonly Goal[], names: readonly string[], field: string): Goal[] {
  const byName = new Map(goals.map((g) => [g.name, g]));
  return names.map((name, i) => {
    const goal = byName.get(name);
    if (goal === undefined) throw invalid(`${field}[${i}]: ${nameOf(name)} is not a goal of the site (GET /api/sites/:site/goals lists them)`);
    return goal;
  });
}
