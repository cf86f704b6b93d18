import type { FastifyPluginAsync } from 'fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { GoalError, goalJson, parseGoals } from '@tokumei/config';
import { TokumeiError } from '@tokumei/errors';
import { limitedDb, type QueryLimits } from '../query-limits.js';
import { conversions, goalMetric } from '../goals/conversions.js';
import { parseConversionsRequest, pickGoals } from '../goals/requests.js';
import type { GoalStore, SiteGoals } from '../goals/store.js';
import { eventsWindow } from '../goals/window.js';
import { checkPatterns, visitFilterSql } from '../goals/filters.js';
import { ROUTE_DOCS } from '../api-schemas.js';

export interface GoalsRouteOptions {
  readonly clickhouse: ClickHouseClient;
  readonly limits: QueryLimits;
  readonly clock: () => number;
  readonly minVisitors: number;
  readonly eventsTtlDays: number;
  readonly goals: GoalStore;
}

const SITE = /^[A-Za-z0-9.:-]{1,100}$/;

function site(params: unknown): string {
  const value = (params as { site?: unknown }).site;
  if (typeof value !== 'string' || !SITE.test(value)) throw new TokumeiError('TKM_INVALID_QUERY', 'site: must be a host name of at most 100 characters');
  return value.toLowerCase();
}

const answer = (name: string, s: SiteGoals) => ({ site: name, source: s.source, goals: s.goals.map(goalJson) });

/**
 * Goals per site (GET lists them with where they come from: `config` for the TOKUMEI_GOALS seed, `api` once a PUT
 * stored a list, `none`), and `POST /api/v2/conversions`, the `event:goal` dimension with `conversion_rate` until
 * the v2 query model takes them (see packages/api/README.md, Goals and funnels).
 */
export const goalsRoutes: FastifyPluginAsync<GoalsRouteOptions> = (app, options) => {
  app.get('/api/sites/:site/goals', ROUTE_DOCS.getGoals, async (request) => {
    const name = site(request.params);
    return answer(name, await options.goals.get(limitedDb(options.clickhouse, options.limits), name));
  });

  app.put('/api/sites/:site/goals', ROUTE_DOCS.putGoals, async (request) => {
    const name = site(request.params);
    const body = request.body as { goals?: unknown } | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).some((k) => k !== 'goals')) {
      throw new TokumeiError('TKM_INVALID_QUERY', 'the body must be {"goals": [goal, …]}');
    }
    let goals;
    try {
      goals = parseGoals(body.goals);
    } catch (error) {
      if (error instanceof GoalError) throw new TokumeiError('TKM_INVALID_QUERY', error.message);
      throw error;
    }
    const stored = await options.goals.put(limitedDb(options.clickhouse, options.limits), name, goals, goals.map(goalJson));
    return answer(name, stored);
  });

  app.post('/api/v2/conversions', ROUTE_DOCS.conversions, (request) => answerConversions(request.body, options));
  return Promise.resolve();
};

/**
 * The `event:goal` question (visitors, events, conversion_rate per goal), for `POST /api/v2/conversions` and for
 * `POST /api/v2/query` when a query asks for `event:goal` or `conversion_rate`, so a Plausible client needs only
 * the one endpoint.
 */
export async function answerConversions(body: unknown, options: GoalsRouteOptions): Promise<unknown> {
  const now = options.clock();
  const q = parseConversionsRequest(body, now);
  const db = limitedDb(options.clickhouse, options.limits);
  const declared = (await options.goals.get(db, q.siteId)).goals;
  const goals = q.only === undefined ? declared : pickGoals(declared, q.only, 'filters[0][2]');
  const window = eventsWindow(q.range, q.all, now, options.eventsTtlDays);
  const asked = window.range.from < window.range.to;
  if (asked) await checkPatterns(db, q.filters);
  const found = asked
    ? await conversions(db, q.siteId, goals, window.params, options.minVisitors, (params) => visitFilterSql(q.filters, params))
    : { rows: [], folded: false };
  const meta: Record<string, unknown> = { source: 'events', min_visitors: options.minVisitors, folded: found.folded };
  if (window.warnings.length > 0) meta.warnings = window.warnings;
  return {
    results: found.rows.map((r) => ({ metrics: q.metrics.map((m) => goalMetric(m, r)), dimensions: [r.goal] })),
    meta,
    query: {
      site_id: q.siteId, metrics: q.metrics, dimensions: ['event:goal'],
      date_range: [window.range.from.toISOString(), new Date(Math.max(window.range.from.getTime(), window.range.to.getTime() - 1000)).toISOString()],
      filters: (body as { filters?: unknown }).filters ?? [],
    },
  };
}
