import type { FastifyPluginAsync } from 'fastify';
import { parseJsonBody } from '../beacon-path.js';
import { mapUmami } from '../umami-map.js';
import { countDropped, publishMapped, type ForeignRouteOptions } from './foreign-route.js';

export interface UmamiSendOptions extends ForeignRouteOptions {
  /** TOKUMEI_UMAMI_WEBSITES: website id (lower case) → site. */
  readonly websites: ReadonlyMap<string, string>;
}

/**
 * `POST /api/send`: Umami's collect endpoint. Umami answers `{cache, sessionId, visitId}` and its browser script
 * sends `cache` back as `x-umami-cache`; Tokumei answers `202 {}`: JSON, which is all the script needs to go on,
 * and no token, session or visit id, so the script never has one to send back. A cache header that comes anyway is
 * never read, only counted.
 */
export const umamiSendRoutes: FastifyPluginAsync<UmamiSendOptions> = (app, options) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJsonBody);
  app.post('/api/send', async (request, reply) => {
    if (request.headers['x-umami-cache'] !== undefined) countDropped(options, 'umami', ['cache']);
    const mapped = mapUmami(request.body, options.websites);
    if (mapped.ok && 'identify' in mapped) countDropped(options, 'umami', mapped.dropped);
    else await publishMapped(options, request, 'umami', mapped);
    return reply.code(202).send({});
  });
  return Promise.resolve();
};
