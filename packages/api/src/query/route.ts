import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { limitedDb, type QueryLimits } from '../query-limits.js';
import type { GoalStore } from '../goals/store.js';
import { parseQuery } from './parse.js';
import { runQuery } from './run.js';
import { ROUTE_DOCS } from '../api-schemas.js';

export interface QueryRouteOptions {
  readonly clickhouse: ClickHouseClient;
  /** What one request may cost ClickHouse; the regex check and the question share its budget. */
  readonly limits: QueryLimits;
  readonly clock: () => number;
  /** k-anonymity threshold (TOKUMEI_MIN_VISITORS). */
  readonly minVisitors: number;
  /** TOKUMEI_EVENTS_TTL_DAYS. */
  readonly eventsTtlDays: number;
  /** The sites' goals, for event:goal and conversion_rate (answered here, in the events plan). */
  readonly goals?: GoalStore;
  /** TOKUMEI_SITE_TIMEZONES: a site's reporting zone; a site not listed reports in UTC. */
  readonly timeZones?: ReadonlyMap<string, string>;
}

/**
 * `POST /api/v2/query`, Plausible Stats API v2's one endpoint. The body is read by parse.ts rather than a JSON
 * schema, so each refusal names its field the way Plausible's does (ajv's first error would name a schema branch).
 */
export const queryRoutes: FastifyPluginAsync<QueryRouteOptions> = (app, options) => {
  app.post('/api/v2/query', ROUTE_DOCS.query, async (request) => {
    const now = options.clock();
    const query = parseQuery(request.body, now);
    const db = limitedDb(options.clickhouse, options.limits);
    const store = options.goals;
    const goals = store === undefined ? undefined : async (site: string) => (await store.get(db, site)).goals;
    return runQuery(query, { db, now, minVisitors: options.minVisitors, eventsTtlDays: options.eventsTtlDays, goals, timeZone: (site) => options.timeZones?.get(site) ?? 'UTC' }, request.body as Record<string, unknown>);
  });
  return Promise.resolve();
};
