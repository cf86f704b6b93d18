import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyPluginAsync } from 'fastify';
import { limitedDb, type QueryLimits } from '../query-limits.js';
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
  /** Answers a query that asks for goals (`event:goal`, `conversion_rate`): the goals' own model (routes/goals.ts). */
  readonly conversions?: (body: unknown) => Promise<unknown>;
}

/** Whether a query body asks for goals: the `event:goal` dimension or the `conversion_rate` metric. */
function asksGoals(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const { dimensions, metrics } = body as { dimensions?: unknown; metrics?: unknown };
  return (Array.isArray(dimensions) && dimensions.includes('event:goal')) || (Array.isArray(metrics) && metrics.includes('conversion_rate'));
}

/**
 * `POST /api/v2/query`, Plausible Stats API v2's one endpoint. The body is read by parse.ts rather than a JSON
 * schema, so each refusal names its field the way Plausible's does (ajv's first error would name a schema branch).
 */
export const queryRoutes: FastifyPluginAsync<QueryRouteOptions> = (app, options) => {
  app.post('/api/v2/query', ROUTE_DOCS.query, async (request) => {
    if (options.conversions !== undefined && asksGoals(request.body)) return options.conversions(request.body);
    const now = options.clock();
    const query = parseQuery(request.body, now);
    const db = limitedDb(options.clickhouse, options.limits);
    return runQuery(query, { db, now, minVisitors: options.minVisitors, eventsTtlDays: options.eventsTtlDays }, request.body as Record<string, unknown>);
  });
  return Promise.resolve();
};
