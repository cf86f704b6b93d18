import type { FastifyPluginAsync } from 'fastify';
import { Type, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseRange } from '../time-range.js';
import type { StatsQueries } from '../stats-queries.js';

const Site = Type.String({ minLength: 1, maxLength: 100 });
const DateParam = Type.String({ minLength: 10, maxLength: 40 });
const RangeQuery = Type.Object({ site: Site, from: Type.Optional(DateParam), to: Type.Optional(DateParam) }, { additionalProperties: false });
const SeriesQuery = Type.Object({
  site: Site,
  from: Type.Optional(DateParam),
  to: Type.Optional(DateParam),
  interval: Type.Optional(Type.Union([Type.Literal('hour'), Type.Literal('day')])),
}, { additionalProperties: false });

export interface StatsRouteOptions {
  readonly queries: StatsQueries;
  readonly clock: () => number;
}

export const statsRoutes: FastifyPluginAsync<StatsRouteOptions> = (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/api/stats/summary', { schema: { querystring: RangeQuery } }, async (request) => {
    const range = parseRange(request.query, options.clock());
    const summary = await options.queries.summary(request.query.site, range);
    return { site: request.query.site, from: range.from.toISOString(), to: range.to.toISOString(), ...summary };
  });

  app.get('/api/stats/timeseries', { schema: { querystring: SeriesQuery } }, async (request) => {
    const range = parseRange(request.query, options.clock());
    const interval = request.query.interval ?? 'day';
    const series = await options.queries.timeseries(request.query.site, range, interval);
    return { site: request.query.site, from: range.from.toISOString(), to: range.to.toISOString(), interval, series };
  });
  return Promise.resolve();
};
