import type { FastifyPluginAsync } from 'fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DIMENSIONS } from '@tokumei/store';
import { assertBuckets, parseRange, previousRange, type TimeRange } from '../time-range.js';
import { StatsQueries } from '../stats-queries.js';
import { breakdown } from '../breakdown-queries.js';
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
const span = (site: string, range: TimeRange) => ({ site, from: range.from.toISOString(), to: range.to.toISOString() });

export const statsRoutes: FastifyPluginAsync<StatsRouteOptions> = (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  // A request's queries share one deadline, so a request with several queries is bounded as a whole.
  const db = () => limitedDb(options.clickhouse, options.limits);
  const stats = () => new StatsQueries(db());

  app.get('/api/stats/summary', { schema: { querystring: SummaryQuery } }, async (request) => {
    const { site, compare } = request.query;
    const range = parseRange(request.query, options.clock());
    const queries = stats();
    if (compare !== 'previous') return { ...span(site, range), ...await queries.summary(site, range) };
    // The period of the same length just before: "this week vs last week".
    const before = previousRange(range);
    const [current, previous] = await Promise.all([queries.summary(site, range), queries.summary(site, before)]);
    const { site: _site, ...previousSpan } = span(site, before);
    return { ...span(site, range), ...current, previous: { ...previousSpan, ...previous } };
  });

  app.get('/api/stats/timeseries', { schema: { querystring: SeriesQuery } }, async (request) => {
    const range = parseRange(request.query, options.clock());
    const interval = request.query.interval ?? 'day';
    assertBuckets(range, interval);
    const series = await stats().timeseries(request.query.site, range, interval);
    return { ...span(request.query.site, range), interval, series };
  });

  app.get('/api/stats/breakdown', { schema: { querystring: BreakdownQuery } }, async (request) => {
    const { site, dimension } = request.query;
    const range = parseRange(request.query, options.clock());
    const limit = request.query.limit ?? DEFAULT_LIMIT;
    // The answer covers whole UTC days (see breakdownRange) and says which.
    const { range: covered, ...result } = await breakdown(db(), site, range, dimension, limit, options.minVisitors);
    return { ...span(site, covered), dimension, limit, minVisitors: options.minVisitors, ...result };
  });

  app.get('/api/stats/realtime', { schema: { querystring: RealtimeQuery } }, async (request) => {
    return { site: request.query.site, ...await stats().realtime(request.query.site, new Date(options.clock())) };
  });

  app.get('/api/stats/sites', { schema: { querystring: SitesQuery } }, async () => ({ sites: await stats().sites(options.sites, options.minVisitors) }));
  return Promise.resolve();
};
