import type { ClickHouseClient } from '@clickhouse/client';
import { TokumeiError, type Config, type Logger } from '@tokumei/config';
import { createServer, errorsPlugin, healthPlugin, requireBearer } from '@tokumei/http';
import type { Registry } from 'prom-client';
import { statsRoutes } from './routes/stats.js';
import { StatsQueries } from './stats-queries.js';

export interface ApiDeps {
  readonly config: Pick<Config, 'apiToken' | 'host'>;
  readonly clickhouse: ClickHouseClient;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock?: () => number;
  /** Guards `/internal/*` routes used by local CLI commands; none are served without it. */
  readonly controlToken?: string;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Statistics without a token are for this machine only: refuse to serve them to a network. */
export function assertSafeBinding(config: Pick<Config, 'apiToken' | 'host'>): void {
  if (config.apiToken === undefined && !LOOPBACK.test(config.host)) {
    throw new TokumeiError('TKM_CONFIG', `TOKUMEI_HOST=${config.host} is not a loopback address: set TOKUMEI_API_TOKEN before serving the API to a network`);
  }
}

export async function buildApiApp(deps: ApiDeps) {
  assertSafeBinding(deps.config);
  const app = createServer({ logger: deps.logger.child({ module: 'api' }) });
  await app.register(errorsPlugin, { validationCode: 'TKM_INVALID_QUERY' });
  await app.register(healthPlugin, {
    registry: deps.registry,
    checks: { clickhouse: async () => (await deps.clickhouse.ping()).success },
  });
  const token = deps.config.apiToken;
  await app.register(async (api) => {
    if (token !== undefined) requireBearer(api, token);
    await api.register(statsRoutes, { queries: new StatsQueries(deps.clickhouse), clock: deps.clock ?? Date.now });
  });
  return app;
}

export type ApiApp = Awaited<ReturnType<typeof buildApiApp>>;
