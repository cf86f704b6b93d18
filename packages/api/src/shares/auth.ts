import type { FastifyInstance, FastifyRequest } from 'fastify';
import { TokumeiError } from '@tokumei/errors';
import { bearerMatches } from '@tokumei/http';
import type { StatsDb } from '../query-limits.js';
import { TOKEN_SHAPE, cookieValue, sessionCookieName, sessionValid } from './secrets.js';
import type { SharedLink, SharedLinkStore } from './store.js';

export const SHARE_HEADER = 'x-tokumei-share';

/** What a share request was let in as: its link, its token (the session MAC's key) and whether a password is still owed. */
export interface ShareGrant { readonly link: SharedLink; readonly token: string; readonly unlocked: boolean }

const grants = new WeakMap<FastifyRequest, ShareGrant>();
/** The grant of a share request; undefined for a request made with the API token (or on an API without one). */
export const shareOf = (request: FastifyRequest): ShareGrant | undefined => grants.get(request);

type Where = 'query' | 'body' | 'params' | 'none';
/**
 * Everything a shared link may ask, by method and route pattern, and where the route reads its site from: the
 * check reads that same field after validation, the value the handler will use. Not listed means 403.
 */
const ALLOWED: Readonly<Record<string, { where: Where; field?: string }>> = {
  'GET /api/share': { where: 'none' },
  'POST /api/share/session': { where: 'none' },
  'GET /api/stats/summary': { where: 'query', field: 'site' },
  'GET /api/stats/timeseries': { where: 'query', field: 'site' },
  'GET /api/stats/breakdown': { where: 'query', field: 'site' },
  'GET /api/stats/realtime': { where: 'query', field: 'site' },
  'GET /api/stats/sites': { where: 'none' },
  'GET /api/dimensions': { where: 'none' },
  'POST /api/v2/query': { where: 'body', field: 'site_id' },
  'POST /api/v2/conversions': { where: 'body', field: 'site_id' },
  'POST /api/v2/funnel': { where: 'body', field: 'site_id' },
  'GET /api/sites/:site/goals': { where: 'params', field: 'site' },
  'GET /api/v2/export': { where: 'query', field: 'site_id' },
  'POST /api/v2/export': { where: 'body', field: 'site_id' },
};
/** A share request may unlock its link without having unlocked it. */
const BEFORE_PASSWORD = 'POST /api/share/session';

const forbidden = () => new TokumeiError('TKM_SHARE_FORBIDDEN');
const routeKey = (request: FastifyRequest) => `${request.method} ${request.routeOptions.url ?? ''}`;

function siteField(request: FastifyRequest, where: Where, field: string | undefined): unknown {
  if (where === 'none' || field === undefined) return undefined;
  const source = where === 'query' ? request.query : where === 'body' ? request.body : request.params;
  return typeof source === 'object' && source !== null && !Array.isArray(source) ? (source as Record<string, unknown>)[field] : undefined;
}

export interface AuthOptions {
  /** TOKUMEI_API_TOKEN; without it (loopback only) a request without a share header is the operator's. */
  readonly apiToken: string | undefined;
  readonly links: SharedLinkStore;
  readonly db: () => StatsDb;
  readonly clock: () => number;
}

/**
 * The API scope's one door. A request with `X-Tokumei-Share` is a share request whatever else it carries (a share
 * header can only narrow what a request may do): its token must name a live link, the route must be in ALLOWED, a
 * password link needs its session cookie, and the site the route will read must be the link's, exactly. Every
 * refusal of another site is the same 403, whether that site exists or not. Other requests need the API token.
 */
export function registerAuth(scope: FastifyInstance, options: AuthOptions): void {
  scope.addHook('onRequest', async (request) => {
    const header = request.headers[SHARE_HEADER];
    if (header === undefined) {
      if (options.apiToken !== undefined && !bearerMatches(request.headers.authorization, options.apiToken)) throw new TokumeiError('TKM_UNAUTHORIZED');
      return;
    }
    // Node joins a repeated header with ", ", which fails the shape too.
    if (typeof header !== 'string' || !TOKEN_SHAPE.test(header)) throw new TokumeiError('TKM_SHARE_INVALID');
    const link = await options.links.byToken(options.db(), header);
    if (link === undefined || link.revoked) throw new TokumeiError('TKM_SHARE_INVALID');
    const unlocked = link.passwordHash === ''
      || sessionValid(cookieValue(request.headers.cookie, sessionCookieName(link.id)), header, link.id, link.passwordHash, options.clock());
    grants.set(request, { link, token: header, unlocked });
    const key = routeKey(request);
    if (ALLOWED[key] === undefined) throw forbidden();
    if (!unlocked && key !== BEFORE_PASSWORD) throw new TokumeiError('TKM_SHARE_PASSWORD');
  });
  // After validation: the site is checked as the handler will read it (a coerced query string, a parsed body).
  scope.addHook('preHandler', async (request, reply) => {
    const grant = grants.get(request);
    if (grant === undefined) return;
    const key = routeKey(request);
    const rule = ALLOWED[key];
    if (rule === undefined) throw forbidden();
    if (key === 'GET /api/stats/sites') return reply.send({ sites: [grant.link.site] });
    if (rule.where !== 'none' && siteField(request, rule.where, rule.field) !== grant.link.site) throw forbidden();
    return undefined;
  });
  // A shared cache keys on the URL, not on X-Tokumei-Share: a share's answers must not be kept for the next asker.
  scope.addHook('onSend', async (request, reply) => {
    if (grants.has(request)) void reply.header('cache-control', 'no-store');
  });
}
