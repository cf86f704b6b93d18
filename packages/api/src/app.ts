import type { ClickHouseClient } from '@clickhouse/client';
import { TokumeiError, isTokumeiError } from '@tokumei/errors';
import type { Config, Logger } from '@tokumei/config';
import { createServer, errorsPlugin, healthPlugin, requireBearer } from '@tokumei/http';
import type { Registry } from 'prom-client';
import { auditRoutes, internalAuditRoutes, type AuditRunner } from './routes/audit.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { dimensionsRoutes } from './routes/dimensions.js';
import { statsRoutes } from './routes/stats.js';
import { queryRoutes } from './query/route.js';
import { goalsRoutes } from './routes/goals.js';
import { funnelRoutes } from './routes/funnel.js';
import { GoalStore } from './goals/store.js';
import { DEFAULT_LIMITS, limitedDb, type QueryLimits } from './query-limits.js';
import { registerOpenApi } from './openapi.js';
import { registerAuth } from './shares/auth.js';
import { SharedLinkStore } from './shares/store.js';
import { AttemptThrottle } from './shares/throttle.js';
import { sharedLinkRoutes } from './routes/shared-links.js';
import { exportRoutes } from './routes/export.js';

export interface ApiDeps {
  /** minVisitors (TOKUMEI_MIN_VISITORS) defaults to the setting's default, 5, so callers that predate it stay k-anonymous. */
  readonly config: Pick<Config, 'apiToken' | 'host'> & Partial<Pick<Config, 'minVisitors' | 'eventsTtlDays' | 'goals' | 'siteTimeZones'>> & {
    /** TOKUMEI_SITES (config.privacy.sites): the site list shows these; without, only sites that reached k. */
    readonly privacy?: {
      readonly sites: ReadonlySet<string> | undefined;
      /** TOKUMEI_PROPS_ALLOWLIST: the export's custom_props.csv asks for these keys. */
      readonly propsAllowList?: ReadonlyMap<string, ReadonlySet<string>>;
    };
  };
  readonly clickhouse: ClickHouseClient;
  readonly logger: Logger;
  readonly registry: Registry;
  readonly clock?: () => number;
  /** Guards `/internal/*` routes used by local CLI commands; none are served without it. */
  readonly controlToken?: string;
  /** Runs the privacy audit in this process for `POST /internal/audit` (served only with a control token). */
  readonly audit?: AuditRunner;
  /** What one request may cost ClickHouse; DEFAULT_LIMITS unless a test needs tighter ones. */
  readonly limits?: Partial<QueryLimits>;
}

const DEFAULT_MIN_VISITORS = 5;
/** TOKUMEI_EVENTS_TTL_DAYS' default: how far back `POST /api/v2/query` reads events when the caller does not say. */
const DEFAULT_EVENTS_TTL_DAYS = 30;
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
  // Before every route: the document is built from the routes registered after it (public, see openapi.ts).
  await registerOpenApi(app);
  // The errors plugin logs only 500s; a 503 from the store still tells operators why, from the ClickHouse error.
  app.addHook('onError', (request, _reply, error, done) => {
    if (isTokumeiError(error) && error.statusCode === 503 && error.cause !== undefined) {
      request.log.warn({ err: error.cause, code: error.code, route: request.routeOptions.url }, 'store query failed');
    }
    done();
  });
  await app.register(healthPlugin, {
    registry: deps.registry,
    checks: { clickhouse: async () => (await deps.clickhouse.ping()).success },
  });
  // The dashboard's page and scripts hold no data: they are public, and the page asks for the token to call the API.
  await app.register(dashboardRoutes);
  const token = deps.config.apiToken;
  const limits: QueryLimits = { ...DEFAULT_LIMITS, ...deps.limits };
  await app.register(async (api) => {
    // The API token, or a shared link's token for its one site (shares/auth.ts).
    const links = new SharedLinkStore(deps.clickhouse, deps.clock ?? Date.now);
    registerAuth(api, { apiToken: token, links, db: () => limitedDb(deps.clickhouse, limits), clock: deps.clock ?? Date.now });
    await api.register(sharedLinkRoutes, { clickhouse: deps.clickhouse, limits, clock: deps.clock ?? Date.now, links, throttle: new AttemptThrottle() });
    await api.register(statsRoutes, {
      clickhouse: deps.clickhouse, limits, clock: deps.clock ?? Date.now, minVisitors: deps.config.minVisitors ?? DEFAULT_MIN_VISITORS,
      sites: deps.config.privacy?.sites,
    });
    await api.register(auditRoutes, { clickhouse: deps.clickhouse, limits });
    const goalOptions = {
      clickhouse: deps.clickhouse, limits, clock: deps.clock ?? Date.now, minVisitors: deps.config.minVisitors ?? DEFAULT_MIN_VISITORS,
      eventsTtlDays: deps.config.eventsTtlDays ?? DEFAULT_EVENTS_TTL_DAYS,
      goals: new GoalStore(deps.clickhouse, deps.config.goals ?? new Map(), deps.clock ?? Date.now),
    };
    await api.register(queryRoutes, {
      clickhouse: deps.clickhouse, limits, clock: deps.clock ?? Date.now, minVisitors: deps.config.minVisitors ?? DEFAULT_MIN_VISITORS,
      eventsTtlDays: deps.config.eventsTtlDays ?? DEFAULT_EVENTS_TTL_DAYS,
      goals: goalOptions.goals, timeZones: deps.config.siteTimeZones,
    });
    await api.register(dimensionsRoutes);
    await api.register(goalsRoutes, goalOptions);
    await api.register(funnelRoutes, goalOptions);
    const allowed = deps.config.privacy?.propsAllowList ?? new Map<string, ReadonlySet<string>>();
    await api.register(exportRoutes, {
      clock: deps.clock ?? Date.now, propKeys: (site) => [...new Set([...(allowed.get(site) ?? []), ...(allowed.get('*') ?? [])])],
    });
  });
  const { controlToken, audit } = deps;
  if (controlToken !== undefined && audit !== undefined) {
    await app.register(async (internal) => {
      requireBearer(internal, controlToken);
      await internal.register(internalAuditRoutes, { runner: audit });
    });
  }
  return app;
}

export type ApiApp = Awaited<ReturnType<typeof buildApiApp>>;
