import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

export type ReadinessCheck = () => Promise<boolean>;

export interface HealthOptions {
  readonly registry: Registry;
  /** Named dependency checks for /readyz, e.g. { bus: () => bus.ready() }. */
  readonly checks: Readonly<Record<string, ReadinessCheck>>;
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
  app.get('/readyz', async (_request, reply) => {
    const results: Record<string, boolean> = {};
    await Promise.all(Object.entries(options.checks).map(async ([name, check]) => {
      results[name] = await check().catch(() => false);
    }));
    const ready = Object.values(results).every(Boolean);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks: results });
  });
  app.get('/metrics', async (_request, reply) => {
    return reply.header('content-type', options.registry.contentType).send(await options.registry.metrics());
  });
  done();
}, { name: 'tokumei-health' });
