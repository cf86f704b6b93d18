import type { FastifyPluginAsync } from 'fastify';
import { limitedDb } from '../query-limits.js';
import { funnel } from '../goals/funnel.js';
import { parseFunnelRequest, pickGoals } from '../goals/requests.js';
import type { GoalsRouteOptions } from './goals.js';
import { eventsWindow } from '../goals/window.js';
import { checkPatterns, visitFilterSql } from '../goals/filters.js';
import { ROUTE_DOCS } from '../api-schemas.js';

/** The goal routes' options: the funnel reads the same goals under the same limits. */
export type FunnelRouteOptions = GoalsRouteOptions;

/**
 * `POST /api/v2/funnel`: a route of its own rather than a `funnel` field of `/api/v2/query`, because a funnel's
 * answer is a list of ordered steps, not metric rows per dimension: none of the query's metrics, dimensions,
 * order_by or pagination would mean anything next to it (Plausible keeps funnels apart from its query API too).
 */
export const funnelRoutes: FastifyPluginAsync<FunnelRouteOptions> = (app, options) => {
  app.post('/api/v2/funnel', ROUTE_DOCS.funnel, async (request) => {
    const now = options.clock();
    const q = parseFunnelRequest(request.body, now);
    const db = limitedDb(options.clickhouse, options.limits);
    const steps = pickGoals((await options.goals.get(db, q.siteId)).goals, q.steps, 'steps');
    const window = eventsWindow(q.range, q.all, now, options.eventsTtlDays);
    const asked = window.range.from < window.range.to;
    if (asked) await checkPatterns(db, q.filters);
    const answer = asked
      ? await funnel(db, q.siteId, steps, window.params, options.minVisitors, (params) => visitFilterSql(q.filters, params))
      : { steps: steps.map((g) => ({ label: g.name, visitors: 0, suppressed: false, dropoff: 0, dropoff_percentage: 0, conversion_rate: 0, conversion_rate_step: 0 })), folded: false };
    const meta: Record<string, unknown> = { source: 'events', min_visitors: options.minVisitors, folded: answer.folded };
    if (window.warnings.length > 0) meta.warnings = window.warnings;
    return {
      steps: answer.steps,
      meta,
      query: {
        site_id: q.siteId, steps: q.steps, filters: (request.body as { filters?: unknown }).filters ?? [],
        date_range: [window.range.from.toISOString(), new Date(Math.max(window.range.from.getTime(), window.range.to.getTime() - 1000)).toISOString()],
      },
    };
  });
  return Promise.resolve();
};
