import { TokumeiError } from '@tokumei/errors';
import type { Goal } from '@tokumei/config';
import { parseQuery } from '../query/parse.js';
import { nameOf } from '../query/spec.js';
import type { TimeRange } from '../time-range.js';
import { GOAL_METRICS, type GoalMetric } from './conversions.js';
import { FUNNEL_STEPS } from './funnel.js';

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

export interface FunnelRequest extends Common { readonly steps: readonly string[] }

const FUNNEL_KEYS = new Set(['site_id', 'date_range', 'steps']);

/** `POST /api/v2/funnel`: {site_id, date_range, steps: [goal display name, …]} with 2 to 8 steps. */
export function parseFunnelRequest(raw: unknown, now: number): FunnelRequest {
  const body = checkKeys(raw, FUNNEL_KEYS);
  const base = common(body, now);
  const steps = body.steps;
  if (!Array.isArray(steps) || steps.length < FUNNEL_STEPS.min || steps.length > FUNNEL_STEPS.max || !steps.every((s) => typeof s === 'string')) {
    throw invalid(`steps: must be a list of ${FUNNEL_STEPS.min} to ${FUNNEL_STEPS.max} goal names`);
  }
  return { ...base, steps };
}

export interface ConversionsRequest extends Common {
  readonly metrics: readonly GoalMetric[];
  /** Goals asked for (`["is", "event:goal", [names]]`); undefined: every goal of the site. */
  readonly only: readonly string[] | undefined;
}

const CONVERSION_KEYS = new Set(['site_id', 'date_range', 'metrics', 'dimensions', 'filters']);

/**
 * `POST /api/v2/conversions`: the v2 query's shape for the goal questions, {site_id, date_range, metrics ⊆ visitors,
 * events, conversion_rate, dimensions: ["event:goal"], filters?: [["is", "event:goal", [names]]]}.
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
  if (body.filters !== undefined) {
    const filters: unknown = body.filters;
    const first: unknown = Array.isArray(filters) ? filters[0] : undefined;
    if (!Array.isArray(filters) || filters.length !== 1 || !Array.isArray(first) || first.length !== 3 || first[0] !== 'is' || first[1] !== 'event:goal'
      || !Array.isArray(first[2]) || first[2].length === 0 || !first[2].every((v) => typeof v === 'string')) {
      throw invalid('filters: only [["is", "event:goal", [goal names]]] is supported here');
    }
    only = first[2];
  }
  return { ...base, metrics: metrics as GoalMetric[], only };
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
