import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import type { ErrorCode } from '@tokumei/errors';
import { errorBody } from './errors-plugin.js';

export type ReadinessCheck = () => Promise<boolean>;

/** What /readyz answers when a dependency is down: the code a request needing it would get. */
const UNAVAILABLE = {
  clickhouse: 'TKM_STORE_UNAVAILABLE',
  bus: 'TKM_BUS_UNAVAILABLE',
} as const satisfies Record<string, ErrorCode>;

export type ReadinessName = keyof typeof UNAVAILABLE;

export interface HealthOptions {
  readonly registry: Registry;
  /** Dependency checks for /readyz, e.g. { bus: () => bus.ready() }. */
  readonly checks: Readonly<Partial<Record<ReadinessName, ReadinessCheck>>>;
}

/**
 * /healthz (the process answers), /readyz (its dependencies answer), /metrics (Prometheus text). Also times every
 * request by route pattern and status; the path with its query string is never a label.
 */
export const healthPlugin = fp((app: FastifyInstance, options: HealthOptions, done: () => void) => {
  const seconds = (options.registry.getSingleMetric('tokumei_http_request_seconds') as Histogram<'route' | 'method' | 'status'> | undefined)
    ?? new Histogram({
      name: 'tokumei_http_request_seconds',
      help: 'HTTP request duration by route pattern',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [options.registry],
    });
  app.addHook('onResponse', (request, reply, next) => {
    seconds.observe(
      { route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    next();
  });

  app.get('/healthz', () => ({ status: 'ok' }));
  const checks = Object.entries(options.checks) as [ReadinessName, ReadinessCheck][];
  app.get('/readyz', async (_request, reply) => {
    const results = await Promise.all(checks.map(async ([name, check]) => [name, await check().catch(() => false)] as const));
    const down = results.filter(([, up]) => !up).map(([name]) => name);
    const first = down[0];
    if (first === undefined) return { status: 'ready', checks: Object.fromEntries(results) };
    // A 503 like any other: the one error shape and Retry-After; the message names what is down (names only).
    return reply.code(503).header('retry-after', '1')
      .send(errorBody(UNAVAILABLE[first], `not ready: ${down.map((name) => `${name} unavailable`).join(', ')}`));
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', options.registry.contentType).send(await options.registry.metrics());
  });
  done();
}, { name: 'tokumei-health' });
