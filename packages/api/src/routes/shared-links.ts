import type { FastifyPluginAsync } from 'fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { TokumeiError } from '@tokumei/errors';
import { limitedDb, type QueryLimits } from '../query-limits.js';
import { shareOf } from '../shares/auth.js';
import { ID_SHAPE, SESSION_SECONDS, newSession, passwordMatches, sessionCookieName } from '../shares/secrets.js';
import type { SharedLink, SharedLinkStore } from '../shares/store.js';
import type { AttemptThrottle } from '../shares/throttle.js';

export interface SharedLinkRouteOptions {
  readonly clickhouse: ClickHouseClient;
  readonly limits: QueryLimits;
  readonly clock: () => number;
  readonly links: SharedLinkStore;
  readonly throttle: AttemptThrottle;
}

const SITE = '^[a-z0-9.:-]{1,100}$';
const SiteParams = Type.Object({ site: Type.String({ pattern: '^[A-Za-z0-9.:-]{1,100}$', description: 'the site (lower-cased)' }) });
const LinkParams = Type.Object({ site: SiteParams.properties.site, id: Type.String({ pattern: ID_SHAPE.source, description: 'the link id from the list' }) });
const CreateBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 60, description: 'a label for the list, e.g. who the link is for' })),
  password: Type.Optional(Type.String({ minLength: 8, maxLength: 200, description: 'asked once per browser; only an scrypt hash is stored' })),
}, { additionalProperties: false });
const LinkJson = Type.Object({
  id: Type.String(), site: Type.String({ pattern: SITE }), name: Type.String(), password_protected: Type.Boolean(), created: Type.String({ description: 'ISO time' }),
});
const Created = Type.Object({
  ...LinkJson.properties,
  token: Type.String({ description: 'shown this once: the table keeps only its SHA-256' }),
  url: Type.String({ description: 'the dashboard path to share, /#share=<token> (a fragment: never sent to a server)' }),
});
const Listed = Type.Object({ site: Type.String(), shared_links: Type.Array(LinkJson) });
const Revoked = Type.Object({ id: Type.String(), site: Type.String(), revoked: Type.Literal(true) });
const ShareInfo = Type.Object({ site: Type.String(), name: Type.String(), password_protected: Type.Boolean() });
const SessionBody = Type.Object({ password: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const Session = Type.Object({ expires: Type.String({ description: 'ISO time; the cookie tokumei_share_<id> carries the session' }) });

const json = (l: SharedLink) => ({ id: l.id, site: l.site, name: l.name, password_protected: l.passwordHash !== '', created: l.created });
const ADMIN = ['shared links'];
const SHARE = ['shared view'];
const shareRequired = () => new TokumeiError('TKM_SHARE_INVALID', 'send the shared link\'s token as X-Tokumei-Share');

/**
 * Shared links: the admin routes (the API token; a share request is refused by the auth hook before they run) and
 * the two a shared view calls with its token. See packages/api/README.md, Shared links.
 */
export const sharedLinkRoutes: FastifyPluginAsync<SharedLinkRouteOptions> = (fastify, options) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const db = () => limitedDb(options.clickhouse, options.limits);

  app.post('/api/sites/:site/shared-links', {
    schema: { tags: ADMIN, summary: 'Make a read-only link to one site\'s dashboard', params: SiteParams, body: CreateBody, response: { 200: Created } },
  }, async (request) => {
    const site = request.params.site.toLowerCase();
    const body = request.body ?? {};
    const { link, token } = await options.links.create(db(), site, body.name ?? 'Shared link', body.password);
    return { ...json(link), token, url: `/#share=${token}` };
  });

  app.get('/api/sites/:site/shared-links', {
    schema: { tags: ADMIN, summary: 'A site\'s live shared links (never their tokens)', params: SiteParams, response: { 200: Listed } },
  }, async (request) => {
    const site = request.params.site.toLowerCase();
    return { site, shared_links: (await options.links.list(db(), site)).map(json) };
  });

  app.delete('/api/sites/:site/shared-links/:id', {
    schema: { tags: ADMIN, summary: 'Revoke a shared link: its next request is refused', params: LinkParams, response: { 200: Revoked } },
  }, async (request) => {
    const site = request.params.site.toLowerCase();
    if (!await options.links.revoke(db(), site, request.params.id)) throw new TokumeiError('TKM_NOT_FOUND', 'no live shared link of this site has that id');
    return { id: request.params.id, site, revoked: true as const };
  });

  app.get('/api/share', {
    schema: { tags: SHARE, summary: 'The site a shared link shows (X-Tokumei-Share)', response: { 200: ShareInfo } },
  }, (request) => {
    const grant = shareOf(request);
    if (grant === undefined) throw shareRequired();
    return { site: grant.link.site, name: grant.link.name, password_protected: grant.link.passwordHash !== '' };
  });

  app.post('/api/share/session', {
    schema: { tags: SHARE, summary: 'Unlock a password link in this browser: an HttpOnly, SameSite=Strict cookie for 1 h', body: SessionBody, response: { 200: Session } },
  }, async (request, reply) => {
    const grant = shareOf(request);
    if (grant === undefined) throw shareRequired();
    const { link, token } = grant;
    if (link.passwordHash === '') throw new TokumeiError('TKM_BAD_REQUEST', 'this shared link has no password');
    const now = options.clock();
    const wait = options.throttle.retryAfter(link.id, now);
    if (wait > 0) {
      void reply.header('retry-after', String(wait));
      throw new TokumeiError('TKM_SHARE_THROTTLED');
    }
    if (!await passwordMatches(request.body.password, link.passwordHash)) {
      options.throttle.fail(link.id, now);
      throw new TokumeiError('TKM_SHARE_PASSWORD', 'the password is not this link\'s');
    }
    options.throttle.succeed(link.id);
    const session = newSession(token, link.id, link.passwordHash, now);
    const secure = request.protocol === 'https' ? '; Secure' : '';
    void reply.header('set-cookie', `${sessionCookieName(link.id)}=${session.value}; Max-Age=${SESSION_SECONDS}; Path=/api; HttpOnly; SameSite=Strict${secure}`);
    void reply.header('cache-control', 'no-store');
    return { expires: new Date(session.expires).toISOString() };
  });
  return Promise.resolve();
};
