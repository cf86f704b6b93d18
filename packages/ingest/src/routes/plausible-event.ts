import type { FastifyPluginAsync } from 'fastify';
import { parseJsonBody } from '../beacon-path.js';
import { mapPlausible } from '../plausible-map.js';
import { publishMapped, type ForeignRouteOptions } from './foreign-route.js';

/**
 * `POST /api/event`: Plausible's Events API, so a site running Plausible's tracker switches by pointing its endpoint
 * here. Its tracker sends `text/plain` JSON (no CORS preflight) and reads only the status: `202` once the bus
 * accepted every beacon, as `/collect` answers.
 */
export const plausibleEventRoutes: FastifyPluginAsync<ForeignRouteOptions> = (app, options) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJsonBody);
  app.post('/api/event', async (request, reply) => {
    await publishMapped(options, request, 'plausible', mapPlausible(request.body));
    return reply.code(202).send();
  });
  return Promise.resolve();
};
