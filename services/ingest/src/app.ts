import type { Bus, Publisher } from '@tokumei/bus';
import type { Config, Logger } from '@tokumei/config';
import { createServer, errorsPlugin, healthPlugin } from '@tokumei/http';
import { Counter, Gauge, type Registry } from 'prom-client';
import { collectRoutes } from './routes/collect.js';

export interface IngestDeps {
  readonly config: Pick<Config, 'bodyLimit' | 'trustProxy'>;
  readonly bus: Pick<Bus, 'ready'>;
  readonly publisher: Publisher;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock?: () => number;
}

/** Builds the ingest app without listening, so tests drive it with app.inject(). */
export async function buildIngestApp(deps: IngestDeps) {
  const app = createServer({ logger: deps.logger.child({ module: 'ingest' }), bodyLimit: deps.config.bodyLimit, trustProxy: deps.config.trustProxy });
  const accepted = new Counter({ name: 'tokumei_ingest_accepted_total', help: 'Beacons accepted (202)', labelNames: ['event'], registers: [deps.registry] });
  const publisher = deps.publisher;
  new Gauge({
    name: 'tokumei_bus_pending', help: 'Records published and not yet acknowledged by the bus', registers: [deps.registry],
    collect() { this.set(publisher.pending()); },
  });
  await app.register(errorsPlugin, { validationCode: 'TKM_INVALID_BEACON' });
  await app.register(healthPlugin, { registry: deps.registry, checks: { bus: () => deps.bus.ready() } });
  await app.register(collectRoutes, { publisher: deps.publisher, accepted, clock: deps.clock });
  return app;
}

export type IngestApp = Awaited<ReturnType<typeof buildIngestApp>>;
