import type { FastifyPluginAsync } from 'fastify';
import type { TrackerScript } from '@tokumei/tracker';

export interface TrackerRouteOptions {
  readonly script: TrackerScript;
}

/**
 * A day in caches, not a year: the URL carries no version (every site embeds the same `/t.js`), so a long max-age
 * would pin browsers to an old script and consent policy. With a day, a change reaches them within a day, and the
 * daily revalidation is a cheap 304. The README states this value; tracker-route.test.ts holds them equal.
 */
const CACHE_CONTROL = 'public, max-age=86400';

/** If-None-Match compares weakly (RFC 9110 §13.1.2): `W/` prefixes do not matter, `*` matches anything. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim() === '*' || opaque(tag) === opaque(etag));
}

/** True unless the client left gzip out or refused it with q=0. */
function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return (coding === 'gzip' || coding === '*') && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/** `GET /t.js`: the tracker, minified at start-up with this ingest's consent policy baked in. */
export const trackerRoutes: FastifyPluginAsync<TrackerRouteOptions> = (app, { script }) => {
  app.get('/t.js', (request, reply) => {
    void reply.headers({
      'cache-control': CACHE_CONTROL,
      etag: script.etag,
      vary: 'Accept-Encoding',
      'x-content-type-options': 'nosniff',
      // Pages that isolate themselves (Cross-Origin-Embedder-Policy) may still load the script from our origin.
      'cross-origin-resource-policy': 'cross-origin',
    });
    if (matchesEtag(request.headers['if-none-match'], script.etag)) return reply.code(304).send();
    const gzip = acceptsGzip(request.headers['accept-encoding']);
    if (gzip) void reply.header('content-encoding', 'gzip');
    return reply.type('application/javascript; charset=utf-8').send(gzip ? script.gzipped : script.body);
  });
  return Promise.resolve();
};
