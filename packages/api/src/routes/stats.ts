import type { FastifyPluginAsync } from 'fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DIMENSIONS } from '@tokumei/store';
import { assertBuckets, parseRange, previousRange } from '../time-range.js';
import { StatsQueries } from '../stats-queries.js';
import { StatsViews } from '../stats-views.js';
import { limitedDb, type QueryLimits } from '../query-limits.js';

const Site = Type.String({ minLength: 1, maxLength: 100 });
const DateParam = Type.String({ minLength: 10, maxLength: 40 });
const Range = { site: Site, from: Type.Optional(DateParam), to: Type.Optional(DateParam) };
const SummaryQuery = Type.Object({ ...Range, compare: Type.Optional(Type.Literal('previous')) }, { additionalProperties: false });
const SeriesQuery = Type.Object({
  ...Range,
  interval: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])),
}, { additionalProperties: false });
const BreakdownQuery = Type.Object({
  ...Range,
  dimension: Type.Union(DIMENSIONS.map((d) => Type.Literal(d))),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
}, { additionalProperties: false });
const RealtimeQuery = Type.Object({ site: Site }, { additionalProperties: false });
const SitesQuery = Type.Object({}, { additionalProperties: false });

export interface StatsRouteOptions {
  readonly clickhouse: ClickHouseClient;
  /** What one request may cost ClickHouse; its time budget starts when the handler does. */
  readonly limits: QueryLimits;
  readonly clock: () => number;
  /** k-anonymity threshold (TOKUMEI_MIN_VISITORS). */
  readonly minVisitors: number;
  /** TOKUMEI_SITES: the declared sites, listed as they are; undefined lists only sites that reached k. */
  readonly sites?: ReadonlySet<string> | undefined;
}

const DEFAULT_LIMIT = 10;

/**
 * Summary, timeseries and breakdown are views over the v2 query model (stats-views.ts: each is a v2 question, answered
 * by v2's rollup plan or, where the route means something else, by a documented route-only plan). Realtime and the
 * site list are no statistics question of v2 (Plausible keeps realtime apart too) and read their own tables.
 */
export const statsRoutes: FastifyPluginAsync<StatsRouteOptions> = (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // A request's queries share one deadline, so a request with several queries is bounded as a whole.
  const db = () => limitedDb(options.clickhouse, options.limits);
  const views = () => new StatsViews(db(), options.minVisitors);
  const stats = () => new StatsQueries(db());

  app.get('/api/stats/summary', { schema: { querystring: SummaryQuery } }, async (request) => {
    const { site, compare } = request.query;
    const range = parseRange(request.query, options.clock());
    const view = views();
    if (compare !== 'previous') return { site, ...await view.summary(site, range) };
    // The period of the same length just before: "this week vs last week".
    const [current, previous] = await Promise.all([view.summary(site, range), view.summary(site, previousRange(range))]);
    return { site, ...current, previous };
  });

  app.get('/api/stats/timeseries', { schema: { querystring: SeriesQuery } }, async (request) => {
    const range = parseRange(request.query, options.clock());
    const interval = request.query.interval ?? 'day';
    assertBuckets(range, interval);
    const { series, ...covered } = await views().timeseries(request.query.site, range, interval);
    return { site: request.query.site, ...covered, interval, series };
  });

  app.get('/api/stats/breakdown', { schema: { querystring: BreakdownQuery } }, async (request) => {
    const { site, dimension } = request.query;
    const range = parseRange(request.query, options.clock());
    const limit = request.query.limit ?? DEFAULT_LIMIT;
    // The answer covers whole UTC days (see breakdownRange) and says which.
    const { from, to, ...result } = await views().breakdown(site, range, dimension, limit);
    return { site, from, to, dimension, limit, minVisitors: options.minVisitors, ...result };
  });

  app.get('/api/stats/realtime', { schema: { querystring: RealtimeQuery } }, async (request) => {
    return { site: request.query.site, ...await stats().realtime(request.query.site, new Date(options.clock())) };
  });

  app.get('/api/stats/sites', { schema: { querystring: SitesQuery } }, async () => ({ sites: await stats().sites(options.sites, options.minVisitors) }));
  return Promise.resolve();
};
