import type { Bus, Publisher } from '@tokumei/bus';
import type { Config, Logger } from '@tokumei/config';
import { createServer, errorsPlugin, healthPlugin } from '@tokumei/http';
import { buildTracker } from '@tokumei/tracker';
import { Counter, Gauge, type Registry } from 'prom-client';
import { corsPlugin } from './cors.js';
import { droppedCounter } from './foreign.js';
import { collectRoutes } from './routes/collect.js';
import { internalRoutes, type ImportTarget } from './routes/internal.js';
import { plausibleEventRoutes } from './routes/plausible-event.js';
import { trackerRoutes } from './routes/tracker.js';
import { umamiSendRoutes } from './routes/umami-send.js';

export interface IngestDeps {
  readonly config: Pick<Config, 'bodyLimit' | 'trustProxy' | 'consentPolicy'> & {
    readonly privacy?: Pick<Config['privacy'], 'sites'>;
    readonly umamiWebsites?: Config['umamiWebsites'];
  };
  readonly bus: Pick<Bus, 'ready'>;
  readonly publisher: Publisher;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock?: () => number;
  /** Guards `/internal/*` routes used by local CLI commands; none are served without it. */
  readonly controlToken?: string;
  /** Set where the worker runs in this process: `tokumei import` hands it records through `/internal/records`. */
  readonly imports?: ImportTarget;
}

/** Builds the ingest app without listening, so tests drive it with app.inject(). */
export async function buildIngestApp(deps: IngestDeps) {
  const app = createServer({
    logger: deps.logger.child({ module: 'ingest' }), bodyLimit: deps.config.bodyLimit, trustProxy: deps.config.trustProxy, strictSchemas: true,
  });
  const accepted = new Counter({ name: 'tokumei_ingest_accepted_total', help: 'Beacons accepted (202)', labelNames: ['event'], registers: [deps.registry] });
  const publisher = deps.publisher;
  new Gauge({
    name: 'tokumei_bus_pending', help: 'Records published and not yet acknowledged by the bus', registers: [deps.registry],
    collect() { this.set(publisher.pending()); },
  });
  await app.register(errorsPlugin, { validationCode: 'TKM_INVALID_BEACON' });
  await app.register(healthPlugin, { registry: deps.registry, checks: { bus: () => deps.bus.ready() } });
  // One scope for the public beacon endpoint, so CORS reaches /collect and nothing else.
  const path = { publisher: deps.publisher, accepted, clock: deps.clock, sites: deps.config.privacy?.sites };
  await app.register(async (beacons) => {
    await beacons.register(corsPlugin, { path: '/collect', methods: ['POST'] });
    await beacons.register(collectRoutes, path);
  });
  // Plausible's and Umami's trackers: their formats mapped onto the same beacon path (docs/trackers.md).
  const dropped = droppedCounter(deps.registry);
  await app.register(async (plausible) => {
    await plausible.register(corsPlugin, { path: '/api/event', methods: ['POST'] });
    await plausible.register(plausibleEventRoutes, { ...path, dropped });
  });
  await app.register(async (umami) => {
    await umami.register(corsPlugin, { path: '/api/send', methods: ['POST'] });
    await umami.register(umamiSendRoutes, { ...path, dropped, websites: deps.config.umamiWebsites ?? new Map() });
  });
  const controlToken = deps.controlToken;
  if (controlToken !== undefined && deps.imports !== undefined) {
    await app.register(internalRoutes, { token: controlToken, imports: deps.imports });
  }
  await app.register(trackerRoutes, { script: buildTracker({ consentPolicy: deps.config.consentPolicy }) });
  return app;
}

export type IngestApp = Awaited<ReturnType<typeof buildIngestApp>>;
